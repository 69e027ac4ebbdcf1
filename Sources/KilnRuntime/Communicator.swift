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
    /// Replaces the `byteCount` bytes at `data` by those of process `root`.
    func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError)
    /// Ends every process of the job, after printing `error` (for failures inside compiled code,
    /// which cannot throw).
    func abort(_ error: KilnError) -> Never
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
    switch reduction {
    case .sum: return
    case .mean:
        let scale = 1 / Double(communicator.size)
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
