import KilnAutodiff
import KilnIR
import KilnRuntime

/// A loss of a model's output and the labels, e.g. `{ try crossEntropy(logits: $0, labels: $1) }`.
public typealias LossFunction = (_ output: Tensor, _ labels: Tensor) throws -> Tensor

/// The IR of one training step — forward, backward and optimizer update in one function, laid out
/// as `signature` says (`TrainingStepSignature`):
///
///     @train_step(%x, %y, %step: f32[], [%rng_key: i64[]], params..., optimizer state..., buffers...)
///         -> (loss, new params..., new state..., new buffers..., reports...)
///
/// Traced from a model, a loss and an optimizer (below), or from a `CustomTrainingStep`.
///
/// `step` is the 1-based update count (for Adam's bias correction and the schedule). Buffers are
/// the parameters the model reads but the step does not train (batch norm's running statistics,
/// frozen parameters); the step returns their new values (unchanged unless the model updates them).
public struct TrainingStep {
    /// The step function: traced, or given back edited (`replacingFunction`).
    public internal(set) var function: Function
    /// The forward loss function it was differentiated from (it also returns the buffers' new
    /// values), and its gradient function; for a custom step, those of its first `minimize`.
    public let lossFunction: Function
    public let gradientFunction: Function
    /// The trainable parameters, in the order of the function's parameter block.
    public let parameters: [Parameter]
    /// The buffers (and frozen parameters), in the order of the function's buffer block.
    public let buffers: [Parameter]
    /// Which inputs and results of `function` hold what.
    public let signature: TrainingStepSignature
    /// Whether the function takes an `rng_key` input (the model draws random numbers).
    public var usesRandomKey: Bool { signature.randomKey != nil }
    /// The class count the labels must stay below (they feed `crossEntropy`), or nil.
    public let labelClasses: Int?
    /// Optimizer state tensors per parameter, in `parameters` order.
    public var stateCounts: [Int] { signature.stateCounts }
    /// The names of the scalars a custom step reports, in the order of `signature.reports`.
    public internal(set) var reportNames: [String] = []
    /// A custom step's models (as one module naming its parameters) and its groups' optimizers,
    /// in `minimize` order; nil for a model's step.
    var custom: (models: CustomStepModels, optimizers: [any Optimizer])?

    /// Traces `model` and `loss` on inputs of `inputType` and labels of `labelType`, differentiates
    /// with respect to every trained parameter (trainable, not frozen and, when `trainable` is
    /// given, at or under one of its paths) and appends `optimizer`'s update; with
    /// `dataParallel`, the gradients are averaged over its ranks before the update.
    public init(model: any Module, loss: LossFunction, optimizer: any Optimizer,
                inputType: TensorType, labelType: TensorType, trainable selection: [String]? = nil,
                dataParallel: DataParallel? = nil) throws {
        let trained = Set(try model.trainedParameters(selection: selection).map(ObjectIdentifier.init))
        let forward = Trace(name: "loss")
        let x = forward.input("x", inputType)
        let y = forward.input("y", labelType)
        let value = try loss(try model(x), y)
        guard value.type.count == 1, value.dtype.isFloat else {
            throw KilnError("the loss must be a scalar float, got \(value.type)")
        }
        let labelValue = try forward.value(of: y)
        labelClasses = forward.labelBounds.filter { $0.value == labelValue }.map(\.classes).min()
        let updates = forward.bufferUpdates
        let lossFunction = try forward.finish(returning: [try value.reshaped([])] + updates.map(\.1))
        let lifted = forward.parameters
        let usesRandomKey = forward.usesRandomKey
        let keyValue = usesRandomKey ? try forward.value(of: forward.randomKey) : nil
        // The loss function's parameters after x and y: lifted parameters in order, and the key.
        let liftedParams = lossFunction.params.dropFirst(2).filter { $0 != keyValue }
        guard liftedParams.count == lifted.count else { throw KilnError.internal("the traced loss does not match its parameters") }
        let isTrained = { (p: Parameter) in trained.contains(ObjectIdentifier(p)) }
        let trainedNames = zip(liftedParams, lifted).filter { isTrained($0.1) }.map { lossFunction.name(of: $0.0) }
        let gradient = try grad(lossFunction, wrt: trainedNames)
        let parameters = lifted.filter(isTrained)
        let buffers = lifted.filter { !isTrained($0) }

        let step = Trace(name: "train_step")
        let inputs = [step.input("x", inputType), step.input("y", labelType)]
        let count = step.input("step", TensorType(.f32, []))
        let key = usesRandomKey ? step.randomKey : nil
        let current = parameters.map { step.input($0.name, $0.type) }
        let states = parameters.map { p in (0..<optimizer.stateCount).map { step.input("\(p.name).state\($0)", p.type) } }
        let bufferInputs = buffers.map { step.input($0.name, $0.type) }
        var inputOf: [ObjectIdentifier: Tensor] = [:]
        for (p, t) in zip(parameters, current) { inputOf[ObjectIdentifier(p)] = t }
        for (p, t) in zip(buffers, bufferInputs) { inputOf[ObjectIdentifier(p)] = t }
        var arguments = try inputs.map { try step.value(of: $0) }
        var nextLifted = lifted.makeIterator()
        for v in lossFunction.params.dropFirst(2) {
            let isKey = v == keyValue
            guard let t = isKey ? try key.map({ k in try dataParallel?.rankKey(k, in: step) ?? k }) : nextLifted.next().flatMap({ inputOf[ObjectIdentifier($0)] }) else {
                throw KilnError.internal("the traced loss has more parameters than the model")
            }
            arguments.append(try step.value(of: t))
        }
        let values = try step.builder.inline(gradient, arguments: arguments)
        let newBuffers = Dictionary(zip(updates.map { ObjectIdentifier($0.0) }, values.dropFirst().prefix(updates.count)),
                                    uniquingKeysWith: { a, _ in a })
        let localGrads = values.dropFirst(1 + updates.count).map { Tensor(traced: $0, in: step) }
        let grads = try dataParallel?.allReduce(Array(localGrads), in: step) ?? Array(localGrads)
        let updated = try optimizer.applyUpdates(parameters: current, grads: grads, states: states, step: count)
        let bufferResults = zip(buffers, bufferInputs).map { p, input in
            newBuffers[ObjectIdentifier(p)].map { Tensor(traced: $0, in: step) } ?? input
        }
        let results = [Tensor(traced: values[0], in: step)] + updated.parameters + updated.states.flatMap { $0 } + bufferResults
        let function = try step.finish(returning: results)
        signature = TrainingStepSignature(usesRandomKey: usesRandomKey, stateCounts: parameters.map { _ in optimizer.stateCount },
                                          bufferCount: buffers.count)
        guard signature.describes(function) else { throw KilnError.internal("the traced step does not have its signature's layout") }
        self.function = function
        self.lossFunction = lossFunction
        self.gradientFunction = gradient
        self.parameters = parameters
        self.buffers = buffers
    }
}
