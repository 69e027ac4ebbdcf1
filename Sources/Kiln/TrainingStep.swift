import KilnAutodiff
import KilnIR
import KilnRuntime

/// A loss of a model's output and the labels, e.g. `{ try crossEntropy(logits: $0, labels: $1) }`.
public typealias LossFunction = (_ output: Tensor, _ labels: Tensor) throws -> Tensor

/// The IR of one training step — forward, backward and optimizer update in one function:
///
///     @train_step(%x, %y, %step: f32[], [%rng_key: i64[]], params..., optimizer state...)
///         -> (loss, new params..., new state...)
///
/// `step` is the 1-based update count (for Adam's bias correction and the schedule).
public struct TrainingStep {
    public let function: Function
    /// The forward loss function it was differentiated from, and its gradient function.
    public let lossFunction: Function
    public let gradientFunction: Function
    /// The model's parameters, in the order of the function's parameter block.
    public let parameters: [Parameter]
    /// Whether the function takes an `rng_key` input (the model draws random numbers).
    public let usesRandomKey: Bool
    public let stateCount: Int

    /// Traces `model` and `loss` on inputs of `inputType` and labels of `labelType`, differentiates
    /// with respect to every parameter and appends `optimizer`'s update.
    public init(model: any Module, loss: LossFunction, optimizer: any Optimizer,
                inputType: TensorType, labelType: TensorType) throws {
        let forward = Trace(name: "loss")
        let x = forward.input("x", inputType)
        let y = forward.input("y", labelType)
        let value = try loss(try model(x), y)
        guard value.type.count == 1, value.dtype.isFloat else {
            throw KilnError("the loss must be a scalar float, got \(value.type)")
        }
        let lossFunction = try forward.finish(returning: [try value.reshaped([])])
        let parameters = forward.parameters
        let usesRandomKey = forward.usesRandomKey
        let gradient = try grad(lossFunction, wrt: lossFunction.params.dropFirst(2).map { lossFunction.name(of: $0) }
            .filter { !usesRandomKey || $0 != "rng_key" })

        let step = Trace(name: "train_step")
        let inputs = [step.input("x", inputType), step.input("y", labelType)]
        let count = step.input("step", TensorType(.f32, []))
        let key = usesRandomKey ? step.randomKey : nil
        let current = parameters.map { step.input($0.name, $0.type) }
        let states = parameters.map { p in (0..<optimizer.stateCount).map { step.input("\(p.name).state\($0)", p.type) } }
        // The loss function's parameters in its own order: x, y, then parameters and the key as met.
        var arguments = try inputs.map { try step.value(of: $0) }
        var nextParameter = current.makeIterator()
        for p in lossFunction.params.dropFirst(2) {
            let isKey = usesRandomKey && lossFunction.name(of: p) == "rng_key"
            guard let t = isKey ? key : nextParameter.next() else {
                throw KilnError("internal: the traced loss has more parameters than the model")
            }
            arguments.append(try step.value(of: t))
        }
        let values = try step.builder.inline(gradient, arguments: arguments)
        let grads = values.dropFirst().map { Tensor(traced: $0, in: step) }
        let updated = try optimizer.applyUpdates(parameters: current, grads: Array(grads), states: states, step: count)
        let results = [Tensor(traced: values[0], in: step)] + updated.parameters + updated.states.flatMap { $0 }
        self.function = try step.finish(returning: results)
        self.lossFunction = lossFunction
        self.gradientFunction = gradient
        self.parameters = parameters
        self.usesRandomKey = usesRandomKey
        self.stateCount = optimizer.stateCount
    }
}
