import KilnIR
import Synchronization

/// The `all_reduce`s compiled code has started and not yet waited on, by handle: compiled code
/// starts a reduction where the instruction stands and waits on it before the first instruction
/// that reads its result (docs/distributed.md, Overlap).
/// (Unchecked: a request is only touched by the thread running the code that started it.)
private struct InFlight: @unchecked Sendable {
    let request: any ReductionRequest
    let reduction: AllReduceOp
    let data: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType
    let size: Int
}

private let inFlight = Mutex<(next: Int, requests: [Int: InFlight])>((1, [:]))

/// Starts `all_reduce` in place on `count` elements of `dtype` at `data` through the active
/// communicator and returns the handle to pass to `finishAllReduce`, or 0 when the result is
/// there already (one process, or a communicator without non-blocking collectives).
public func startAllReduce(_ reduction: AllReduceOp, _ data: UnsafeMutableRawPointer, count: Int,
                           dtype: DType) throws(KilnError) -> Int {
    guard let communicator = CommunicatorScope.active, communicator.size > 1 else { return 0 }
    guard let request = try communicator.startAllReduceSum(data, count: count, dtype: dtype) else {
        try finishReduction(reduction, data, count: count, dtype: dtype, size: communicator.size)
        return 0
    }
    let entry = InFlight(request: request, reduction: reduction, data: data, count: count, dtype: dtype, size: communicator.size)
    return inFlight.withLock { state in
        let handle = state.next
        state.next += 1
        state.requests[handle] = entry
        return handle
    }
}

/// Lets the reduction of `handle` progress without waiting for it (nothing for handle 0).
public func progressAllReduce(_ handle: Int) throws(KilnError) {
    guard let entry = inFlight.withLock({ $0.requests[handle] }) else { return }
    _ = try entry.request.test()
}

/// Waits for the reduction of `handle` and completes it (the mean's division); nothing for 0.
public func finishAllReduce(_ handle: Int) throws(KilnError) {
    guard let entry = inFlight.withLock({ $0.requests.removeValue(forKey: handle) }) else { return }
    try entry.request.wait()
    try finishReduction(entry.reduction, entry.data, count: entry.count, dtype: entry.dtype, size: entry.size)
}
