import KilnIR

// Elementwise rules of `simplify`. A constant operand means a constant whose elements are all equal
// (`RewriteContext.splatScalar`); `fold` turns broadcasts of constants into such constants.

extension SimplifyRule {
    static let arithmetic: [SimplifyRule] = [
        identity("mul-one", .mul, commutes: true) { s, _ in s.isOne },
        identity("div-one", .div, commutes: false) { s, _ in s.isOne },
        // x + (-0.0) = x for every x, but x + (+0.0) turns -0.0 into +0.0.
        identity("add-zero", .add, commutes: true) { s, fastMath in s.isIntegerZero || s.isNegativeZero || (fastMath && s.isFloatZero) },
        // x - (+0.0) = x + (-0.0) = x, but x - (-0.0) turns -0.0 into +0.0.
        identity("sub-zero", .sub, commutes: false) { s, fastMath in s.isIntegerZero || s.isPositiveZero || (fastMath && s.isFloatZero) },
        SimplifyRule("mul-zero", mulZero),
        SimplifyRule("sub-self", subSelf),
        SimplifyRule("negate", negate),
        SimplifyRule("div-constant", divConstant),
        SimplifyRule("neg-neg", negNeg),
        SimplifyRule("abs-neg", absNeg),
        SimplifyRule("idempotent", idempotent),
        SimplifyRule("max-min-self", maxMinSelf),
        SimplifyRule("select-same", selectSame),
        SimplifyRule("select-constant", selectConstant),
        SimplifyRule("reduce-unit-axes", reduceUnitAxes),
    ]

    /// `x op e → x`, and `e op x → x` when `commutes`, for a constant `e` passing `isIdentity`.
    private static func identity(_ name: String, _ op: BinaryOp, commutes: Bool,
                                 _ isIdentity: @escaping @Sendable (Scalar, _ fastMath: Bool) -> Bool) -> SimplifyRule {
        SimplifyRule(name) { inst, context, fastMath in
            guard let (a, b) = operands(of: inst, op) else { return nil }
            if let s = context.splatScalar(of: b), isIdentity(s, fastMath) { return .replace(a) }
            if commutes, let s = context.splatScalar(of: a), isIdentity(s, fastMath) { return .replace(b) }
            return nil
        }
    }

    /// `x * 0 → 0`: integers; floats with fast-math (NaN * 0 and inf * 0 are NaN, -1 * 0 is -0).
    private static func mulZero(_ inst: Instruction, _ context: inout RewriteContext, _ fastMath: Bool) -> Rewrite? {
        guard let (a, b) = operands(of: inst, .mul), allowsInexact(inst, context, fastMath) else { return nil }
        guard [a, b].contains(where: { context.splatScalar(of: $0)?.isZero == true }) else { return nil }
        return zero(inst, context)
    }

    /// `x - x → 0`: integers; floats with fast-math (inf - inf and NaN - NaN are NaN).
    private static func subSelf(_ inst: Instruction, _ context: inout RewriteContext, _ fastMath: Bool) -> Rewrite? {
        guard let (a, b) = operands(of: inst, .sub), a == b, allowsInexact(inst, context, fastMath) else { return nil }
        return zero(inst, context)
    }

    /// `x * -1`, `-1 * x`, `0 - x → neg(x)`: integers (wrapping, so also for the minimum); floats
    /// with fast-math (neg flips a NaN's sign bit where the arithmetic keeps it, and 0 - 0 is +0).
    private static func negate(_ inst: Instruction, _ context: inout RewriteContext, _ fastMath: Bool) -> Rewrite? {
        guard allowsInexact(inst, context, fastMath) else { return nil }
        if let (a, b) = operands(of: inst, .mul) {
            if context.splatScalar(of: b)?.isMinusOne == true { return .update(.unary(.neg), [a]) }
            if context.splatScalar(of: a)?.isMinusOne == true { return .update(.unary(.neg), [b]) }
        }
        if let (a, b) = operands(of: inst, .sub), context.splatScalar(of: a)?.isZero == true {
            return .update(.unary(.neg), [b])
        }
        return nil
    }

    /// `x / c → x * (1/c)` for a float constant `c`: exact when `c` is a power of two whose
    /// reciprocal is representable (both sides are the correctly rounded `x * 2^-k`); any `c` with
    /// fast-math. The reciprocal is a new constant named after `c`.
    private static func divConstant(_ inst: Instruction, _ context: inout RewriteContext, _ fastMath: Bool) throws(KilnError) -> Rewrite? {
        guard let (x, c) = operands(of: inst, .div), case .float(let value)? = context.splatScalar(of: c) else { return nil }
        let type = context.type(of: c)
        let reciprocal: Double?
        switch type.dtype {
        case .f32: reciprocal = Float(value).reciprocal(exactOnly: !fastMath).map(Double.init)
        default: reciprocal = value.reciprocal(exactOnly: !fastMath)
        }
        guard let reciprocal else { return nil }
        let r = try context.emit(.constant(.splat(.float(reciprocal)), type), [], nameHint: context.name(of: c) + ".inv")
        return .update(.binary(.mul), [x, r])
    }

