import KilnIR

/// Cotangent of `x` for `y = u(x)`.
func unaryPullback<E: GradientEmitter>(_ u: UnaryOp, _ x: E.Handle, _ y: E.Handle, _ ct: E.Handle,
                                       _ e: E) throws(KilnError) -> E.Handle {
    switch u {
    case .neg: return try e.neg(ct)
    case .abs: return try e.mul(ct, e.unary(.sign, x))  // sign(0) = 0
    case .relu:  // y > 0 exactly where x > 0 (NaN: neither): reading y lets x die after the forward
        let zeros = try e.zeros(like: y)
        return try e.select(e.compare(y, .gt, zeros), ct, zeros)
    case .exp: return try e.mul(ct, y)
    case .log: return try e.div(ct, x)
    case .sqrt: return try e.div(e.scale(ct, by: 0.5), y)
    case .rsqrt: return try e.mul(ct, e.scale(e.mul(e.mul(y, y), y), by: -0.5))
    case .tanh: return try e.mul(ct, e.sub(e.constant(1, like: y), e.mul(y, y)))
    case .sigmoid: return try e.mul(ct, e.mul(y, e.sub(e.constant(1, like: y), y)))
    case .sin: return try e.mul(ct, e.unary(.cos, x))
    case .cos: return try e.neg(e.mul(ct, e.unary(.sin, x)))
    case .sign, .floor, .stopGradient: return try e.zeros(like: x)  // piecewise constant, or cut
    }
}

/// Cotangents of `lhs` and `rhs` (where wanted) for `y = b(lhs, rhs)`.
func binaryPullback<E: GradientEmitter>(_ b: BinaryOp, want: [Bool], _ lhs: E.Handle, _ rhs: E.Handle, _ y: E.Handle,
                                        _ ct: E.Handle, _ e: E) throws(KilnError) -> [E.Handle?] {
    switch b {
    case .add:
        return try perOperand(want) { _ in ct }
    case .sub:
        return try perOperand(want) { i throws(KilnError) in i == 0 ? ct : try e.neg(ct) }
    case .mul:
        return try perOperand(want) { i throws(KilnError) in try e.mul(ct, i == 0 ? rhs : lhs) }
    case .div:
        return try perOperand(want) { i throws(KilnError) in i == 0 ? try e.div(ct, rhs) : try e.neg(e.div(e.mul(ct, y), rhs)) }
    case .pow:
        let zeros = try e.zeros(like: ct)
        return try perOperand(want) { i throws(KilnError) in
            if i == 0 {  // rhs * lhs^(rhs-1), taken as 0 where rhs = 0 (y is constant 1 there)
                let slope = try e.mul(rhs, e.binary(.pow, lhs, e.sub(rhs, e.constant(1, like: rhs))))
                return try e.mul(ct, e.select(e.compare(rhs, .eq, zeros), zeros, slope))
            }
            // y * log(lhs), with log(1) = 0 where lhs = 0 (the limit of lhs^rhs * log(lhs) for rhs > 0)
            let base = try e.select(e.compare(lhs, .eq, zeros), e.constant(1, like: lhs), lhs)
            return try e.mul(ct, e.mul(y, e.unary(.log, base)))
        }
    case .max, .min:
        // The forward returns lhs where lhs > rhs (max) or lhs < rhs (min), else rhs: ties go to rhs.
        let lhsWins = try e.compare(lhs, b == .max ? .gt : .lt, rhs)
        let zeros = try e.zeros(like: ct)
        return try perOperand(want) { i throws(KilnError) in try route(ct, lhsWins, to: i == 0, zeros, e) }
    }
}

/// `ct` where `condition` equals `side`, `zeros` elsewhere: the cotangent of one branch of a choice.
func route<E: GradientEmitter>(_ ct: E.Handle, _ condition: E.Handle, to side: Bool, _ zeros: E.Handle,
                               _ e: E) throws(KilnError) -> E.Handle {
    side ? try e.select(condition, ct, zeros) : try e.select(condition, zeros, ct)
}
