import KilnIR
import KilnRuntime

/// Rules of the ONNX ops that create tensors or move elements: shapes and constants are known
/// when imported, so these fold whenever their data is known too.
enum LayoutRules {
    static let flatten = OpRule(["axis"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let shape = b.shape(of: x)
        var axis = try n.int("axis", default: 1)
        if axis < 0 { axis += shape.count }
        guard (0...shape.count).contains(axis) else { throw n.error("axis \(try n.int("axis", default: 1)) is out of range for rank \(shape.count)") }
        return [try b.reshape(x, [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)])]
    }

    /// `Reshape`: 0 copies the input's size (unless `allowzero`), one -1 takes what is left.
    static let reshape = OpRule(["allowzero"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let from = b.shape(of: x)
        var shape = try n.knownInts(1)
        let allowZero = try n.int("allowzero", default: 0) != 0
        for (k, d) in shape.enumerated() where d == 0 && !allowZero {
            guard k < from.count else { throw n.error("shape \(shape) copies axis \(k) (0) of a rank-\(from.count) input") }
            shape[k] = from[k]
        }
        let count = b.type(of: x).count
        if let hole = shape.firstIndex(of: -1) {
            let rest = shape.enumerated().filter { $0.offset != hole }.map(\.element)
            let known = rest.reduce(1) { saturatingProduct([$0, $1]) }
            guard shape.filter({ $0 == -1 }).count == 1, rest.allSatisfy({ $0 >= 0 }), known > 0, count % known == 0 else {
                throw n.error("shape \(try n.knownInts(1)) does not fit the \(count) elements of \(b.type(of: x))")
            }
            shape[hole] = count / known
        }
        guard shape.allSatisfy({ $0 >= 0 }), saturatingProduct(shape) == count else {
            throw n.error("shape \(try n.knownInts(1)) does not fit the \(count) elements of \(b.type(of: x))")
        }
        return [try b.reshape(x, shape)]
    }

    static let transpose = OpRule(["perm"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let rank = b.type(of: x).rank
        let perm = try n.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.sorted() == Array(0..<rank) else { throw n.error("perm \(perm) is not a permutation of 0..<\(rank)") }
        return [try b.transpose(x, perm)]
    }

    /// `Squeeze` (axes as an input since opset 13; none: every size-1 axis).
    static let squeeze = OpRule { n, b throws(KilnError) in
        let x = try n.input(0)
        let shape = b.shape(of: x)
        let axes = n.optionalInput(1) == nil ? shape.indices.filter { shape[$0] == 1 }
                                              : try n.axes(try n.knownInts(1), rank: shape.count)
        for a in axes where shape[a] != 1 { throw n.error("axis \(a) of \(b.type(of: x)) has size \(shape[a]), not 1") }
        return [try b.reshape(x, shape.indices.filter { !axes.contains($0) }.map { shape[$0] })]
    }

    static let unsqueeze = OpRule { n, b throws(KilnError) in
        let x = try n.input(0)
        let shape = b.shape(of: x)
        let raw = try n.knownInts(1)
        let axes = try n.axes(raw, rank: shape.count + raw.count)
        var out: [Int] = []
        var rest = shape.makeIterator()
        for k in 0..<(shape.count + axes.count) { out.append(axes.contains(k) ? 1 : rest.next() ?? 1) }
        return [try b.reshape(x, out)]
    }

    static let concat = OpRule(["axis"]) { n, b throws(KilnError) in
        var xs: [Operand] = []
        for i in n.inputs.indices { xs.append(try n.input(i)) }
        guard let first = xs.first else { throw n.error("Concat needs at least one input") }
        guard n.has("axis") else { throw n.error("attribute 'axis' is missing") }
        let axis = try n.axis(try n.int("axis", default: 0), rank: b.type(of: first).rank)
        return [try b.concatenate(xs, axis: axis)]
    }

    /// `Slice {starts, ends, axes, steps}` with ONNX's clamping; a negative step reverses the
    /// axis and slices that forward.
    static let slice = OpRule { n, b throws(KilnError) in
        var x = try n.input(0)
        let shape = b.shape(of: x)
        let starts = try knownInt64s(n, 1), ends = try knownInt64s(n, 2)
        let axes = n.optionalInput(3) == nil ? Array(0..<starts.count) : try n.axes(try n.knownInts(3), rank: shape.count)
        let steps = n.optionalInput(4) == nil ? [Int64](repeating: 1, count: starts.count) : try knownInt64s(n, 4)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw n.error("starts, ends, axes and steps must have one entry each per sliced axis")
        }
        var start = [Int](repeating: 0, count: shape.count), limit = shape, stride = [Int](repeating: 1, count: shape.count)
        var reversed: [Int] = []
        for (k, axis) in axes.enumerated() {
            let dim = Int64(shape[axis])
            let step = steps[k]
            guard step != 0, step.magnitude <= UInt64(ShapeLimits.maxDimension) else { throw n.error("step \(step) must be nonzero and at most \(ShapeLimits.maxDimension) in size") }
            func resolved(_ v: Int64) -> Int64 { v < 0 ? (v < -dim ? -1 : v + dim) : v }
            if step > 0 {
                let s = min(max(resolved(starts[k]), 0), dim), e = min(max(resolved(ends[k]), 0), dim)
                (start[axis], limit[axis], stride[axis]) = (Int(s), Int(max(s, e)), Int(step))
            } else {
                // Elements s, s+step, ... above e, read forward on the reversed axis (index dim-1-i).
                let s = min(max(resolved(starts[k]), 0), dim - 1), e = min(max(resolved(ends[k]), -1), dim - 1)
                let (rs, re) = (dim - 1 - s, dim - 1 - e)
                (start[axis], limit[axis], stride[axis]) = (Int(rs), Int(max(rs, re)), Int(-step))
                reversed.append(axis)
            }
        }
        if !reversed.isEmpty { x = try b.emit(.reverse(axes: reversed.sorted()), [x]) }
        return [try b.emit(.slice(start: start, limit: limit, stride: stride), [x])]
    }

    /// A known integer input as 64-bit values (Slice's bounds are often ±2^63-1 for "to the end").
    private static func knownInt64s(_ n: ONNXNode, _ i: Int) throws(KilnError) -> [Int64] {
        let h = try n.knownInput(i)
        guard h.type.dtype.isInteger else { throw n.error("input \(i) must be integers, got \(h.type)") }
        return (0..<h.count).map { h[$0].asInt64 }
    }

    /// `Gather`: negative indices count from the end (checked when known, selected when computed).
    static let gather = OpRule(["axis"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let axis = try n.axis(try n.int("axis", default: 0), rank: b.type(of: x).rank)
        let size = b.shape(of: x)[axis]
        var indices = try n.input(1)
        guard b.type(of: indices).dtype.isInteger else { throw n.error("indices must be integers, got \(b.type(of: indices))") }
        switch indices {
        case .known(let h):
            let fixed = try HostTensor(zeros: h.type)
            for i in 0..<h.count {
                let v = h[i].asInt64
                guard v >= -Int64(size), v < Int64(size) else { throw n.error("index \(v) is out of range for axis \(axis) of size \(size)") }
                fixed[i] = .int(v < 0 ? v + Int64(size) : v)
            }
            indices = .known(fixed)
        case .traced:
            let dtype = b.type(of: indices).dtype
            let negative = try b.compare(.lt, indices, try b.filled(0, dtype))
            indices = try b.select(negative, try b.binary(.add, indices, Double(size)), indices)
        }
        return [try b.emit(.gather(axis: axis), [x, indices])]
    }

    /// `Expand`: bidirectional broadcast to a known shape.
    static let expand = OpRule { n, b throws(KilnError) in
        let x = try n.input(0)
        return [try b.broadcast(x, to: try b.broadcastShape([b.shape(of: x), try n.knownInts(1)]))]
    }

    /// `Shape {start, end}` of a static shape: a known i64 tensor.
    static let shape = OpRule(["start", "end"]) { n, b throws(KilnError) in
        let dims = b.shape(of: try n.input(0))
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + dims.count : v, 0), dims.count) }
        let start = clamp(try n.int("start", default: 0)), end = clamp(try n.int("end", default: dims.count))
        return [try b.ints(Array(dims[start..<max(start, end)]))]
    }

    static let size = OpRule { n, b throws(KilnError) in
        [.known(try HostTensor(.scalar(.i64), scalars: [.int(Int64(b.type(of: try n.input(0)).count))]))]
    }

    static let constant = OpRule(["value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value",
                                  "value_string", "value_strings"]) { n, _ throws(KilnError) in
        guard n.attributes.count == 1 else { throw n.error("a Constant needs exactly one value attribute, got \(n.attributes.keys.sorted())") }
        if let t = try n.tensor("value") { return [.known(t)] }
        if n.has("value_float") { return [.known(try HostTensor(.scalar(.f32), scalars: [.float(try n.float("value_float", default: 0))]))] }
        if n.has("value_int") { return [.known(try HostTensor(.scalar(.i64), scalars: [.int(Int64(try n.int("value_int", default: 0)))]))] }
        if let v = try n.ints("value_ints") { return [.known(try HostTensor(TensorType(.i64, [v.count]), scalars: v.map { .int(Int64($0)) }))] }
        if let a = n.attributes["value_floats"] {
            return [.known(try HostTensor(TensorType(.f32, [a.floats.count]), scalars: a.floats.map { .float(Double($0)) }))]
        }
        throw n.error("attribute \(n.attributes.keys.sorted()[0]) is not supported; Kiln imports dense numeric constants")
    }

    /// `ConstantOfShape {value}`: a known shape filled with the one element of `value` (default f32 0).
    static let constantOfShape = OpRule(["value"]) { n, b throws(KilnError) in
        let dims = try n.knownInts(0)
        var fill = try HostTensor(zeros: .scalar(.f32))
        if let given = try n.tensor("value") { fill = given }
        guard fill.count == 1 else { throw n.error("value must hold one element, got \(fill.type)") }
        let type = try kilnShape(dims.map { Int64($0) }, dtype: fill.type.dtype, "\(n.place), the shape input")
        return [try b.splat(fill[0], type)]
    }
}
