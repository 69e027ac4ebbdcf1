/// `f` with its values renumbered in definition order (parameters, then instruction results,
/// then any value never defined) and every source location removed, in `fused` bodies too. Two
/// functions that print the same have equal structural forms, whatever order their values were
/// created in and wherever they were parsed from; equal structural forms print the same. Building
/// and hashing it is linear in the size of `f`.
public func structuralForm(_ f: Function) -> Function {
    let inRange = f.values.indices
    var renumbered = [Int](repeating: -1, count: f.values.count)
    var next = 0
    for v in f.params + f.body.flatMap(\.results) + inRange.map(Value.init) where inRange.contains(v.id) && renumbered[v.id] < 0 {
        renumbered[v.id] = next
        next += 1
    }
    func map(_ v: Value) -> Value { inRange.contains(v.id) ? Value(renumbered[v.id]) : v }
    var values = f.values
    for (id, info) in f.values.enumerated() { values[renumbered[id]] = info }
    let body = f.body.map { inst in
        var op = inst.op
        if case .fused(let kernel) = op { op = .fused(structuralForm(kernel)) }
        return Instruction(op: op, operands: inst.operands.map(map), results: inst.results.map(map))
    }
    return Function(name: f.name, params: f.params.map(map), values: values, body: body,
                    results: f.results.map(map), resultTypes: f.resultTypes)
}
