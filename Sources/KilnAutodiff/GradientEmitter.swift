import KilnIR

/// What a gradient rule needs from its surroundings: the type of a value and a way to apply an op.
///
/// The IR transform (`grad`) emits instructions into a `FunctionBuilder`; an eager evaluator applies
/// the op to concrete tensors. The rules (`pullback`) are written once against this interface, so
/// both modes compute gradients the same way.
public protocol GradientEmitter {
    /// A value: an SSA value when building IR, a tensor when evaluating eagerly.
    associatedtype Handle
    func type(of handle: Handle) -> TensorType
    /// `op(operands)`, the op's single result.
    func emit(_ op: Op, _ operands: [Handle]) throws(KilnError) -> Handle
}

// Helpers the rules are written with. Each skips emitting when the op would return its operand
// unchanged, so gradients stay free of no-op instructions.
extension GradientEmitter {
    /// A tensor of `type` with every element `value` (converted to the dtype).
    public func constant(_ value: Double, _ type: TensorType) throws(KilnError) -> Handle {
        try emit(.constant(.splat(Scalar.float(value).cast(to: type.dtype)), type), [])
    }

    /// A tensor shaped and typed like `h` with every element `value`.
    public func constant(_ value: Double, like h: Handle) throws(KilnError) -> Handle {
        try constant(value, type(of: h))
    }

    public func zeros(like h: Handle) throws(KilnError) -> Handle { try constant(0, like: h) }

    public func unary(_ u: UnaryOp, _ x: Handle) throws(KilnError) -> Handle { try emit(.unary(u), [x]) }
    public func neg(_ x: Handle) throws(KilnError) -> Handle { try unary(.neg, x) }

    public func binary(_ b: BinaryOp, _ x: Handle, _ y: Handle) throws(KilnError) -> Handle {
        try emit(.binary(b), [x, y])
    }
    public func add(_ x: Handle, _ y: Handle) throws(KilnError) -> Handle { try binary(.add, x, y) }
    public func sub(_ x: Handle, _ y: Handle) throws(KilnError) -> Handle { try binary(.sub, x, y) }
    public func mul(_ x: Handle, _ y: Handle) throws(KilnError) -> Handle { try binary(.mul, x, y) }
    public func div(_ x: Handle, _ y: Handle) throws(KilnError) -> Handle { try binary(.div, x, y) }

    /// `x * value` with `value` a constant.
    public func scale(_ x: Handle, by value: Double) throws(KilnError) -> Handle {
        try mul(x, constant(value, like: x))
    }

    public func compare(_ x: Handle, _ direction: CompareDirection, _ y: Handle) throws(KilnError) -> Handle {
        try emit(.compare(direction), [x, y])
    }

    public func select(_ condition: Handle, _ x: Handle, _ y: Handle) throws(KilnError) -> Handle {
        try emit(.select, [condition, x, y])
    }

    public func convert(_ x: Handle, to dtype: DType) throws(KilnError) -> Handle {
        type(of: x).dtype == dtype ? x : try emit(.convert(dtype), [x])
    }

    public func broadcast(_ x: Handle, to shape: [Int], dims: [Int]) throws(KilnError) -> Handle {
        type(of: x).shape == shape && dims == Array(shape.indices) ? x : try emit(.broadcastInDim(shape: shape, dims: dims), [x])
    }

    public func reshape(_ x: Handle, to shape: [Int]) throws(KilnError) -> Handle {
        type(of: x).shape == shape ? x : try emit(.reshape(shape: shape), [x])
    }

    public func transpose(_ x: Handle, perm: [Int]) throws(KilnError) -> Handle {
        perm == Array(perm.indices) ? x : try emit(.transpose(perm: perm), [x])
    }

    public func reverse(_ x: Handle, axes: [Int]) throws(KilnError) -> Handle {
        axes.isEmpty ? x : try emit(.reverse(axes: axes), [x])
    }

    public func sum(_ x: Handle, axes: [Int]) throws(KilnError) -> Handle {
        axes.isEmpty ? x : try emit(.reduce(.sum, axes: axes), [x])
    }

    /// `slice` with unit strides unless given.
    public func slice(_ x: Handle, start: [Int], limit: [Int], stride: [Int]? = nil) throws(KilnError) -> Handle {
        let stride = stride ?? start.map { _ in 1 }
        let whole = start.allSatisfy { $0 == 0 } && limit == type(of: x).shape && stride.allSatisfy { $0 == 1 }
        return whole ? x : try emit(.slice(start: start, limit: limit, stride: stride), [x])
    }

    /// `pad` with `value` (zero unless given).
    public func pad(_ x: Handle, low: [Int], high: [Int], value: Double = 0) throws(KilnError) -> Handle {
        guard (low + high).contains(where: { $0 != 0 }) else { return x }
        return try emit(.pad(low: low, high: high, value: Scalar.float(value).cast(to: type(of: x).dtype)), [x])
    }

    /// The adjoint of `broadcast_in_dim(x) {shape, dims}` for an `x` of `shape`: sums `cotangent` over
    /// the axes the broadcast created or stretched, then restores `shape`'s size-1 axes.
    public func unbroadcast(_ cotangent: Handle, to shape: [Int], dims: [Int]) throws(KilnError) -> Handle {
        let outShape = type(of: cotangent).shape
        guard dims.count == shape.count, dims.allSatisfy({ $0 >= 0 && $0 < outShape.count }) else {
            throw KilnError("cannot unbroadcast \(type(of: cotangent)) to shape \(shape) with dims \(dims)")
        }
        let stretched = dims.indices.filter { shape[$0] == 1 && outShape[dims[$0]] != 1 }.map { dims[$0] }
        let created = outShape.indices.filter { !dims.contains($0) }
        return try reshape(sum(cotangent, axes: (created + stretched).sorted()), to: shape)
    }
}
