import KilnIR

let numericDTypes: [DType] = [.f32, .f64, .i32, .i64]
let floatDTypes: [DType] = [.f32, .f64]
let integerDTypes: [DType] = [.i32, .i64]

/// Creation, elementwise, comparison, conversion, reduction and random ops.
extension Synthesis {
    func addConstant() throws(KilnError) {
        guard let dtype = rng.element(dtypes) else { throw KilnError("no dtype allowed") }
        let t = TensorType(dtype, randomShape(ranks: 0...configuration.maxRank))
        try emit(.constant(randomLiteral(t), t), [])
    }

    func addIota() throws(KilnError) {
        guard let dtype = rng.element(dtypes.filter(\.isNumeric)) else { throw KilnError("no numeric dtype allowed") }
        let t = TensorType(dtype, randomShape(ranks: 1...configuration.maxRank))
        try emit(.iota(axis: rng.int(0...max(0, t.rank - 1)), t), [])
    }

    func addUnary() throws(KilnError) {
        guard let u = rng.element(UnaryOp.allCases) else { return }
        var x = try operand(among: u.isFloatOnly ? floatDTypes : numericDTypes)
        if configuration.guardsNumerics {
            switch u {
            case .log, .sqrt, .rsqrt: x = try positive(x)
            case .exp: x = try emit(.unary(.tanh), [x])
            default: break
            }
        }
        try emit(.unary(u), [x])
    }

    func addBinary() throws(KilnError) {
        guard let b = rng.element(BinaryOp.allCases) else { return }
        var lhs = try operand(among: numericDTypes)
        var rhs = rng.chance(0.15) ? lhs : try operand(ofType: type(lhs))
        if configuration.guardsNumerics, type(lhs).dtype.isFloat {
            switch b {
            case .div: rhs = try positive(rhs)
            case .pow: (lhs, rhs) = (try positive(lhs), try emit(.unary(.tanh), [rhs]))
            default: break
            }
        }
        try emit(.binary(b), [lhs, rhs])
    }

    /// `add(abs(x), 0.5)`: at least 0.5 when `x` is finite.
    private func positive(_ x: Value) throws(KilnError) -> Value {
        let t = type(x)
        let half = try emit(.constant(.splat(Scalar.float(0.5).cast(to: t.dtype)), t), [])
        return try emit(.binary(.add), [try emit(.unary(.abs), [x]), half])
    }

    func addCompare() throws(KilnError) {
        guard let direction = rng.element(CompareDirection.allCases) else { return }
        let lhs = try operand(among: DType.allCases)
        try emit(.compare(direction), [lhs, try operand(ofType: type(lhs))])
    }

    func addSelect() throws(KilnError) {
        let onTrue = try operand(among: DType.allCases)
        let t = type(onTrue)
        let condition = try operand(ofType: t.with(dtype: .bool))
        try emit(.select, [condition, onTrue, try operand(ofType: t)])
    }

    func addConvert() throws(KilnError) {
        guard let dtype = rng.element(dtypes) else { throw KilnError("no dtype allowed") }
        try emit(.convert(dtype), [try operand(among: DType.allCases)])
    }

    func addReduce() throws(KilnError) {
        guard let r = rng.element(ReduceOp.allCases) else { return }
        let x = try operand(among: numericDTypes)
        let t = type(x)
        // A float max or min over no elements is ±inf: guarded, it reduces non-empty axes only.
        let avoidsEmpty = configuration.guardsNumerics && t.dtype.isFloat && r != .sum
        try emit(.reduce(r, axes: randomAxes(among: t.shape.indices.filter { !avoidsEmpty || t.shape[$0] > 0 })), [x])
    }

    func addArgmax() throws(KilnError) {
        let x = try operand(among: numericDTypes, ranks: 1...ShapeLimits.maxRank)
        let shape = type(x).shape
        guard let axis = rng.element(shape.indices.filter { shape[$0] > 0 }) else {
            throw KilnError("argmax needs a non-empty axis, \(type(x)) has none")
        }
        try emit(.argmax(axis: axis), [x])
    }

    func addAllReduce() throws(KilnError) {
        let reduction = rng.element(AllReduceOp.allCases) ?? .sum
        try emit(.allReduce(reduction), [try operand(among: floatDTypes)])
    }

    func addRandom() throws(KilnError) {
        guard let dtype = rng.element(dtypes.filter(\.isFloat)) else { throw KilnError("no float dtype allowed") }
        let t = TensorType(dtype, randomShape(ranks: 0...configuration.maxRank))
        let seed = rng.chance(0.5) ? Int64(rng.int(0...100)) : Int64(bitPattern: rng.next())
        let key = rng.chance(0.5) ? [try operand(among: integerDTypes, ranks: 0...0)] : []
        try emit(rng.chance(0.5) ? .rngUniform(seed: seed, t) : .rngNormal(seed: seed, t), key)
    }
}
