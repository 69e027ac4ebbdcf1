import KilnAutodiff
import KilnIR
import KilnPasses
import KilnRuntime

/// A training step written as a function of the batch — several models, losses and optimizers,
/// each optimizer over its own parameter group, noise drawn in-graph — traced into ONE step
/// function that `Trainer(step:)` runs compiled (whole epochs in the C loop) or interpreted:
///
///     let step = try CustomTrainingStep(inputType: .init(.f32, [64, 2]), labelType: .init(.f32, [64, 1])) { s, x, _ in
///         let fake = try generator(randomNormal([64, 4], like: x))
///         let dLoss = try bce(discriminator(x), ones) + bce(discriminator(fake.detached()), zeros)
///         try s.minimize(dLoss, over: discriminator, with: dAdam)
///         let gLoss = try bce(discriminator(fake), ones)   // reads the updated discriminator
///         try s.minimize(gLoss, over: generator, with: gAdam)
///         try s.report("generator_loss", gLoss)
///         return dLoss
///     }
///
/// `minimize` calls apply in order: each takes the gradient of its loss with respect to its
/// group's parameters as they were when the loss was computed, and code after it reads the
/// updated parameters (as constants: no gradient flows back through an update). Parameters the
/// step reads but no group trains are buffers (kept, or updated by batch norm); frozen and
/// non-trainable parameters are never trained. The returned value is the step's loss (checked for
/// NaN like `Trainer`'s); `report` adds named scalars (`Trainer.lastReport`).
public struct CustomTrainingStep {
    /// The step's body: the context to minimize and report with, the input batch and the labels.
    public typealias Body = (_ step: CustomStepContext, _ x: Tensor, _ y: Tensor) throws -> Tensor

    public let inputType: TensorType, labelType: TensorType
    let body: Body
    /// The step traced on one process (traced again for data-parallel training).
    public let traced: TrainingStep

    /// Traces `body` on a batch of `inputType` and labels of `labelType`; throws at once for a
    /// parameter in two groups, a group its loss does not reach, or a report name used twice.
    public init(inputType: TensorType, labelType: TensorType, _ body: @escaping Body) throws {
        (self.inputType, self.labelType, self.body) = (inputType, labelType, body)
        traced = try TrainingStep(tracing: body, inputType: inputType, labelType: labelType, dataParallel: nil)
    }
}

/// What a `CustomTrainingStep`'s body minimizes and reports, recorded into its trace.
public final class CustomStepContext {
    let trace: Trace
    let count: Tensor
    let dataParallel: DataParallel?
    var groups: [ParameterGroup] = []
    /// The group (index into `groups`) each parameter named by a `minimize` so far belongs to.
    private var claimed: [ObjectIdentifier: Int] = [:]
    var reports: [(name: String, value: Tensor)] = []
    /// The modules minimized over, in order, and the parameters given by list outside them.
    var models: [any Module] = []
    var listedParameters: [Parameter] = []

    init(trace: Trace, count: Tensor, dataParallel: DataParallel?) {
        (self.trace, self.count, self.dataParallel) = (trace, count, dataParallel)
    }

    /// Updates `module`'s trained parameters (trainable, not frozen) with `optimizer` to lower
    /// `loss`; later code reads their new values.
    public func minimize(_ loss: Tensor, over module: any Module, with optimizer: any Optimizer) throws {
        if !models.contains(where: { $0 === module }) { models.append(module) }
        let named = module.namedParameters.filter { $0.1.trainable && !$0.1.frozen }
        try minimize(loss, named: named, with: optimizer, what: "\(type(of: module))")
    }

    /// Updates the trainable, unfrozen ones of `parameters` with `optimizer` to lower `loss`.
    public func minimize(_ loss: Tensor, over parameters: [Parameter], with optimizer: any Optimizer) throws {
        for p in parameters where !listedParameters.contains(where: { $0 === p }) { listedParameters.append(p) }
        let named = parameters.filter { $0.trainable && !$0.frozen }.map { ($0.name, $0) }
        try minimize(loss, named: named, with: optimizer, what: "[" + named.map(\.0).joined(separator: ", ") + "]")
    }

