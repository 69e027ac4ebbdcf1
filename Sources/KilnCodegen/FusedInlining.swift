import KilnIR

/// `f` with the `fused` instructions at `indices` replaced by their bodies, op by op, as the
/// interpreter runs them: code generation's path for a hand-written body that its fused kernels
/// do not cover (a `slice` inside, say). Block arguments read the operands; each yielded value
/// is computed into the instruction's result (through a same-shape `reshape` when the body yields
/// a block argument or one value twice).
func inliningFused(_ f: Function, at indices: Set<Int>) -> Function {
    var g = f
    g.body = []
    for (index, inst) in f.body.enumerated() {
        guard indices.contains(index), case .fused(let body) = inst.op else {
            g.body.append(inst)
            continue
        }
        var outer: [Value: Value] = Dictionary(uniqueKeysWithValues: zip(body.params, inst.operands))
        var yieldedInto: [Value: Value] = [:]
        for (yielded, result) in zip(body.results, inst.results) where outer[yielded] == nil && yieldedInto[yielded] == nil {
            yieldedInto[yielded] = result
        }
        for bodyInst in body.body {
            let results = bodyInst.results.map { v in
                yieldedInto[v] ?? g.appendValue(body.values[v.id])
            }
            for (v, r) in zip(bodyInst.results, results) { outer[v] = r }
            g.body.append(Instruction(op: bodyInst.op, operands: bodyInst.operands.map { outer[$0] ?? $0 },
                                      results: results, location: bodyInst.location ?? inst.location))
        }
        for (yielded, result) in zip(body.results, inst.results) {
            guard let source = outer[yielded], source != result else { continue }
            g.body.append(Instruction(op: .reshape(shape: f.type(of: result).shape), operands: [source],
                                      results: [result], location: inst.location))
        }
    }
    return g
}

private extension Function {
    mutating func appendValue(_ info: ValueInfo) -> Value {
        values.append(info)
        return Value(values.count - 1)
    }
}
