import KilnIR

/// Reverse-mode gradient of `f` as a new function.
///
/// `f`'s first result must be a scalar float (the loss); `wrt` names float parameters (without
/// `%`). The result, named `name` (default `<f>_grad`), has `f`'s parameters and returns `f`'s
/// results followed by the gradient of the loss with respect to each listed parameter, of the
/// parameter's type (zeros when the loss does not depend on it).
///
/// The body is `f`'s body followed by the backward pass: instructions are visited last to first
/// and each one's `pullback` turns its result's cotangent into its operands' cotangents, which
/// add up where a value is used more than once (slices of one value are assembled by one
/// `concatenate`, and products sharing an operand summed as one product: `CotangentSums`). Only values on a path from a listed parameter
/// to the loss are differentiated, and the backward pass reads forward values instead of
/// recomputing them. The result is a plain function, so it can be differentiated again.
public func grad(_ f: Function, wrt: [String], name: String? = nil) throws(KilnError) -> Function {
    try verify(f)
    guard let loss = f.results.first, f.type(of: loss).rank == 0, f.type(of: loss).dtype.isFloat else {
        let got = f.resultTypes.first.map { "its first result is \($0)" } ?? "it returns nothing"
        throw KilnError("cannot differentiate @\(f.name): \(got), but grad needs a scalar f32 or f64 loss as the first result (reduce it with reduce_sum)")
    }
    let sources = try differentiableParameters(of: f, named: wrt)
    let gradName = name ?? f.name + "_grad"
    guard isValidIdentifier(gradName) else {
        throw KilnError("invalid function name '\(gradName)': use one or more of A-Z a-z 0-9 _ .")
    }

    let builder = FunctionBuilder(name: gradName)
    let forward = try builder.replay(f, arguments: f.params.map { builder.parameter(f.name(of: $0), f.type(of: $0)) })
    let active = activeValues(of: f, from: sources, to: loss)
    var emitter = BuilderEmitter(builder)
    var cotangents = CotangentSums(f, active: active)
    try cotangents.add(emitter.constant(1, f.type(of: loss)), to: loss, emitter)
    for inst in f.body.reversed() {
        let result = inst.results[0]
        guard active[result.id] else { continue }
        emitter.location = inst.location
        guard let ct = try cotangents.take(result, f.type(of: result), emitter) else { continue }
        var operands: [Value] = []
        for v in inst.operands { operands.append(try forward.lookup(v, in: f)) }
        var wanted = inst.operands.map { active[$0.id] }
        switch inst.op {
        case let .slice(start, _, stride) where wanted[0] && stride.allSatisfy({ $0 == 1 }) && cotangents.collectsPieces(of: inst.operands[0]):
            cotangents.addPiece(ct, start: start, to: inst.operands[0])
            continue
        case let .matmul(ta, tb) where operands.allSatisfy({ emitter.type(of: $0).rank == 2 }):
            for (i, v) in inst.operands.enumerated() where wanted[i] && cotangents.collectsProducts(of: v) {
                let p = matmulPullbackProduct(transposeA: ta, transposeB: tb, operand: i, operands[0], operands[1], ct)
                cotangents.addProduct(transposeA: p.transposeA, transposeB: p.transposeB, p.lhs, p.rhs, to: v)
                wanted[i] = false
            }
        default:
            break
        }
        let contributions: [Value?]
        do {
            contributions = try pullback(of: inst.op, operands: operands, result: forward.lookup(result, in: f),
                                         cotangent: ct, wanted: wanted, emitter: emitter)
        } catch {
            throw KilnError("cannot differentiate %\(f.name(of: result)) = \(inst.op.name)(...): \(error.message)", at: inst.location)
        }
        for (operand, contribution) in zip(inst.operands, contributions) {
            guard let contribution else { continue }
            try cotangents.add(contribution, to: operand, emitter)
        }
    }
    var results: [Value] = []
    for v in f.results { results.append(try forward.lookup(v, in: f)) }
    for s in sources {
        if let ct = try cotangents.take(s, f.type(of: s), emitter) {
            results.append(ct)
        } else {
            results.append(try emitter.zeros(like: forward.lookup(s, in: f)))
        }
    }
    var g = builder.finish(returning: results)
    nameCotangents(in: &g, of: f, sources: sources, cotangents: cotangents.settled, forward: forward)
    return g
}

/// The parameters of `f` named in `names` (a leading `%` is allowed), each a float.
private func differentiableParameters(of f: Function, named names: [String]) throws(KilnError) -> [Value] {
    guard !names.isEmpty else {
        throw KilnError("grad of @\(f.name) needs at least one parameter to differentiate with respect to")
    }
    var found: [Value] = []
    for raw in names {
        let name = raw.hasPrefix("%") ? String(raw.dropFirst()) : raw
        guard let p = f.params.first(where: { f.name(of: $0) == name }) else {
            let list = f.params.map { "%" + f.name(of: $0) }.joined(separator: ", ")
            throw KilnError("@\(f.name) has no parameter %\(name); its parameters are \(list.isEmpty ? "none" : list)")
        }
        guard f.type(of: p).dtype.isFloat else {
            throw KilnError("cannot differentiate @\(f.name) with respect to %\(name): its type \(f.type(of: p)) is not f32 or f64")
        }
        guard !found.contains(p) else { throw KilnError("parameter %\(name) of @\(f.name) is listed twice") }
        found.append(p)
    }
    return found
}

/// Renames the backward values that hold a cotangent `d_<value>`: the listed parameters first,
/// then the other values from last to first (a cotangent shared by several values, like the
/// operands of `add`, is named after the first of them in that order).
private func nameCotangents(in g: inout Function, of f: Function, sources: [Value], cotangents: ValueMap,
                            forward: ValueMap) {
    var settled = Set(f.values.indices.compactMap { forward[Value($0)] })  // forward copies keep their names
    var used = Set(g.values.map(\.name))
    let order = sources + f.values.indices.reversed().map(Value.init).filter { !sources.contains($0) }
    for v in order {
        guard let ct = cotangents[v], settled.insert(ct).inserted else { continue }
        let base = "d_" + f.name(of: v)
        var name = base
        var k = 1
        while used.contains(name) {
            name = "\(base).\(k)"
            k += 1
        }
        used.insert(name)
        g.values[ct.id].name = name
    }
}