    /// `neg(neg(x)) → x` (two sign flips; integers wrap twice).
    private static func negNeg(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard inst.op == .unary(.neg), let x = operand(of: inst.operands[0], .unary(.neg), context) else { return nil }
        return .replace(x)
    }

    /// `abs(neg(x)) → abs(x)` (abs clears the sign bit neg flipped; for integers |-x| = |x|, wrapping).
    private static func absNeg(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard inst.op == .unary(.abs), let x = operand(of: inst.operands[0], .unary(.neg), context) else { return nil }
        return .update(.unary(.abs), [x])
    }

    /// `f(f(x)) → f(x)` for `abs`, `relu`, `floor` and `sign`, which map their results to themselves.
    private static func idempotent(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .unary(let u) = inst.op, [.abs, .relu, .floor, .sign].contains(u),
              operand(of: inst.operands[0], inst.op, context) != nil else { return nil }
        return .replace(inst.operands[0])
    }

    /// `max(x, x) → x`, `min(x, x) → x` (a NaN x is returned as is).
    private static func maxMinSelf(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard inst.op == .binary(.max) || inst.op == .binary(.min), inst.operands[0] == inst.operands[1] else { return nil }
        return .replace(inst.operands[0])
    }

    /// `select(c, x, x) → x`.
    private static func selectSame(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard inst.op == .select, inst.operands[1] == inst.operands[2] else { return nil }
        return .replace(inst.operands[1])
    }

    /// `select(true, a, b) → a`, `select(false, a, b) → b` for a constant condition.
    private static func selectConstant(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard inst.op == .select, case .bool(let c)? = context.splatScalar(of: inst.operands[0]) else { return nil }
        return .replace(inst.operands[c ? 1 : 2])
    }

    /// A reduction over axes of size 1 (or none) reads one element per result: `reduce_max` and
    /// `reduce_min` give it unchanged (they start from -inf/+inf or the integer extreme), so they
    /// become a `reshape` (or x itself). `reduce_sum` starts from 0, and `0 + -0.0` is `+0.0`: it
    /// follows for integers, and for floats with fast-math.
    private static func reduceUnitAxes(_ inst: Instruction, _ context: inout RewriteContext, _ fastMath: Bool) -> Rewrite? {
        guard case let .reduce(r, axes) = inst.op else { return nil }
        let x = inst.operands[0]
        guard axes.allSatisfy({ context.type(of: x).shape[$0] == 1 }),
              r != .sum || allowsInexact(inst, context, fastMath) else { return nil }
        let shape = context.type(of: inst.results[0]).shape
        return axes.isEmpty ? .replace(x) : .update(.reshape(shape: shape), [x])
    }

    private static func operands(of inst: Instruction, _ op: BinaryOp) -> (Value, Value)? {
        inst.op == .binary(op) ? (inst.operands[0], inst.operands[1]) : nil
    }

    /// The operand of the single-operand instruction defining `v`, when its op is `op`.
    private static func operand(of v: Value, _ op: Op, _ context: RewriteContext) -> Value? {
        guard let def = context.definition(of: v), def.op == op, def.operands.count == 1 else { return nil }
        return def.operands[0]
    }

    /// Whether a rule exact only for integers may rewrite `inst`.
    private static func allowsInexact(_ inst: Instruction, _ context: RewriteContext, _ fastMath: Bool) -> Bool {
        fastMath || context.type(of: inst.results[0]).dtype.isInteger
    }

    /// Rewrites `inst` as the constant zero of its type.
    private static func zero(_ inst: Instruction, _ context: RewriteContext) -> Rewrite {
        let type = context.type(of: inst.results[0])
        return .update(.constant(.splat(Scalar.int(0).cast(to: type.dtype)), type), [])
    }
}

extension Scalar {
    var isOne: Bool { self == .float(1) || self == .int(1) }
    var isMinusOne: Bool { self == .float(-1) || self == .int(-1) }
    var isIntegerZero: Bool { self == .int(0) }
    var isPositiveZero: Bool { self == .float(0) }
    var isNegativeZero: Bool { self == .float(-0.0) }
    var isFloatZero: Bool { isPositiveZero || isNegativeZero }
    var isZero: Bool { isIntegerZero || isFloatZero }
}

extension BinaryFloatingPoint {
    /// `1/self` when it is exactly the reciprocal (`self` a power of two whose reciprocal is
    /// representable), or any finite nonzero reciprocal when `exactOnly` is false.
    func reciprocal(exactOnly: Bool) -> Self? {
        let r = 1 / self
        guard isFinite, self != 0, r.isFinite, r != 0 else { return nil }
        return !exactOnly || (significand == 1 && r.significand == 1) ? r : nil
    }
}
