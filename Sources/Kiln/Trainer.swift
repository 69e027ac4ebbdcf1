import KilnIR
import KilnPasses
import KilnRuntime

/// How a `Trainer` runs the training step.
public enum ExecutionMode: String, Sendable, CaseIterable {
    /// Traced once into one IR function (forward, backward, update), optimized and compiled to
    /// native code; whole epochs run in a C loop.
    case compiled
    /// The same traced function run by the reference interpreter (the oracle for `compiled`).
    case interpreted
    /// Op by op through the reference kernels, with a tape for gradients.
    case eager
}

/// Trains a model with an optimizer, or runs a `CustomTrainingStep`. Parameters are updated in
/// place (`Parameter.value`); the optimizer state lives here.
///
/// A step whose loss is NaN or infinite throws a `KilnError` and changes nothing: parameters,
/// optimizer state and step count keep the values that step read.
public final class Trainer {
    /// The largest step count a trainer reaches (or restores): 2^53, the last exact in a Double.
    public static let maximumStepCount = 1 << 53

    /// The model; for a custom step, its models as one module (`models.0.<path>`, ...: the
    /// modules minimized over, in order, then `listed.k` and `buffers.k` for the others).
    public let model: any Module
    /// The optimizer; for a custom step, that of its first `minimize`.
    public let optimizer: any Optimizer
    public let mode: ExecutionMode
    /// Whether a NaN or infinite loss is diagnosed: the failing step is run again by the reference
    /// interpreter, instruction by instruction, and the error names the first instruction that
    /// produced NaN or infinity and the parameters nearest to it.
    public let checkNumerics: Bool
    let loss: LossFunction?
    /// The named scalars of a custom step (`CustomStepContext.report`) at the latest step run by
    /// `step`, or observed by `trainEpoch`.
    public private(set) var lastReport: [String: Double] = [:]
    /// Optimizer state per parameter (zeros at first), in `parameters` order.
    public private(set) var states: [[HostTensor]] = []
    /// Updates done so far.
    public private(set) var stepCount = 0
    /// The parameters trained, in the order of the training step's inputs.
    public let parameters: [Parameter]
    /// The buffers the traced step reads and returns (batch norm's running statistics, and the
    /// parameters it does not train); empty in eager mode, where layers update their buffers themselves.
    public let buffers: [Parameter]
    /// The traced step (nil in eager mode) and, when compiled, its native code.
    public let tracedStep: TrainingStep?
    public let compiledStep: CompiledTrainingStep?
    /// The ranks this trainer trains with (nil: one process); see `DataParallel`.
    public let dataParallel: DataParallel?
    /// Second buffers for the compiled loop's double buffering (parameters, then states).
    private var spare: [HostTensor] = []
    /// The data sets' label tensors already checked against the step's class count.
    private var checkedLabels: [HostTensor] = []

