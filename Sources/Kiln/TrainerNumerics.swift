import KilnIR
import KilnRuntime

extension Trainer {
    /// The error for a NaN or infinite `loss` at update `count` on the batch `(x, y)`, an update
    /// the trainer did not apply. With `checkNumerics`, it also names the first instruction of the
    /// training step that produced NaN or infinity on this batch.
    func nonFiniteLossError(_ loss: Double, step count: Int, _ x: HostTensor, _ y: HostTensor) -> KilnError {
        var message = "the loss became \(numberText(loss)) at step \(count); training stopped without that update, so parameters, " +
            "optimizer state and step count are as they were before it (lower the learning rate, or clip the gradient norm)"
        if checkNumerics {
            do {
                message += "\n" + (try numericsDiagnosis(step: count, x, y))
            } catch {
                message += "\nthe numerics check could not run: \(error)"
            }
        }
        return KilnError(message)
    }

    /// Runs the training step for update `count` on `(x, y)` with the reference interpreter,
    /// instruction by instruction, and describes the first value that is not finite.
    private func numericsDiagnosis(step count: Int, _ x: HostTensor, _ y: HostTensor) throws -> String {
        guard let step = try tracedStep ?? loss.map({ try TrainingStep(model: model, loss: $0, optimizer: optimizer, inputType: x.type, labelType: y.type) }) else {
            throw KilnError.internal("a trainer with neither a traced step nor a loss")
        }
        let index = Dictionary(parameters.enumerated().map { (ObjectIdentifier($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
        var slots: [[HostTensor]] = []
        for p in step.parameters {
            guard let i = index[ObjectIdentifier(p)] else { throw KilnError.internal("the traced step trains a parameter the trainer does not") }
            slots.append(states[i])
        }
        let inputs = try stepInputs(step, x, y, count: count, states: slots)
        guard case .failure(let found) = try interpretCheckingNumerics(step.function, inputs: inputs) else {
            return "check numerics: the reference interpreter computes only finite values in this step; the compiled code disagrees with it here"
        }
        let names = parameterNames(of: step)
        var text = "check numerics: \(found)"
        if let location = found.location { text += "\n  traced at \(location)" }
        if let i = found.instruction {
            let nearest = nearestParameters(of: i, in: step.function) { names[$0] != nil }
            if !nearest.isEmpty { text += "\n  nearest parameters: " + nearest.compactMap { names[$0] }.joined(separator: ", ") }
        } else if let name = names[found.value] {
            text += "\n  that input is \(name)"
        }
        return text
    }

    /// The model's name for each parameter of `step.function` that holds a parameter
    /// (`layers.0.weight`), its optimizer state (`optimizer state 0 of layers.0.weight`) or a buffer.
    private func parameterNames(of step: TrainingStep) -> [Value: String] {
        let paths = Dictionary(model.namedParameters.map { (ObjectIdentifier($0.1), $0.0) }, uniquingKeysWith: { a, _ in a })
        func path(_ p: Parameter) -> String { paths[ObjectIdentifier(p)] ?? p.name }
        let owners = step.parameters.map { (path($0), "") }
            + zip(step.parameters, step.stateCounts).flatMap { p, n in (0..<n).map { ("optimizer state \($0) of ", path(p)) } }
            + step.buffers.map { (path($0), "") }
        let values = step.function.params[step.signature.carried]
        return Dictionary(zip(values, owners.map { $0.0 + $0.1 }), uniquingKeysWith: { a, _ in a })
    }
}
