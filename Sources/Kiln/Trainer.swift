import KilnIR
import KilnRuntime

/// Trains a model with an optimizer, one batch per `step`: eagerly (op by op, with the tape) or by
/// running the training-step function (`TrainingStep`) through an executor — the interpreter or
/// compiled code. Parameters are updated in place; the optimizer state lives here.
public final class Trainer {
    public let model: any Module
    public let optimizer: any Optimizer
    let loss: LossFunction
    /// Optimizer state per parameter (zeros at first), in `TrainingStep` order.
    public private(set) var states: [[HostTensor]] = []
    /// Updates done so far.
    public private(set) var stepCount = 0
    private var parameters: [Parameter]
    private let executor: StepExecutor?

    /// A trainer that runs eagerly.
    public init(model: any Module, loss: @escaping LossFunction, optimizer: any Optimizer) throws {
        (self.model, self.loss, self.optimizer) = (model, loss, optimizer)
        parameters = model.parameters
        executor = nil
        try resetState()
    }

    /// A trainer that runs the traced training step on `executor` (inputs `inputType`, labels `labelType`).
    init(model: any Module, loss: @escaping LossFunction, optimizer: any Optimizer, step: TrainingStep,
         executor: StepExecutor) throws {
        (self.model, self.loss, self.optimizer) = (model, loss, optimizer)
        parameters = step.parameters
        self.executor = executor
        try resetState()
    }

    private func resetState() throws {
        states = []
        for p in parameters {
            var slots: [HostTensor] = []
            for _ in 0..<optimizer.stateCount { slots.append(try HostTensor(zeros: p.type)) }
            states.append(slots)
        }
    }

    /// One update on the batch `(x, y)`; returns the loss before the update.
    @discardableResult
    public func step(_ x: HostTensor, _ y: HostTensor) throws -> Double {
        stepCount += 1
        guard let executor else { return try eagerStep(x, y) }
        return try executor.run(x: x, y: y, step: stepCount, parameters: parameters, states: &states)
    }

    private func eagerStep(_ x: HostTensor, _ y: HostTensor) throws -> Double {
        model.setTraining(true)
        model.zeroGrad()
        let value = try loss(try model(Tensor(x)), Tensor(y))
        try value.backward()
        let current = parameters.map { Tensor($0.value) }
        var grads: [Tensor] = []
        for p in parameters { grads.append(Tensor(try p.grad ?? HostTensor(zeros: p.type))) }
        let updated = try optimizer.applyUpdates(parameters: current, grads: grads,
                                                 states: states.map { $0.map(Tensor.init) },
                                                 step: try Tensor(scalar: Double(stepCount)))
        for (p, new) in zip(parameters, updated.parameters) { try copy(try new.host(), into: p.value) }
        states = try updated.states.map { slots in try slots.map { try $0.host() } }
        return try value.item()
    }
}

/// Runs a `TrainingStep` function on concrete tensors.
protocol StepExecutor {
    func run(x: HostTensor, y: HostTensor, step: Int, parameters: [Parameter], states: inout [[HostTensor]]) throws -> Double
}

/// Copies `source`'s elements into `target` (same type), keeping `target`'s storage.
func copy(_ source: HostTensor, into target: HostTensor) throws(KilnError) {
    guard source.type == target.type else { throw KilnError("cannot copy \(source.type) into \(target.type)") }
    target.data.copyMemory(from: source.data, byteCount: target.type.byteCount)
}

/// Calls a function `run` with the training-step calling convention and stores its results.
struct FunctionStepExecutor: StepExecutor {
    let step: TrainingStep
    let run: ([HostTensor]) throws -> [HostTensor]

    func run(x: HostTensor, y: HostTensor, step count: Int, parameters: [Parameter], states: inout [[HostTensor]]) throws -> Double {
        var inputs = [x, y, try HostTensor(TensorType(.f32, []), doubles: [Double(count)])]
        if step.usesRandomKey { inputs.append(try HostTensor(TensorType(.i64, []), doubles: [Double(count)])) }
        inputs += parameters.map(\.value) + states.flatMap { $0 }
        let outputs = try run(inputs)
        for (p, new) in zip(parameters, outputs.dropFirst()) { try copy(new, into: p.value) }
        let newStates = Array(outputs.dropFirst(1 + parameters.count))
        var index = 0
        for i in states.indices {
            for j in states[i].indices {
                states[i][j] = newStates[index]
                index += 1
            }
        }
        return outputs[0][0].asDouble
    }
}

extension Trainer {
    /// A trainer that runs the training step compiled: traced once, differentiated, optimized by
    /// the default pass pipeline and compiled to native code.
    public static func compiled(model: any Module, loss: @escaping LossFunction, optimizer: any Optimizer,
                                inputType: TensorType, labelType: TensorType) throws -> Trainer {
        let step = try CompiledTrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType)
        return try Trainer(model: model, loss: loss, optimizer: optimizer, step: step.step,
                           executor: FunctionStepExecutor(step: step.step) { try step.compiled.run($0) })
    }

    /// A trainer that interprets the traced training step (the reference for compiled training).
    public static func interpreted(model: any Module, loss: @escaping LossFunction, optimizer: any Optimizer,
                                   inputType: TensorType, labelType: TensorType) throws -> Trainer {
        let step = try TrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType)
        return try Trainer(model: model, loss: loss, optimizer: optimizer, step: step,
                           executor: FunctionStepExecutor(step: step) { try interpret(step.function, inputs: $0) })
    }
}