    /// Adds `value` (a scalar) to the step's results under `name`; `Trainer.lastReport[name]`
    /// holds it after each observed step.
    public func report(_ name: String, _ value: Tensor) throws {
        guard !reports.contains(where: { $0.name == name }) else {
            throw KilnError("report '\(name)' is given twice in the custom step; give each reported value its own name")
        }
        guard value.type.count == 1, value.dtype.isFloat else {
            throw KilnError("report '\(name)' must be a scalar float, got \(value.type)")
        }
        reports.append((name, try value.reshaped([])))
    }

    private func minimize(_ loss: Tensor, named: [(String, Parameter)], with optimizer: any Optimizer, what: String) throws {
        let place = "minimize #\(groups.count + 1) (over \(what))"
        guard loss.type.count == 1, loss.dtype.isFloat else { throw KilnError("\(place): the loss must be a scalar float, got \(loss.type)") }
        try optimizer.checkArguments()
        for (name, p) in named {
            if let earlier = claimed[ObjectIdentifier(p)] {
                throw KilnError("\(place): parameter \(name) is already trained by minimize #\(earlier + 1); a parameter belongs to one group")
            }
        }
        for (_, p) in named { claimed[ObjectIdentifier(p)] = groups.count }
        let members = Set(named.map { ObjectIdentifier($0.1) })
        // The group: its members read so far, in the order the trace first read them.
        let parameters = trace.parameters.filter { members.contains(ObjectIdentifier($0)) }
        let b = trace.builder
        var current: [Value] = []
        for p in parameters { current.append(try trace.value(of: p.tensor)) }
        let lossValue = try trace.value(of: try loss.reshaped([]))
        // The trace so far as a function returning the loss (its values keep their names), cut to
        // what the loss needs; its gradient is inlined, and CSE merges the copy of the forward pass.
        var forward = b.finish(returning: [lossValue])
        guard gradientReaches(forward, from: current).contains(true) else {
            throw KilnError("\(place): the loss has no gradient path to any trained parameter of the group (\(named.map(\.0).joined(separator: ", ")))" +
                            "; compute the loss from them without detached(), or unfreeze them")
        }
        let arguments = forward.params
        _ = try DeadCodeElimination().run(on: &forward)
        let gradient = try grad(forward, wrt: current.map(b.name(of:)), name: "group\(groups.count + 1)_grad")
        let localGrads = try b.inline(gradient, arguments: arguments).dropFirst().map { Tensor(traced: $0, in: trace) }
        let grads = try dataParallel?.allReduce(localGrads, in: trace) ?? localGrads
        let states = parameters.map { p in (0..<optimizer.stateCount).map { trace.input("\(p.name).state\($0)", p.type) } }
        let tensors = current.map { Tensor(traced: $0, in: trace) }
        let updated = try optimizer.applyUpdates(parameters: tensors, grads: grads, states: states, step: count)
        for (p, new) in zip(parameters, updated.parameters) { trace.rebind(p, to: try trace.value(of: try new.detached())) }
        groups.append(ParameterGroup(parameters: parameters, optimizer: optimizer, inputs: tensors, states: states,
                                     updated: updated, forward: forward, gradient: gradient))
    }
}

/// One `minimize` of a custom step: its parameters and their inputs, state inputs and updates.
struct ParameterGroup {
    let parameters: [Parameter]
    let optimizer: any Optimizer
    let inputs: [Tensor]
    let states: [[Tensor]]
    let updated: (parameters: [Tensor], states: [[Tensor]])
    /// The trace up to the group's loss as a function returning it, and its gradient.
    let forward: Function, gradient: Function
}

/// The models a custom step trains, as one module for checkpoints and parameter names:
/// `models.0.<path>` for the first module minimized over, ..., `listed.0` for parameters
/// minimized by list and `buffers.0` for other parameters the step reads.
final class CustomStepModels: Module {
    let models: [any Module]
    let listed: [Parameter]
    let buffers: [Parameter]

