import KilnIR
import KilnRuntime

/// A tensor of the graph being imported: its values when they are known at import time
/// (constants, static shapes and whatever is computed from those alone), or a value of the IR
/// function being built (inputs, weights and what depends on them).
enum Operand {
    case known(HostTensor)
    case traced(Value)
}

/// Emits Kiln ops for the importer. An op whose operands are all known is evaluated at once by
/// the reference kernels (so shape arithmetic such as `Shape → Gather → Concat → Reshape` folds
/// away); any other is appended to the function, known operands becoming constants.
final class GraphEmitter {
    let builder: FunctionBuilder

    init(name: String) { builder = FunctionBuilder(name: name) }

    func type(of x: Operand) -> TensorType {
        switch x {
        case .known(let h): return h.type
        case .traced(let v): return builder.type(of: v)
        }
    }

    func shape(of x: Operand) -> [Int] { type(of: x).shape }

    /// `op(operands)`, folded when every operand is known.
    func emit(_ op: Op, _ operands: [Operand], name: String? = nil) throws(KilnError) -> Operand {
        var hosts: [HostTensor] = []
        for x in operands { if case .known(let h) = x { hosts.append(h) } }
        if hosts.count == operands.count, op.kind != .rngUniform, op.kind != .rngNormal,
           try inferResultTypes(op, hosts.map(\.type)).allSatisfy({ $0.count <= Self.maxFoldedElements }) {
            return .known(try evaluate(op, hosts))
        }
        var values: [Value] = []
        for x in operands { values.append(try value(of: x)) }
        return .traced(try builder.emit(op, values, name: name))
    }

    /// The IR value of `x`: a known tensor becomes a `constant` (a splat when its elements are equal).
    func value(of x: Operand) throws(KilnError) -> Value {
        switch x {
        case .traced(let v): return v
        case .known(let h):
            let first = h.count > 0 ? h[0] : .float(0)
            let isSplat = (0..<h.count).allSatisfy { h[$0] == first }
            let literal: Literal = isSplat ? .splat(first) : .dense((0..<h.count).map { h[$0] })
            return try builder.emit(.constant(literal, h.type), [])
        }
    }

    /// The largest tensor computed when a model is imported (4 Mi elements); a larger result of
    /// known operands is left to the compiled function, so no file makes the importer allocate much.
    static let maxFoldedElements = 1 << 22

    /// `value` (converted to the dtype) in every element of `type`: known when small enough, else
    /// a splat `constant`.
    func splat(_ value: Scalar, _ type: TensorType) throws(KilnError) -> Operand {
        let element = value.cast(to: type.dtype)
        guard type.count <= Self.maxFoldedElements else {
            return .traced(try builder.emit(.constant(.splat(element), type), []))
        }
        return .known(try HostTensor(type, scalars: [Scalar](repeating: element, count: type.count)))
    }

    /// A tensor of `dtype` and `shape` filled with `value`.
    func filled(_ value: Double, _ dtype: DType, shape: [Int] = []) throws(KilnError) -> Operand {
        try splat(.float(value), TensorType(dtype, shape))
    }

    /// A known 1-D i64 tensor.
    func ints(_ values: [Int]) throws(KilnError) -> Operand {
        .known(try HostTensor(TensorType(.i64, [values.count]), scalars: values.map { .int(Int64($0)) }))
    }

    // MARK: shapes

    /// `x` broadcast (numpy rules: trailing axes aligned, size 1 stretched) to `shape`.
    func broadcast(_ x: Operand, to shape: [Int]) throws(KilnError) -> Operand {
        let from = self.shape(of: x)
        if from == shape { return x }
        guard from.count <= shape.count else {
            throw KilnError("cannot broadcast \(type(of: x)) to [\(shape.map(String.init).joined(separator: ","))]")
        }
        let offset = shape.count - from.count
        return try emit(.broadcastInDim(shape: shape, dims: Array(offset..<shape.count)), [x])
    }

