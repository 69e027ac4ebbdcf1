import KilnIR

/// The vector-Jacobian product of one op: given its operands, its result and the cotangent of the
/// result, the cotangent of each operand — `nil` where the operand is not differentiable (see
/// `differentiableOperands`) or not `wanted` (default: all are wanted).
///
/// Rules reuse `result` where the derivative is expressed through it (exp, tanh, sigmoid, sqrt,
/// rsqrt, div, pow, reduce_max/min), so the forward pass is never recomputed. Ties follow what
/// the forward computes: `max`/`min` send the cotangent to the operand they return (the second
/// one on ties), `relu'(0) = abs'(0) = 0`, `reduce_max`/`reduce_min` split it evenly among the
/// positions equal to the result, and `max_pool2d` sends it to the first maximum of each window.
public func pullback<E: GradientEmitter>(
    of op: Op, operands x: [E.Handle], result y: E.Handle, cotangent ct: E.Handle,
    wanted: [Bool]? = nil, emitter e: E
) throws(KilnError) -> [E.Handle?] {
    if case .fused = op {
        throw KilnError("'fused' has no gradient rule: differentiate before fusing (run grad before the fuse pass)")
    }
    if let wanted, wanted.count != x.count {
        throw KilnError("pullback of '\(op.name)' got \(wanted.count) wanted flags for \(x.count) operands")
    }
    let resultType = try inferResultTypes(op, x.map(e.type(of:)))[0]
    guard e.type(of: y) == resultType, e.type(of: ct) == resultType else {
        throw KilnError("pullback of '\(op.name)' needs a result and a cotangent of type \(resultType), got \(e.type(of: y)) and \(e.type(of: ct))")
    }
    let differentiable = differentiableOperands(of: op, operandTypes: x.map(e.type(of:)), resultType: resultType)
    let want = x.indices.map { differentiable[$0] && (wanted?[$0] ?? true) }
    let none = [E.Handle?](repeating: nil, count: x.count)
    guard want.contains(true) else { return none }
    func each(_ rule: (Int) throws(KilnError) -> E.Handle) throws(KilnError) -> [E.Handle?] {
        try perOperand(want, rule)
    }

    switch op {
    case .constant, .iota, .compare, .argmax, .oneHot, .rngUniform, .rngNormal, .fused:
        return none  // no differentiable operand, or no rule (fused): already returned above
    case .unary(let u):
        return try each { _ throws(KilnError) in try unaryPullback(u, x[0], y, ct, e) }
    case .binary(let b):
        return try binaryPullback(b, want: want, x[0], x[1], y, ct, e)
    case .select:
        let zeros = try e.zeros(like: ct)
        return try each { i throws(KilnError) in try route(ct, x[0], to: i == 1, zeros, e) }
    case .convert:
        return try each { _ throws(KilnError) in try e.convert(ct, to: e.type(of: x[0]).dtype) }
    case let .reduce(r, axes):
        return try each { _ throws(KilnError) in try reducePullback(r, axes: axes, x[0], y, ct, e) }
    case let .broadcastInDim(_, dims):
        return try each { _ throws(KilnError) in try e.unbroadcast(ct, to: e.type(of: x[0]).shape, dims: dims) }
    case .reshape:
        return try each { _ throws(KilnError) in try e.reshape(ct, to: e.type(of: x[0]).shape) }
    case .transpose(let perm):
        return try each { _ throws(KilnError) in try e.transpose(ct, perm: inversePermutation(perm)) }
    case let .slice(start, _, stride):
        return try each { _ throws(KilnError) in try slicePullback(start: start, stride: stride, shape: e.type(of: x[0]).shape, ct, e) }
    case .concatenate(let axis):
        return try each { i throws(KilnError) in try concatenatePullback(axis: axis, operand: i, x, ct, e) }
    case let .pad(low, _, _):
        return try each { _ throws(KilnError) in try e.slice(ct, start: low, limit: zip(low, e.type(of: x[0]).shape).map(+)) }
    case .reverse(let axes):
        return try each { _ throws(KilnError) in try e.reverse(ct, axes: axes) }
    case let .matmul(ta, tb):
        return try each { i throws(KilnError) in try matmulPullback(transposeA: ta, transposeB: tb, operand: i, x[0], x[1], ct, e) }
    case .conv2d(let a):
        return try each { i throws(KilnError) in try conv2dPullback(a, operand: i, x[0], x[1], ct, e) }
    case .conv2dTranspose(let a, _):
        return try each { i throws(KilnError) in try conv2dTransposePullback(a, operand: i, x[0], x[1], ct, e) }
    case .conv2dFilterGrad(let a, _):
        return try each { i throws(KilnError) in try conv2dFilterGradPullback(a, operand: i, x[0], x[1], ct, e) }
    case .maxPool2d(let p):
        return try each { _ throws(KilnError) in try e.emit(.maxPool2dGrad(p), [x[0], ct]) }
    case .avgPool2d(let p):
        return try each { _ throws(KilnError) in try e.emit(.avgPool2dGrad(p), [x[0], ct]) }
    case .maxPool2dGrad(let p):
        return try each { _ throws(KilnError) in try maxPoolGradPullback(p, x[0], ct, e) }
    case .avgPool2dGrad(let p):
        return try each { _ throws(KilnError) in try e.emit(.avgPool2d(p), [ct]) }
    case .gather(let axis):
        return try each { _ throws(KilnError) in try e.emit(.scatterAdd(axis: axis), [e.zeros(like: x[0]), x[1], ct]) }
    case .scatterAdd(let axis):
        return try each { i throws(KilnError) in i == 0 ? ct : try e.emit(.gather(axis: axis), [ct, x[1]]) }
    case .allReduce(let r):
        // Every process's result reads every process's operand: the cotangent of x on one process
        // is the sum of the result cotangents of all of them (divided by their number for mean).
        return try each { _ throws(KilnError) in try e.emit(.allReduce(r), [ct]) }
    }
}

/// `rule(i)` for every operand `i` that is wanted, nil for the others.
func perOperand<H>(_ want: [Bool], _ rule: (Int) throws(KilnError) -> H) throws(KilnError) -> [H?] {
    var out = [H?](repeating: nil, count: want.count)
    for i in want.indices where want[i] { out[i] = try rule(i) }
    return out
}
