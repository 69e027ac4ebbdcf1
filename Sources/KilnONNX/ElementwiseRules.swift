import KilnIR
import KilnRuntime

/// Rules of the elementwise ONNX ops: numpy broadcasting becomes explicit `broadcast_in_dim`.
enum ElementwiseRules {
    static func unary(_ u: UnaryOp) -> OpRule {
        OpRule { n, b throws(KilnError) in [try b.unary(u, try n.input(0))] }
    }

    static func binary(_ op: BinaryOp) -> OpRule {
        OpRule { n, b throws(KilnError) in
            let (x, y) = (try n.input(0), try n.input(1))
            guard b.type(of: x).dtype == b.type(of: y).dtype else {
                throw n.error("operands are \(b.type(of: x)) and \(b.type(of: y)); ONNX needs one element type")
            }
            return [try b.binary(op, x, y)]
        }
    }

    /// `Pow`: the exponent is converted to the base's element type (ONNX allows them to differ).
    static let pow = OpRule { n, b throws(KilnError) in
        let x = try n.input(0)
        let dtype = b.type(of: x).dtype
        guard dtype.isFloat else { throw n.error("the base is \(b.type(of: x)); Kiln imports Pow of float tensors") }
        let e = try n.input(1)
        let y = b.type(of: e).dtype == dtype ? e : try b.emit(.convert(dtype), [e])
        return [try b.binary(.pow, x, y)]
    }

    static func compare(_ d: CompareDirection) -> OpRule {
        OpRule { n, b throws(KilnError) in [try b.compare(d, try n.input(0), try n.input(1))] }
    }

    static let reciprocal = OpRule { n, b throws(KilnError) in
        let x = try n.input(0)
        return [try b.binary(.div, try b.filled(1, b.type(of: x).dtype), x)]
    }

    /// `LeakyRelu`: `x > 0 ? x : alpha * x`.
    static let leakyRelu = OpRule(["alpha"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let alpha = try n.float("alpha", default: 0.01)
        let zero = try b.filled(0, b.type(of: x).dtype)
        return [try b.select(try b.compare(.gt, x, zero), x, try b.binary(.mul, x, alpha))]
    }

    static let erf = OpRule { n, b throws(KilnError) in [try erfApproximation(try n.input(0), b)] }

    /// `Gelu` (opset 20): `x/2 · (1 + erf(x/√2))`, or the tanh form when `approximate = "tanh"`.
    static let gelu = OpRule(["approximate"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let inner: Operand
        switch try n.string("approximate", default: "none") {
        case "none":
            inner = try erfApproximation(try b.binary(.mul, x, 0.5.squareRoot()), b)
        case "tanh":
            let cube = try b.binary(.mul, try b.binary(.mul, x, x), x)
            let z = try b.binary(.mul, try b.binary(.add, x, try b.binary(.mul, cube, 0.044715)), (2 / Double.pi).squareRoot())
            inner = try b.unary(.tanh, z)
        case let other:
            throw n.unsupported("approximate", "\"\(other)\"", "use \"none\" or \"tanh\"")
        }
        return [try b.binary(.mul, try b.binary(.mul, x, 0.5), try b.binary(.add, inner, 1))]
    }

    /// `erf(x) = sign(x) (1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^(-x²))`, `t = 1/(1 + p|x|)`
    /// (Abramowitz and Stegun 7.1.26): absolute error at most 1.5e-7 before rounding. Kiln has no
    /// `erf` primitive; this form is made of differentiable ones, so imported models train.
    static func erfApproximation(_ x: Operand, _ b: GraphEmitter) throws(KilnError) -> Operand {
        let a = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429]
        let t = try b.binary(.div, try b.filled(1, b.type(of: x).dtype),
                             try b.binary(.add, try b.binary(.mul, try b.unary(.abs, x), 0.3275911), 1))
        var poly = try b.binary(.mul, t, a[4])
        for c in a[..<4].reversed() { poly = try b.binary(.mul, try b.binary(.add, poly, c), t) }
        let decay = try b.unary(.exp, try b.unary(.neg, try b.binary(.mul, x, x)))
        let magnitude = try b.binary(.sub, try b.filled(1, b.type(of: x).dtype), try b.binary(.mul, poly, decay))
        return try b.binary(.mul, try b.unary(.sign, x), magnitude)
    }

    static let `where` = OpRule { n, b throws(KilnError) in
        let c = try n.input(0)
        guard b.type(of: c).dtype == .bool else { throw n.error("the condition must be bool, got \(b.type(of: c))") }
        return [try b.select(c, try n.input(1), try n.input(2))]
    }

    /// `Cast {to}`; `saturate` (float 8 only) is accepted at its default.
    static let cast = OpRule(["to", "saturate"]) { n, b throws(KilnError) in
        guard n.has("to") else { throw n.error("attribute 'to' is missing") }
        let dtype = try kilnDType(onnx: Int32(truncatingIfNeeded: try n.int("to", default: 0)), "\(n.place), attribute 'to'")
        let x = try n.input(0)
        return [b.type(of: x).dtype == dtype ? x : try b.emit(.convert(dtype), [x])]
    }

    /// `Mod` of known integers (shape arithmetic): the remainder with the divisor's sign, or C's
    /// `fmod` (the dividend's sign) when `fmod = 1`. A zero divisor is an error.
    static let mod = OpRule(["fmod"]) { n, b throws(KilnError) in
        let fmod = try n.int("fmod", default: 0) == 1
        let xy = try b.broadcastTogether([try n.input(0), try n.input(1)])
        guard case .known(let x) = xy[0], case .known(let y) = xy[1], x.type.dtype.isInteger, x.type == y.type else {
            throw n.error("Kiln imports Mod of constant integers only (shape arithmetic); got \(b.type(of: xy[0])) and \(b.type(of: xy[1]))")
        }
        let out = try HostTensor(zeros: x.type)
        for i in 0..<x.count {
            let (p, q) = (x[i].asInt64, y[i].asInt64)
            guard q != 0 else { throw n.error("divisor element \(i) is 0") }
            var r = p.remainderReportingOverflow(dividingBy: q).partialValue
            if !fmod, r != 0, (r < 0) != (q < 0) { r += q }
            out[i] = .int(r)
        }
        return [.known(out)]
    }

    static let identity = OpRule { n, _ throws(KilnError) in [try n.input(0)] }

    /// `Dropout` in inference: the identity. A `training_mode` input must be a known false; the
    /// mask output is not imported.
    static let dropout = OpRule(["seed"]) { n, _ throws(KilnError) in
        if n.optionalInput(2) != nil {
            let mode = try n.knownInput(2)
            guard mode.count == 1, mode[0].asDouble == 0 else {
                throw n.error("training_mode is true; Kiln imports models for inference: export in eval mode")
            }
        }
        return [try n.input(0)]
    }
}
