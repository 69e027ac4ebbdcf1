import KilnIR
import KilnTestSupport

/// `f` rebuilt with, after some instructions, a chain of ops that computes its result unchanged
/// (bit for bit): `x * 1`, `neg(neg(x))`, a transpose and its inverse, a round trip through a
/// wider dtype... Later uses read the end of the chain. `simplify` should remove every chain.
func injectingIdentities(into f: Function, using rng: inout SplitMix64) throws(KilnError) -> Function {
    let b = FunctionBuilder(name: f.name)
    var mapped: [Int: Value] = [:]
    for p in f.params { mapped[p.id] = b.parameter(f.name(of: p), f.type(of: p)) }
    func map(_ v: Value) -> Value { mapped[v.id] ?? v }
    for inst in f.body {
        var r = try b.emit(inst.op, inst.operands.map(map), name: f.name(of: inst.results[0]))
        if Bool.random(using: &rng) {
            r = try identity(of: r, in: b, using: &rng)
        }
        mapped[inst.results[0].id] = r
    }
    return b.finish(returning: f.results.map(map))
}

/// Chains of ops that give their operand back exactly.
private enum IdentityChain: CaseIterable {
    case reshapeTwice, broadcastToItself, wholeSlice, reverseTwice, concatenateOne, padByNothing, selectTrue
    case transposeAndInverse, wideningRoundTrip
    case mulOne, divOne, addNegativeZero, subZero, negTwice, maxSelf, maxOverUnitAxis
}

/// A random chain of ops that gives `x` back exactly.
private func identity(of x: Value, in b: FunctionBuilder, using rng: inout SplitMix64) throws(KilnError) -> Value {
    let type = b.type(of: x)
    let (dtype, shape, rank) = (type.dtype, type.shape, type.rank)
    let wider: DType? = [.f32: .f64, .i32: .i64, .bool: .i32][dtype]
    let applicable = IdentityChain.allCases.filter { chain in
        switch chain {
        case .concatenateOne, .transposeAndInverse: return rank >= 1
        case .wideningRoundTrip: return wider != nil
        case .mulOne, .divOne, .addNegativeZero, .subZero, .negTwice, .maxSelf, .maxOverUnitAxis: return dtype.isNumeric
        default: return true
        }
    }
    func splat(_ s: Scalar, _ t: TensorType) throws(KilnError) -> Value {
        try b.emit(.constant(.splat(s.cast(to: t.dtype)), t), [])
    }
    let zeros = Array(repeating: 0, count: rank)
    switch applicable[Int.random(in: 0..<applicable.count, using: &rng)] {
    case .reshapeTwice:
        return try b.emit(.reshape(shape: shape), [try b.emit(.reshape(shape: [type.count]), [x])])
    case .broadcastToItself:
        return try b.emit(.broadcastInDim(shape: shape, dims: Array(0..<rank)), [x])
    case .wholeSlice:
        return try b.emit(.slice(start: zeros, limit: shape, stride: Array(repeating: 1, count: rank)), [x])
    case .reverseTwice:
        let axes = (0..<rank).filter { _ in Bool.random(using: &rng) }
        return try b.emit(.reverse(axes: axes), [try b.emit(.reverse(axes: axes), [x])])
    case .concatenateOne:
        return try b.emit(.concatenate(axis: Int.random(in: 0..<rank, using: &rng)), [x])
    case .padByNothing:
        return try b.emit(.pad(low: zeros, high: zeros, value: Scalar.int(0).cast(to: dtype)), [x])
    case .selectTrue:
        return try b.emit(.select, [try splat(.bool(true), type.with(dtype: .bool)), x, try splat(.int(0), type)])
    case .transposeAndInverse:
        let perm = (0..<rank).shuffled(using: &rng)
        var inverse = perm
        for (k, p) in perm.enumerated() { inverse[p] = k }
        return try b.emit(.transpose(perm: inverse), [try b.emit(.transpose(perm: perm), [x])])
    case .wideningRoundTrip:
        return try b.emit(.convert(dtype), [try b.emit(.convert(wider ?? dtype), [x])])
    case .mulOne:
        return try b.emit(.binary(.mul), [x, try splat(.int(1), type)])
    case .divOne:
        return try b.emit(.binary(.div), [x, try splat(.int(1), type)])
    case .addNegativeZero:
        return try b.emit(.binary(.add), [try splat(dtype.isFloat ? .float(-0.0) : .int(0), type), x])
    case .subZero:
        return try b.emit(.binary(.sub), [x, try splat(.int(0), type)])
    case .negTwice:
        return try b.emit(.unary(.neg), [try b.emit(.unary(.neg), [x])])
    case .maxSelf:
        return try b.emit(.binary(.max), [x, x])
    case .maxOverUnitAxis:
        return try b.emit(.reduce(.max, axes: [rank]), [try b.emit(.reshape(shape: shape + [1]), [x])])
    }
}
