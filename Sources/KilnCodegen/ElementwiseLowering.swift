import KilnIR

// Elementwise ops: one loop over the flat elements, `out[i] = expression(operands[i])`.
// The IR's semantic rules (NaN propagation, wrapping integers, division by zero, saturation)
// live in prelude helpers; plain C operators are used where C already agrees with docs/ir.md.

extension KernelBuilder {
    /// `out[i] = expression(i)` over `count` elements of `cost` each (`elementCost`), on the
    /// pool's threads when the loop is large enough (chunks of 64 elements).
    mutating func elementwise<E: Error>(_ count: Int, cost: Int = 1,
                                        _ expression: (inout KernelBuilder, String) throws(E) -> String) throws(E) {
        try parallelFor(count, grain: 64, work: count * cost) { (k, range) throws(E) in
            try k.indexLoop(range) { (k, i) throws(E) in "out[\(i)] = \(try expression(&k, i));" }
        }
    }
}

/// The C expression of `u` applied to the element expression `x` of `dtype`: f32 `exp`, `log`,
/// `tanh` and `sigmoid` use the inline polynomials (`InlineMath`) unless `libmFunctions` is set.
func unaryExpression(_ u: UnaryOp, _ dtype: DType, _ x: String, _ k: inout KernelBuilder) throws(KilnError) -> String {
    if dtype.isFloat {
        let one = dtype == .f32 ? "1.0f" : "1.0"
        let inline = dtype == .f32 && !k.libmFunctions
        func exp(_ x: String) -> String {
            inline ? k.call(.inlineMath(.exp), x) : k.call(.math(.exp, dtype), x)
        }
        switch u {
        case .neg: return "-\(x)"
        case .abs: return k.call(.absFloat(dtype), x)
        case .sign: return k.call(.signFloat(dtype), x)
        case .relu: return k.call(.reluFloat(dtype), x)
        case .exp: return exp(x)
        case .log: return inline ? k.call(.inlineMath(.log), x) : k.call(.math(.log, dtype), x)
        case .sqrt: return k.call(.math(.sqrt, dtype), x)
        case .rsqrt: return "\(one) / \(k.call(.math(.sqrt, dtype), x))"
        case .tanh: return inline ? k.call(.inlineMath(.tanh), x) : k.call(.math(.tanh, dtype), x)
        case .sigmoid: return "\(one) / (\(one) + \(exp("-\(x)")))"
        case .sin: return k.call(.math(.sin, dtype), x)
        case .cos: return k.call(.math(.cos, dtype), x)
        case .floor: return k.call(.math(.floor, dtype), x)
        case .stopGradient: return x
        }
    }
    let (t, u32) = (cType(dtype), cUnsignedType(dtype))
    switch u {
    case .neg: return "(\(t))(0 - (\(u32))\(x))"
    case .abs: return k.call(.absInt(dtype), x)
    case .sign: return "(\(t))((\(x) > 0) - (\(x) < 0))"
    case .relu: return "\(x) > 0 ? \(x) : 0"
    case .stopGradient: return x
    case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .sin, .cos, .floor:
        throw internalError("'\(u.rawValue)' on \(dtype.rawValue) reached code generation")
    }
}

/// The C expression of `condition ? a : b` on element expressions of `dtype`: floats select by bit
/// masks (`kiln_pick`, or `kiln_keep` when `b` is known to be +0), so that gcc vectorizes the loop
/// without a branch per element.
func selectExpression(_ dtype: DType, _ condition: String, _ a: String, _ b: String, positiveZeroB: Bool = false,
                      _ k: inout KernelBuilder) -> String {
    guard dtype.isFloat else { return "\(condition) ? \(a) : \(b)" }
    return positiveZeroB ? k.call(.keepFloat(dtype), condition, a) : k.call(.pickFloat(dtype), condition, a, b)
}

