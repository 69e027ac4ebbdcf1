/// The calling convention of a training-step function, named: which inputs and results hold
/// what. Tracing builds the step in this order; the trainer, the epoch loop and checkpoints read
/// it through these ranges instead of positions.
///
///     inputs:  x, y, step: f32[], [rng_key: i64[]], parameters..., optimizer state..., buffers...
///     results: loss, new parameters..., new optimizer state..., new buffers..., reports...
///
/// Optimizer state is parameter-major: the `stateCounts[0]` slots of parameter 0, then those of
/// parameter 1... (parameters trained by different optimizers keep different numbers of slots).
/// Reports are the extra scalars a custom step names (`CustomStepContext.report`), after the
/// carried results.
public struct TrainingStepSignature: Hashable, Sendable {
    /// The batch inputs: the model's input, then the labels.
    public let batch: Range<Int>
    /// The 1-based update count (`f32[]`).
    public let step: Int
    /// The random key (`i64[]`, the step count), when the model draws random numbers.
    public let randomKey: Int?
    public let parameters: Range<Int>
    public let states: Range<Int>
    public let buffers: Range<Int>
    /// Optimizer state tensors per parameter, in parameter order.
    public let stateCounts: [Int]
    /// How many named scalars follow the carried results.
    public let reportCount: Int

    /// The loss result.
    public let loss = 0

    public init(usesRandomKey: Bool, stateCounts: [Int], bufferCount: Int, reportCount: Int = 0) {
        batch = 0..<2
        step = 2
        randomKey = usesRandomKey ? 3 : nil
        let first = usesRandomKey ? 4 : 3
        parameters = first..<(first + stateCounts.count)
        states = parameters.upperBound..<(parameters.upperBound + stateCounts.reduce(0, +))
        buffers = states.upperBound..<(states.upperBound + bufferCount)
        self.stateCounts = stateCounts
        self.reportCount = reportCount
    }

    /// Every input the step reads and returns anew: parameters, state and buffers, in order.
    public var carried: Range<Int> { parameters.lowerBound..<buffers.upperBound }
    public var inputCount: Int { buffers.upperBound }

    /// The results holding the carried inputs' new values, in the same order.
    public var carriedResults: Range<Int> { (loss + 1)..<(loss + 1 + carried.count) }

    /// The named scalar results after the carried ones.
    public var reports: Range<Int> { carriedResults.upperBound..<(carriedResults.upperBound + reportCount) }

    /// The result that holds the new value of carried input `input`.
    public func result(carrying input: Int) -> Int { input - carried.lowerBound + carriedResults.lowerBound }

    /// The state inputs of parameter `k` (counted from 0 within `parameters`).
    public func states(ofParameter k: Int) -> Range<Int> {
        let start = states.lowerBound + stateCounts[..<k].reduce(0, +)
        return start..<(start + stateCounts[k])
    }

    /// Whether `f`'s parameters and results are laid out as this signature says.
    public func describes(_ f: Function) -> Bool {
        f.params.count == inputCount && f.results.count == reports.upperBound
            && carried.allSatisfy { f.paramTypes[$0] == f.resultTypes[result(carrying: $0)] }
            && f.resultTypes[loss].count == 1 && reports.allSatisfy { f.resultTypes[$0].count == 1 }
            && f.paramTypes[step] == TensorType(.f32, [])
            && randomKey.map { f.paramTypes[$0] == TensorType(.i64, []) } ?? true
    }
}