    /// A trainer for batches of `inputType` and `labelType`, tracing and compiling now unless eager;
    /// `trainable` (parameter or submodule paths) limits training to those parameters, the others
    /// staying as they are, like frozen ones; `stepFunction` (an edited `train_step.kir`) runs in
    /// place of the traced step, whose signature it must have; `passes` optimize the compiled
    /// step; `checkNumerics` diagnoses a non-finite loss. With `dataParallel`, every rank must
    /// create its trainer together: the ranks check that they traced the same step and take rank
    /// 0's parameters (`DataParallel.synchronize`). Errors of the traced model name the line that
    /// created the trainer.
    public convenience init(model: any Module, loss: @escaping LossFunction, optimizer: any Optimizer,
                            inputType: TensorType, labelType: TensorType, mode: ExecutionMode = .compiled,
                            trainable: [String]? = nil, stepFunction: Function? = nil, passes: PassPipeline = .standard(),
                            checkNumerics: Bool = false, dataParallel: DataParallel? = nil,
                            file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws {
        try optimizer.checkArguments()
        model.setTraining(true)
        let (traced, compiled, trained) = try atCallSite(file, line, column) { () throws -> (TrainingStep?, CompiledTrainingStep?, [Parameter]) in
        let traced: TrainingStep?, compiled: CompiledTrainingStep?, trained: [Parameter]
        switch mode {
        case .eager:
            guard stepFunction == nil else { throw KilnError("a stepFunction runs traced: use mode .compiled or .interpreted, not .eager") }
            (traced, compiled, trained) = (nil, nil, try model.trainedParameters(selection: trainable))
        case .interpreted:
            let step = try TrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType,
                                        trainable: trainable, dataParallel: dataParallel)
            (traced, compiled) = (try stepFunction.map { try step.replacingFunction($0) } ?? step, nil)
            trained = step.parameters
        case .compiled:
            compiled = try CompiledTrainingStep(model: model, loss: loss, optimizer: optimizer,
                                                inputType: inputType, labelType: labelType, trainable: trainable,
                                                stepFunction: stepFunction, passes: passes, dataParallel: dataParallel)
            traced = compiled?.step
            trained = compiled?.step.parameters ?? []
        }
        return (traced, compiled, trained)
        }
        try self.init(model: model, loss: loss, optimizer: optimizer, mode: mode, traced: traced, compiled: compiled,
                      parameters: trained, stateCounts: traced?.stateCounts ?? trained.map { _ in optimizer.stateCount },
                      checkNumerics: checkNumerics, dataParallel: dataParallel)
    }

    /// A trainer running `step` (`CustomTrainingStep`), `.compiled` or `.interpreted`; `stepFunction`,
    /// `passes`, `checkNumerics` and `dataParallel` as for a model's trainer (with `dataParallel`
    /// the step is traced again, each group's gradients averaged over the ranks).
    public convenience init(step custom: CustomTrainingStep, mode: ExecutionMode = .compiled, stepFunction: Function? = nil,
                            passes: PassPipeline = .standard(), checkNumerics: Bool = false,
                            dataParallel: DataParallel? = nil) throws {
        var step = try dataParallel.map {
            try TrainingStep(tracing: custom.body, inputType: custom.inputType, labelType: custom.labelType, dataParallel: $0)
        } ?? custom.traced
        if let stepFunction { step = try step.replacingFunction(stepFunction) }
        guard let (models, optimizers) = step.custom, let optimizer = optimizers.first else {
            throw KilnError.internal("a custom step without its models and optimizers")
        }
        let compiled: CompiledTrainingStep?
        switch mode {
        case .eager: throw KilnError("a custom training step runs traced: use mode .compiled or .interpreted, not .eager")
        case .interpreted: compiled = nil
        case .compiled: compiled = try CompiledTrainingStep(step: step, passes: passes)
        }
        try self.init(model: models, loss: nil, optimizer: optimizer, mode: mode, traced: step, compiled: compiled,
                      parameters: step.parameters, stateCounts: step.stateCounts, checkNumerics: checkNumerics,
                      dataParallel: dataParallel)
    }

    private init(model: any Module, loss: LossFunction?, optimizer: any Optimizer, mode: ExecutionMode,
                 traced: TrainingStep?, compiled: CompiledTrainingStep?, parameters: [Parameter], stateCounts: [Int],
                 checkNumerics: Bool, dataParallel: DataParallel?) throws {
        (self.model, self.loss, self.optimizer, self.mode) = (model, loss, optimizer, mode)
        (tracedStep, compiledStep, self.parameters, buffers) = (traced, compiled, parameters, traced?.buffers ?? [])
        self.dataParallel = dataParallel
        self.checkNumerics = checkNumerics
        for (p, n) in zip(parameters, stateCounts) {
            var slots: [HostTensor] = []
            for _ in 0..<n { slots.append(try HostTensor(zeros: p.type)) }
            states.append(slots)
        }
        try dataParallel?.synchronize(self)
    }