    init(models: [any Module], listed: [Parameter], buffers: [Parameter]) {
        self.models = models
        let inModels = Set(models.flatMap(\.parameters).map(ObjectIdentifier.init))
        self.listed = listed.filter { !inModels.contains(ObjectIdentifier($0)) }
        let named = inModels.union(self.listed.map(ObjectIdentifier.init))
        self.buffers = buffers.filter { !named.contains(ObjectIdentifier($0)) }
    }

    func forward(_ x: Tensor) throws -> Tensor {
        throw KilnError("the models of a custom training step are not one function; call each model itself")
    }
}

extension TrainingStep {
    /// Traces a custom step's `body` into one step function in signature order; with
    /// `dataParallel`, each group's gradients are averaged over the ranks before its update.
    init(tracing body: CustomTrainingStep.Body, inputType: TensorType, labelType: TensorType,
         dataParallel: DataParallel?) throws {
        let trace = Trace(name: "train_step")
        let x = trace.input("x", inputType), y = trace.input("y", labelType)
        let count = trace.input("step", TensorType(.f32, []))
        if let dataParallel { trace.drawKeyMapping = { k throws(KilnError) in try dataParallel.rankKey(k, in: trace) } }
        let context = CustomStepContext(trace: trace, count: count, dataParallel: dataParallel)
        let value = try body(context, x, y)
        guard value.type.count == 1, value.dtype.isFloat else {
            throw KilnError("the custom step must return its loss, a scalar float, got \(value.type)")
        }
        let loss = try value.reshaped([])
        guard let first = context.groups.first else {
            throw KilnError("the custom step minimizes nothing; call minimize(_:over:with:) on its context at least once")
        }
        let groups = context.groups
        let trained = Set(groups.flatMap(\.parameters).map(ObjectIdentifier.init))
        let buffers = trace.parameters.filter { !trained.contains(ObjectIdentifier($0)) }
        let bufferInputs = buffers.map(\.tensor)
        let updates = Dictionary(trace.bufferUpdates.map { (ObjectIdentifier($0.0), $0.1) }, uniquingKeysWith: { _, last in last })
        let results = [loss] + groups.flatMap(\.updated.parameters) + groups.flatMap { $0.updated.states.flatMap { $0 } }
            + zip(buffers, bufferInputs).map { p, input in updates[ObjectIdentifier(p)] ?? input } + context.reports.map(\.value)
        var resultValues: [Value] = []
        for r in results { resultValues.append(try trace.value(of: r)) }
        let key = trace.usesRandomKey ? [trace.randomKey] : []
        let ordered = [x, y, count] + key + groups.flatMap(\.inputs) + groups.flatMap { $0.states.flatMap { $0 } } + bufferInputs
        var params: [Value] = []
        for t in ordered { params.append(try trace.value(of: t)) }
        var function = trace.builder.finish(returning: resultValues)
        guard Set(params) == Set(function.params), params.count == function.params.count else {
            throw KilnError.internal("the custom step's inputs are not its parameters, state and buffers")
        }
        function.params = params
        // Merge the gradients' copies of the forward pass (and of earlier updates) into the traced
        // code, so the step — interpreted too — computes each once.
        _ = try CommonSubexpressionElimination().run(on: &function)
        _ = try DeadCodeElimination().run(on: &function)
        signature = TrainingStepSignature(usesRandomKey: trace.usesRandomKey,
                                          stateCounts: groups.flatMap { $0.states.map(\.count) },
                                          bufferCount: buffers.count, reportCount: context.reports.count)
        guard signature.describes(function) else { throw KilnError.internal("the traced step does not have its signature's layout") }
        let labelValue = try trace.value(of: y)
        labelClasses = trace.labelBounds.filter { $0.value == labelValue }.map(\.classes).min()
        self.function = function
        (lossFunction, gradientFunction) = (first.forward, first.gradient)
        parameters = groups.flatMap(\.parameters)
        self.buffers = buffers
        reportNames = context.reports.map(\.name)
        custom = (CustomStepModels(models: context.models, listed: context.listedParameters, buffers: buffers),
                  groups.map(\.optimizer))
    }
}
