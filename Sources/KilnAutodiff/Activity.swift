import KilnIR

/// For every value of `f` (by id), whether it lies on a differentiable path from one of `sources`
/// to `target`: only those values get a cotangent.
func activeValues(of f: Function, from sources: [Value], to target: Value) -> [Bool] {
    let flows = f.body.map {
        differentiableOperands(of: $0.op, operandTypes: $0.operands.map(f.type(of:)), resultType: f.type(of: $0.results[0]))
    }
    var varied = [Bool](repeating: false, count: f.values.count)
    for s in sources { varied[s.id] = true }
    for (inst, flow) in zip(f.body, flows) where zip(inst.operands, flow).contains(where: { $1 && varied[$0.id] }) {
        for r in inst.results { varied[r.id] = true }
    }
    var useful = [Bool](repeating: false, count: f.values.count)
    useful[target.id] = true
    for (inst, flow) in zip(f.body, flows).reversed() where inst.results.contains(where: { useful[$0.id] }) {
        for (operand, flows) in zip(inst.operands, flow) where flows { useful[operand.id] = true }
    }
    return zip(varied, useful).map { $0 && $1 }
}

/// For each of `sources` (parameters of `f`), whether `f`'s first result depends on it along
/// differentiable operands (not only through `stop_gradient`, comparisons or indices), so that
/// `grad` has a path from it to the loss.
public func gradientReaches(_ f: Function, from sources: [Value]) -> [Bool] {
    guard let loss = f.results.first else { return sources.map { _ in false } }
    let active = activeValues(of: f, from: sources, to: loss)
    return sources.map { active[$0.id] }
}
