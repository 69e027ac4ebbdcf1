/// The calling convention of a training-step function, named: which inputs and results hold
/// what. Tracing builds the step in this order; the trainer, the epoch loop and checkpoints read
/// it through these ranges instead of positions.
///
///     inputs:  x, y, step: f32[], [rng_key: i64[]], parameters..., optimizer state..., buffers...
///     results: loss, new parameters..., new optimizer state..., new buffers...
///
/// Optimizer state is parameter-major: the `statesPerParameter` slots of parameter 0, then of 1...
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
    public let statesPerParameter: Int

    /// The loss result.
    public let loss = 0

    public init(usesRandomKey: Bool, parameterCount: Int, statesPerParameter: Int, bufferCount: Int) {
        batch = 0..<2
        step = 2
        randomKey = usesRandomKey ? 3 : nil
        let first = usesRandomKey ? 4 : 3
        parameters = first..<(first + parameterCount)
        states = parameters.upperBound..<(parameters.upperBound + parameterCount * statesPerParameter)
        buffers = states.upperBound..<(states.upperBound + bufferCount)
        self.statesPerParameter = statesPerParameter
    }

    /// Every input the step reads and returns anew: parameters, state and buffers, in order.
    public var carried: Range<Int> { parameters.lowerBound..<buffers.upperBound }
    public var inputCount: Int { buffers.upperBound }

    /// The results holding the carried inputs' new values, in the same order.
    public var carriedResults: Range<Int> { (loss + 1)..<(loss + 1 + carried.count) }

    /// The result that holds the new value of carried input `input`.
    public func result(carrying input: Int) -> Int { input - carried.lowerBound + carriedResults.lowerBound }

    /// Whether `f`'s parameters and results are laid out as this signature says.
    public func describes(_ f: Function) -> Bool {
        f.params.count == inputCount && f.results.count == 1 + carried.count
            && carried.allSatisfy { f.paramTypes[$0] == f.resultTypes[result(carrying: $0)] }
            && f.resultTypes[loss].count == 1 && f.paramTypes[step] == TensorType(.f32, [])
            && randomKey.map { f.paramTypes[$0] == TensorType(.i64, []) } ?? true
    }
}