    /// Puts back optimizer state and the step count saved earlier (to resume training).
    public func restore(states saved: [[HostTensor]], stepCount count: Int) throws(KilnError) {
        guard (0...Self.maximumStepCount).contains(count) else {
            throw KilnError("step count \(count) is out of range 0...\(Self.maximumStepCount)")
        }
        guard saved.count == states.count, zip(saved, states).allSatisfy({ $0.map(\.type) == $1.map(\.type) }) else {
            throw KilnError("the saved optimizer state does not fit this model and optimizer")
        }
        states = saved
        stepCount = count
    }

    /// One update on the batch `(x, y)`; returns the loss before the update.
    @discardableResult
    public func step(_ x: HostTensor, _ y: HostTensor) throws -> Double {
        let count = try stepCount(after: 1)
        let value = switch mode {
        case .eager: try withEagerRandomStep(count) { try eagerStep(x, y, count: count, loss: loss) }
        case .interpreted, .compiled: try tracedStepRun(x, y, count: count)
        }
        stepCount = count
        return value
    }

    /// The step count after `steps` more steps, checked against `maximumStepCount`.
    private func stepCount(after steps: Int) throws(KilnError) -> Int {
        let (count, overflow) = stepCount.addingReportingOverflow(steps)
        guard !overflow, count <= Self.maximumStepCount else {
            throw KilnError("\(steps) more steps after step \(stepCount) exceed the largest step count, \(Self.maximumStepCount)")
        }
        return count
    }

    /// Trains one epoch: every batch of `loader` in its order for `epoch`. `observe(done, loss)`
    /// is called after every `every` steps (and after the last) with the latest loss; it returns
    /// true to stop early. Compiled trainers run the whole epoch in a C loop that returns to Swift
    /// only for these calls. Returns the number of steps done. A NaN or infinite loss ends the epoch
    /// with an error at once (whatever `every` is), without applying that step.
    @discardableResult
    public func trainEpoch(_ loader: DataLoader, epoch: Int, every: Int = 1,
                           observe: @escaping (Int, Double) -> Bool = { _, _ in false }) throws -> Int {
        let order = dataParallel?.shard(loader.order(epoch: epoch), batchSize: loader.batchSize) ?? loader.order(epoch: epoch)
        let steps = order.count / loader.batchSize
        let every = max(every, 1)
        _ = try stepCount(after: steps)
        if let classes = tracedStep?.labelClasses, !checkedLabels.contains(where: { $0 === loader.dataset.labels }) {
            try checkLabels(loader.dataset.labels, classes: classes, loss: "crossEntropy")
            checkedLabels.append(loader.dataset.labels)
        }
        if let compiledStep {
            let (done, nonFinite) = try compiledLoop(compiledStep, loader.dataset, order.map(Int64.init), loader.batchSize, steps, every, observe)
            if let nonFinite {
                let (x, y) = try loader.batch(done, of: order)
                throw nonFiniteLossError(nonFinite, step: stepCount + 1, x, y)
            }
            return done
        }
        for b in 0..<steps {
            let (x, y) = try loader.batch(b, of: order)
            let value = try step(x, y)
            if ((b + 1) % every == 0 || b + 1 == steps) && observe(b + 1, value) { return b + 1 }
        }
        return steps
    }

    private func compiledLoop(_ compiled: CompiledTrainingStep, _ data: Dataset, _ order: [Int64], _ batchSize: Int,
                              _ steps: Int, _ every: Int, _ observe: @escaping (Int, Double) -> Bool) throws -> (Int, Double?) {
        var current = parameters.map(\.value) + states.flatMap { $0 } + buffers.map(\.value)
        if spare.isEmpty { spare = try current.map { try HostTensor(zeros: $0.type) } }
        let (done, nonFinite) = try runEpochLoop(compiled, inputs: data.inputs, labels: data.labels,
                                                 permutation: order, batchSize: batchSize, steps: steps, firstStep: stepCount + 1,
                                                 every: every, carried: &current, spare: &spare,
                                                 reported: { [unowned self] in storeReports($0[...]) }, observe: observe)
        stepCount += done
        store(current[...])
        return (done, nonFinite)
    }