    /// The numpy broadcast of several shapes, or an error naming them.
    func broadcastShape(_ shapes: [[Int]]) throws(KilnError) -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            for (k, d) in s.enumerated() {
                let axis = rank - s.count + k
                if out[axis] == 1 { out[axis] = d } else if d != 1 && d != out[axis] {
                    let listed = shapes.map { "[\($0.map(String.init).joined(separator: ","))]" }.joined(separator: " and ")
                    throw KilnError("shapes \(listed) do not broadcast (axis \(axis): \(out[axis]) vs \(d))")
                }
            }
        }
        return out
    }

    /// Operands broadcast to their common shape.
    func broadcastTogether(_ xs: [Operand]) throws(KilnError) -> [Operand] {
        let shape = try broadcastShape(xs.map { self.shape(of: $0) })
        var out: [Operand] = []
        for x in xs { out.append(try broadcast(x, to: shape)) }
        return out
    }

    func reshape(_ x: Operand, _ shape: [Int]) throws(KilnError) -> Operand {
        self.shape(of: x) == shape ? x : try emit(.reshape(shape: shape), [x])
    }

    func transpose(_ x: Operand, _ perm: [Int]) throws(KilnError) -> Operand {
        perm == Array(0..<perm.count) ? x : try emit(.transpose(perm: perm), [x])
    }

    /// `x[start..<limit]` along `axis` (stride 1).
    func slice(_ x: Operand, axis: Int, _ range: Range<Int>) throws(KilnError) -> Operand {
        var start = [Int](repeating: 0, count: shape(of: x).count), limit = shape(of: x)
        start[axis] = range.lowerBound
        limit[axis] = range.upperBound
        return try emit(.slice(start: start, limit: limit, stride: [Int](repeating: 1, count: start.count)), [x])
    }

    func concatenate(_ xs: [Operand], axis: Int) throws(KilnError) -> Operand {
        xs.count == 1 ? xs[0] : try emit(.concatenate(axis: axis), xs)
    }

    // MARK: arithmetic

    func unary(_ u: UnaryOp, _ x: Operand) throws(KilnError) -> Operand { try emit(.unary(u), [x]) }

    /// `a op b` with numpy broadcasting.
    func binary(_ b: BinaryOp, _ x: Operand, _ y: Operand) throws(KilnError) -> Operand {
        let xy = try broadcastTogether([x, y])
        return try emit(.binary(b), xy)
    }

    /// `x op c` for a scalar `c` in x's dtype.
    func binary(_ b: BinaryOp, _ x: Operand, _ c: Double) throws(KilnError) -> Operand {
        try binary(b, x, try filled(c, type(of: x).dtype))
    }

    func compare(_ d: CompareDirection, _ x: Operand, _ y: Operand) throws(KilnError) -> Operand {
        try emit(.compare(d), try broadcastTogether([x, y]))
    }

    func select(_ c: Operand, _ x: Operand, _ y: Operand) throws(KilnError) -> Operand {
        try emit(.select, try broadcastTogether([c, x, y]))
    }

    /// The sum over `axes`, keeping them as size 1 when `keep`.
    func sum(_ x: Operand, axes: [Int], keep: Bool) throws(KilnError) -> Operand {
        try reduce(.sum, x, axes: axes, keep: keep)
    }

    func reduce(_ r: ReduceOp, _ x: Operand, axes: [Int], keep: Bool) throws(KilnError) -> Operand {
        let shape = self.shape(of: x)
        let reduced = try emit(.reduce(r, axes: axes.sorted()), [x])
        guard keep else { return reduced }
        return try reshape(reduced, shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element })
    }

    /// The mean over `axes`, kept as size 1.
    func mean(_ x: Operand, axes: [Int]) throws(KilnError) -> Operand {
        let shape = self.shape(of: x)
        let count = axes.reduce(1) { $0 * shape[$1] }
        return try binary(.div, try sum(x, axes: axes, keep: true), Double(count))
    }

    /// `a · b` for rank-2 operands (with the flags of `matmul`).
    func matmul(_ a: Operand, _ b: Operand, transposeB: Bool = false) throws(KilnError) -> Operand {
        try emit(.matmul(transposeA: false, transposeB: transposeB), [a, b])
    }
}
