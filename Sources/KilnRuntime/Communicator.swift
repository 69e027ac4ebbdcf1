import KilnIR

/// The processes a training job spans and the collectives between them, as `all_reduce` uses
/// them. Kiln's MPI binding (`KilnDistributed`) implements it; with none installed a program runs
/// on one process and `all_reduce` is the identity.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces the `count` elements of `dtype` at `data` by their elementwise sum over every
    /// process (all processes call it with the same count and dtype, in the same order).
    func allReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError)
    /// Starts what `allReduceSum` does without waiting for it: `data` holds the sum once the
    /// returned request is waited on, and must not be read or written until then. Nil when the sum
    /// is there already; the default calls `allReduceSum` (for communicators without non-blocking
    /// collectives). Every process starts the same reductions in the same order.
    func startAllReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) -> (any ReductionRequest)?
    /// Replaces the `byteCount` bytes at `data` by those of process `root`.
    func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError)
    /// Ends every process of the job, after printing `error` (for failures inside compiled code,
    /// which cannot throw).
    func abort(_ error: KilnError) -> Never
}

/// A reduction in flight, from `Communicator.startAllReduceSum`.
public protocol ReductionRequest: AnyObject {
    /// Lets the communicator progress the reduction (MPI mostly progresses inside MPI calls);
    /// true once it completed.
    func test() throws(KilnError) -> Bool
    /// Returns when the reduction completed.
    func wait() throws(KilnError)
}

extension Communicator {
    public func startAllReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) -> (any ReductionRequest)? {
        try allReduceSum(data, count: count, dtype: dtype)
        return nil
    }
}

/// The communicator `all_reduce` uses, in interpreted and compiled code alike, unless
/// `CommunicatorScope.current` names another; nil on one process. Set once, before running
/// programs that reduce (`DataParallel` sets it).
nonisolated(unsafe) public var installedCommunicator: (any Communicator)?

/// A communicator for the code run inside `CommunicatorScope.$current.withValue(c) { ... }` only
/// (on the calling thread, compiled code included), taking precedence over `installedCommunicator`.
public enum CommunicatorScope {
    @TaskLocal public static var current: (any Communicator)?

    /// The communicator `all_reduce` uses now.
    public static var active: (any Communicator)? { current ?? installedCommunicator }
}

/// `all_reduce` in place on `count` elements of `dtype` at `data`: the sum over the installed
/// communicator's processes (divided by their number for `mean`); unchanged on one process.
public func allReduceInPlace(_ reduction: AllReduceOp, _ data: UnsafeMutableRawPointer, count: Int,
                             dtype: DType) throws(KilnError) {
    guard let communicator = CommunicatorScope.active, communicator.size > 1 else { return }
    try communicator.allReduceSum(data, count: count, dtype: dtype)
    try finishReduction(reduction, data, count: count, dtype: dtype, size: communicator.size)
}

/// Turns the sum over `size` processes at `data` into `reduction`'s result (the mean divides it).
func finishReduction(_ reduction: AllReduceOp, _ data: UnsafeMutableRawPointer, count: Int, dtype: DType,
                     size: Int) throws(KilnError) {
    switch reduction {
    case .sum: return
    case .mean:
        let scale = 1 / Double(size)
        switch dtype {
        case .f32:
            let p = data.assumingMemoryBound(to: Float.self)
            for i in 0..<count { p[i] *= Float(scale) }
        case .f64:
            let p = data.assumingMemoryBound(to: Double.self)
            for i in 0..<count { p[i] *= scale }
        case .i32, .i64, .bool:
            throw KilnError.internal("all_reduce mean of \(dtype), which type inference rejects")
        }
    }
}

func allReduceKernel(_ reduction: AllReduceOp, _ x: HostTensor, _ out: HostTensor) throws(KilnError) {
    out.data.copyMemory(from: x.data, byteCount: x.type.byteCount)
    try allReduceInPlace(reduction, out.data, count: x.type.count, dtype: x.type.dtype)
}