    /// Takes the step's reported scalars into `lastReport`.
    func storeReports(_ values: ArraySlice<HostTensor>) {
        guard let names = tracedStep?.reportNames else { return }
        for (name, t) in zip(names, values) { lastReport[name] = t[0].asDouble }
    }

    /// Takes the step's fed-back values — new parameters, optimizer state, buffers, in that order.
    private func store(_ values: ArraySlice<HostTensor>) {
        var next = values.makeIterator()
        for p in parameters { if let t = next.next() { p.value = t } }
        for i in states.indices {
            for j in states[i].indices { if let t = next.next() { states[i][j] = t } }
        }
        for b in buffers { if let t = next.next() { b.value = t } }
    }

    private func eagerStep(_ x: HostTensor, _ y: HostTensor, count: Int, loss: LossFunction?) throws -> Double {
        guard let loss else { throw KilnError.internal("an eager trainer without a loss") }
        model.zeroGrad()
        let value = try loss(try model(Tensor(x)), Tensor(y))
        let lossValue = try value.item()
        guard lossValue.isFinite else { throw nonFiniteLossError(lossValue, step: count, x, y) }
        try value.backward()
        var grads: [Tensor] = []
        for p in parameters { grads.append(Tensor(try p.grad ?? HostTensor(zeros: p.type))) }
        let updated = try optimizer.applyUpdates(parameters: parameters.map { Tensor($0.value) }, grads: grads,
                                                 states: states.map { $0.map(Tensor.init) },
                                                 step: try Tensor(scalar: Double(count)))
        for (p, new) in zip(parameters, updated.parameters) { try copy(try new.host(), into: p.value) }
        states = try updated.states.map { slots in try slots.map { try $0.host() } }
        return lossValue
    }

    /// Runs the traced step function (interpreted or compiled) once and stores its results.
    private func tracedStepRun(_ x: HostTensor, _ y: HostTensor, count: Int) throws -> Double {
        guard let step = tracedStep else { throw KilnError.internal("no traced step") }
        if let classes = step.labelClasses { try checkLabels(y, classes: classes, loss: "crossEntropy") }
        let inputs = try stepInputs(step, x, y, count: count, states: states)
        let outputs = try compiledStep?.compiled.run(inputs) ?? interpret(step.function, inputs: inputs)
        let value = outputs[step.signature.loss][0].asDouble
        guard value.isFinite else { throw nonFiniteLossError(value, step: count, x, y) }
        store(outputs[step.signature.carriedResults])
        storeReports(outputs[step.signature.reports])
        return value
    }

    /// The inputs of `step` for update `count` on `(x, y)`: batch, step count, random key, then
    /// the parameters, `states` (in `step.parameters` order) and the buffers.
    func stepInputs(_ step: TrainingStep, _ x: HostTensor, _ y: HostTensor, count: Int,
                    states: [[HostTensor]]) throws(KilnError) -> [HostTensor] {
        let signature = step.signature, types = step.function.paramTypes
        var inputs = [x, y, try HostTensor(types[signature.step], doubles: [Double(count)])]
        if let key = signature.randomKey { inputs.append(try HostTensor(types[key], doubles: [Double(count)])) }
        return inputs + step.parameters.map(\.value) + states.flatMap { $0 } + step.buffers.map(\.value)
    }
}

/// Copies `source`'s elements into `target` (same type), keeping `target`'s storage.
func copy(_ source: HostTensor, into target: HostTensor) throws(KilnError) {
    guard source.type == target.type else { throw KilnError("cannot copy \(source.type) into \(target.type)") }
    target.data.copyMemory(from: source.data, byteCount: target.type.byteCount)
}
