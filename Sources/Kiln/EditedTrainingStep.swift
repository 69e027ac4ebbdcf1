import KilnIR

// A training step edited by hand (or by a tool) as text — `dumpIR`'s `train_step.kir` — and given
// back to a `Trainer` (`Trainer(stepFunction:)`), which runs it in place of the traced one.

extension TrainingStep {
    /// This step running `function` instead: it must verify and have exactly the traced step's
    /// inputs and results (`TrainingStepSignature`: batch, step, random key, parameters, optimizer
    /// state, buffers; loss and their new values), else the error names the first that differs.
    public func replacingFunction(_ edited: Function) throws(KilnError) -> TrainingStep {
        try verify(edited)
        let what = "the edited step @\(edited.name)"
        let needs = function.paramTypes, has = edited.paramTypes
        guard has.count == needs.count else {
            throw KilnError("\(what) takes \(has.count) inputs, but this model and optimizer's training step takes \(needs.count) (\(inputRoles.joined(separator: ", "))); edit the train_step.kir that dumpIR wrote for this Trainer")
        }
        for i in needs.indices where has[i] != needs[i] {
            throw KilnError("\(what): input \(i) (%\(edited.name(of: edited.params[i]))) is \(has[i]), but the signature needs \(needs[i]) there: \(inputRoles[i])")
        }
        let results = function.resultTypes
        guard edited.resultTypes.count == results.count else {
            throw KilnError("\(what) returns \(edited.resultTypes.count) results, but the signature needs \(results.count): the loss, then the new value of each parameter, optimizer state and buffer, in input order, then the reports")
        }
        for i in results.indices where edited.resultTypes[i] != results[i] {
            let role = i == signature.loss ? "the loss"
                : signature.reports.contains(i) ? "the report \(reportNames[i - signature.reports.lowerBound])"
                : "the new value of " + inputRoles[signature.carried.lowerBound + i - signature.carriedResults.lowerBound]
            throw KilnError("\(what): result \(i) is \(edited.resultTypes[i]), but the signature needs \(results[i]) there: \(role)")
        }
        var step = self
        step.function = edited
        return step
    }

    /// What each input of the step holds, e.g. `parameter weight`, `optimizer state 1 of weight`.
    var inputRoles: [String] {
        var roles = ["the input batch x", "the labels y", "the step count"]
        if signature.randomKey != nil { roles.append("the random key") }
        roles += parameters.map { "parameter \($0.name)" }
        for (p, n) in zip(parameters, stateCounts) { roles += (0..<n).map { "optimizer state \($0) of \(p.name)" } }
        return roles + buffers.map { "buffer \($0.name)" }
    }
}