/// The C expression of `op(a, b)` on element expressions of `dtype`.
func binaryExpression(_ op: BinaryOp, _ dtype: DType, _ a: String, _ b: String, _ k: inout KernelBuilder) -> String {
    if dtype.isFloat {
        switch op {
        case .add: return "\(a) + \(b)"
        case .sub: return "\(a) - \(b)"
        case .mul: return "\(a) * \(b)"
        case .div: return "\(a) / \(b)"
        case .pow: return k.call(.math(.pow, dtype), a, b)
        case .max: return k.call(.maxFloat(dtype), a, b)
        case .min: return k.call(.minFloat(dtype), a, b)
        }
    }
    let (t, u) = (cType(dtype), cUnsignedType(dtype))
    switch op {
    case .add: return "(\(t))((\(u))\(a) + (\(u))\(b))"
    case .sub: return "(\(t))((\(u))\(a) - (\(u))\(b))"
    case .mul: return "(\(t))((\(u))\(a) * (\(u))\(b))"
    case .div: return k.call(.divInt(dtype), a, b)
    case .pow: return k.call(.powInt(dtype), a, b)
    case .max: return "\(a) > \(b) ? \(a) : \(b)"
    case .min: return "\(a) < \(b) ? \(a) : \(b)"
    }
}

func compareOperator(_ d: CompareDirection) -> String {
    switch d {
    case .lt: return "<"
    case .le: return "<="
    case .gt: return ">"
    case .ge: return ">="
    case .eq: return "=="
    case .ne: return "!="
    }
}

/// The C expression converting `x` of dtype `from` to dtype `to` (different dtypes).
func convertExpression(_ x: String, from: DType, to: DType, _ k: inout KernelBuilder) -> String {
    if to == .bool { return "\(x) != 0" }
    if to.isInteger && from.isFloat { return k.call(.floatToInt(to), x) }
    return "(\(cType(to)))\(x)"
}

extension KernelBuilder {
    mutating func lowerUnary(_ u: UnaryOp, _ type: TensorType) throws(KilnError) {
        try elementwise(type.count, cost: elementCost(.unary(u))) { (k, i) throws(KilnError) in
            try unaryExpression(u, type.dtype, "x[\(i)]", &k)
        }
    }

    mutating func lowerBinary(_ op: BinaryOp, _ type: TensorType) {
        elementwise(type.count, cost: elementCost(.binary(op))) { k, i in binaryExpression(op, type.dtype, "a[\(i)]", "b[\(i)]", &k) }
    }

    mutating func lowerCompare(_ d: CompareDirection, _ count: Int) {
        elementwise(count) { _, i in "a[\(i)] \(compareOperator(d)) b[\(i)]" }
    }

    mutating func lowerSelect(_ count: Int, _ dtype: DType) {
        elementwise(count) { k, i in selectExpression(dtype, "cond[\(i)]", "a[\(i)]", "b[\(i)]", &k) }
    }

    mutating func lowerConvert(from: TensorType, to: DType) {
        if from.dtype == to {
            copy(from.count, to)
        } else {
            elementwise(from.count) { k, i in convertExpression("x[\(i)]", from: from.dtype, to: to, &k) }
        }
    }

    /// `out = x`, `count` elements of `dtype`.
    mutating func copy(_ count: Int, _ dtype: DType, from source: String = "x") {
        guard count > 0 else { return }
        line(call(.memcpy, "out", source, "\(count) * sizeof(\(cType(dtype)))") + ";")
    }

    mutating func lowerSplat(_ value: Scalar, _ type: TensorType) {
        fill("out", count: type.count, value: value, type.dtype)
    }

    /// `out[..., k, ...] = k` along `axis`.
    mutating func lowerIota(axis: Int, _ type: TensorType) {
        guard type.count > 0 else { return }
        let outer = type.shape[..<axis].reduce(1, *), size = type.shape[axis]
        let inner = type.shape[(axis + 1)...].reduce(1, *)
        let offsets = openLoops([outer, size], [("o", 0, [size * inner, inner])])
        line("const \(cType(type.dtype)) v = (\(cType(type.dtype)))i1;")
        indexLoop(inner) { _, i in "\(element("out", offsets[0], i)) = v;" }
        closeLoops()
    }
}

/// An error for a state the verifier rules out; reaching it is a bug in Kiln, not in the input.
func internalError(_ message: String) -> KilnError {
    KilnError.internal("C code generation: \(message)")
}
