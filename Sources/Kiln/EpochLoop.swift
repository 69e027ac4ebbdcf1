import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime


private typealias FitFunction = @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutableRawPointer?, UnsafePointer<UnsafeRawPointer?>?,
    UnsafePointer<Int>?, UnsafePointer<Int32>?, Int, UnsafePointer<Int64>?, Int, Int, Int, Int64,
    Int32, Int32, UnsafePointer<Int32>?, Int, Int32, Int32, Int,
    (@convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?) -> Int32)?, UnsafeMutableRawPointer?,
    UnsafeRawPointer?) -> Int

/// The Swift side of a progress callback from C.
private final class Observer {
    let lossType: DType
    /// The step's report results, which each step overwrites.
    let reports: [HostTensor]
    let reported: ([HostTensor]) -> Void
    let body: (Int, Double) -> Bool
    /// Whether `body` asked the loop to stop.
    var stopped = false
    init(lossType: DType, reports: [HostTensor], reported: @escaping ([HostTensor]) -> Void, body: @escaping (Int, Double) -> Bool) {
        (self.lossType, self.reports, self.reported, self.body) = (lossType, reports, reported, body)
    }
}

/// Runs `steps` training steps of `compiled` (a `TrainingStep` compiled with `EpochLoopUnit.source`)
/// in C, on the newest tier of its code: when gcc's code becomes ready during the loop (`JITTier.adaptive`),
/// the loop returns between two steps and goes on with it, and `compiled` records the switch. `carried` (the carried inputs of the step's signature: parameters,
/// optimizer state, buffers) holds the current values; on return they hold
/// the updated ones (possibly the other buffers of `spare`, which receives the old ones).
/// Returns the number of steps done (fewer when `observe` stopped the loop) and, when the loop
/// stopped at a step whose loss was NaN or infinite, that loss; `carried` then holds the values
/// that step read. Before each `observe(done, loss)`, `reported` gets the step's report results
/// (`signature.reports`), valid during the call.
func runEpochLoop(_ compiled: CompiledTrainingStep, inputs: HostTensor, labels: HostTensor,
                  permutation: [Int64], batchSize: Int, steps: Int, firstStep: Int, every: Int,
                  carried: inout [HostTensor], spare: inout [HostTensor], reported: @escaping ([HostTensor]) -> Void = { _ in },
                  observe: @escaping (Int, Double) -> Bool) throws -> (done: Int, nonFiniteLoss: Double?) {
    guard permutation.count >= steps * batchSize, permutation.allSatisfy({ $0 >= 0 && Int($0) < inputs.type.shape[0] }),
          inputs.type.shape[0] == labels.type.shape[0] else {
        throw KilnError("the epoch needs \(steps * batchSize) row indices within the \(inputs.type.shape[0]) rows of the data set")
    }
    let f = compiled.step.function, signature = compiled.step.signature
    let types = f.paramTypes
    let (xIndex, yIndex) = (signature.batch.lowerBound, signature.batch.lowerBound + 1)
    let xBatch = try HostTensor(zeros: types[xIndex]), yBatch = try HostTensor(zeros: types[yIndex])
    guard xBatch.type.byteCount * inputs.type.shape[0] == inputs.type.byteCount * batchSize,
          yBatch.type.byteCount * labels.type.shape[0] == labels.type.byteCount * batchSize,
          inputs.type.dtype == xBatch.type.dtype, labels.type.dtype == yBatch.type.dtype else {
        throw KilnError("data rows \(inputs.type) / \(labels.type) do not fit the step's batches \(types[xIndex]) / \(types[yIndex])")
    }
    let stepScalar = try HostTensor(zeros: types[signature.step])
    let key = try signature.randomKey.map { try HostTensor(zeros: types[$0]) }
    let loss = try HostTensor(zeros: f.resultTypes[signature.loss])
    let reports = try signature.reports.map { try HostTensor(zeros: f.resultTypes[$0]) }
    let fixed = [xBatch, yBatch, stepScalar] + (key.map { [$0] } ?? [])
    // A fault inside compiled code would end the process: check every buffer's type first.
    guard signature.describes(f), fixed.count == signature.carried.lowerBound,
          (fixed + carried).map(\.type) == types, spare.map(\.type) == carried.map(\.type) else {
        throw KilnError("the parameters, optimizer state or buffers no longer have the types the compiled step was built for; create the Trainer again after changing the model")
    }
    // args: the inputs, then the results (loss, the carried values' new versions, the reports).
    let outputBase = signature.inputCount
    var args: [UnsafeMutableRawPointer?] = (fixed + carried).map(\.data) + [loss.data] + spare.map(\.data) + reports.map(\.data)
    var feedback: [Int32] = []
    for input in signature.carried { feedback += [Int32(input), Int32(outputBase + signature.result(carrying: input))] }
    let sources: [UnsafeRawPointer?] = [UnsafeRawPointer(inputs.data), UnsafeRawPointer(labels.data)]
    let rowBytes = [xBatch.type.byteCount / batchSize, yBatch.type.byteCount / batchSize]
    let gathered = [Int32(xIndex), Int32(yIndex)]
    // The first report tells a gcc compile waiting for the first step that it may start.
    let code = compiled.compiled
    let observer = Observer(lossType: loss.type.dtype, reports: reports, reported: reported) { done, loss in
        code.noteCallFinished()
        return observe(done, loss)
    }
    let context = Unmanaged.passRetained(observer)
    defer { context.release() }
    let callback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?) -> Int32 = { context, done, loss in
        guard let context, let loss else { return 1 }
        let observer = Unmanaged<Observer>.fromOpaque(context).takeUnretainedValue()
        let value = observer.lossType == .f64 ? loss.load(as: Double.self) : Double(loss.load(as: Float.self))
        observer.reported(observer.reports)
        observer.stopped = observer.body(done, value)
        return observer.stopped ? 1 : 0
    }
    // Each call of the loop comes from the same tier as the entry point it calls; it returns early
    // only for newer code (or when stopped), and the next call picks that up.
    var done = 0, returned = 0
    repeat {
        let (result, tier) = try compiled.compiled.withEntryAndArena { code, arena in
            guard let fit = code.symbol(EpochLoopUnit.symbol) else { throw KilnError.internal("the compiled step has no \(EpochLoopUnit.symbol) loop") }
            let function = unsafeBitCast(fit, to: FitFunction.self)
            // A switch to newer code is noted before its steps run, so that `observe` sees it.
            if code.tier != .baseline { compiled.tiers.ran(code.tier, fromStep: firstStep + done, compiled.compiled) }
            let result = args.withUnsafeMutableBufferPointer { a in
                function(a.baseAddress, arena, sources, rowBytes, gathered, gathered.count, permutation, batchSize, done, steps,
                         Int64(firstStep), Int32(signature.step), signature.randomKey.map(Int32.init) ?? -1, feedback,
                         signature.carried.count, Int32(outputBase + signature.loss), loss.type.dtype == .f64 ? 1 : 0,
                         max(every, 1), callback, context.toOpaque(), code.superseded)
            }
            return (result, code.tier)
        }
        if tier == .baseline && result != done { compiled.tiers.ran(tier, fromStep: firstStep + done, compiled.compiled) }
        returned = result
        if result >= 0 { done = result }
    } while returned >= 0 && returned < steps && !observer.stopped
    // After the swaps, args[input] points at the newest values of each carried tensor.
    let all = carried + spare
    for (i, input) in signature.carried.enumerated() {
        let newest = args[input], other = args[outputBase + signature.result(carrying: input)]
        guard let n = all.first(where: { $0.data == newest }), let o = all.first(where: { $0.data == other }) else {
            throw KilnError.internal("the epoch loop lost a parameter buffer")
        }
        carried[i] = n
        spare[i] = o
    }
    withExtendedLifetime((fixed, inputs, labels)) {}
    return returned < 0 ? (-returned - 1, loss[0].asDouble) : (returned, nil)
}
