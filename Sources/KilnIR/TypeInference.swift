/// Result types of `op` applied to operands of `operandTypes`, or an error saying which rule failed.
///
/// This is the single definition of which operands and attributes each op accepts; the builder,
/// parser and verifier all go through it.
public func inferResultTypes(_ op: Op, _ operands: [TensorType]) throws(KilnError) -> [TensorType] {
    // Operands within the limits keep every size computed from them far from overflow.
    for t in operands { try checkLimits(t) }
    if case .fused(let body) = op { return try fusedResultTypes(body, operands) }
    let result = try inferResultType(op, operands)
    try checkLimits(result)
    return [result]
}

private func fail(_ message: String) -> KilnError { KilnError(message) }

/// A fused kernel's operands must match its body's parameters; the body must verify and yield at
/// least one value. The results are the yielded types.
private func fusedResultTypes(_ body: Function, _ operands: [TensorType]) throws(KilnError) -> [TensorType] {
    guard operands == body.paramTypes else {
        throw fail("'fused' operands (\(operands.map(\.description).joined(separator: ", "))) differ from its block arguments (\(body.paramTypes.map(\.description).joined(separator: ", ")))")
    }
    guard !body.results.isEmpty else { throw fail("'fused' must yield at least one value") }
    do { try verify(body) } catch { throw fail("in the body of 'fused': \(error.message)") }
    return body.resultTypes
}

private func arity(_ op: Op, _ operands: [TensorType], _ expected: Int) throws(KilnError) {
    guard operands.count == expected else {
        throw fail("'\(op.name)' takes \(expected) operand\(expected == 1 ? "" : "s"), got \(operands.count)")
    }
}

private func requireNumeric(_ op: Op, _ type: TensorType) throws(KilnError) {
    guard type.dtype.isNumeric else { throw fail("'\(op.name)' needs a numeric operand, got \(type)") }
}

private func requireFloat(_ op: Op, _ type: TensorType) throws(KilnError) {
    guard type.dtype.isFloat else { throw fail("'\(op.name)' needs an f32 or f64 operand, got \(type)") }
}

private func requireInteger(_ op: Op, _ what: String, _ type: TensorType) throws(KilnError) {
    guard type.dtype.isInteger else { throw fail("'\(op.name)' needs i32 or i64 \(what), got \(type)") }
}

private func requireSame(_ op: Op, _ a: TensorType, _ b: TensorType) throws(KilnError) {
    guard a == b else {
        throw fail("'\(op.name)' needs operands of equal type, got \(a) and \(b); broadcast explicitly with broadcast_in_dim")
    }
}

private func requireCount(_ op: Op, _ attribute: String, _ list: [Int], _ count: Int) throws(KilnError) {
    guard list.count == count else {
        throw fail("'\(op.name)' attribute '\(attribute)' needs \(count) entries, got \(list.count)")
    }
}

/// Every entry of a size-like attribute (stride, padding, window, shape...) is within
/// `minimum...ShapeLimits.maxDimension`, so size arithmetic on it cannot overflow later on.
private func requireAll(_ op: Op, _ attribute: String, _ list: [Int], atLeast minimum: Int) throws(KilnError) {
    guard list.allSatisfy({ $0 >= minimum && $0 <= ShapeLimits.maxDimension }) else {
        throw fail("'\(op.name)' attribute '\(attribute)' entries must be in \(minimum)...\(ShapeLimits.maxDimension), got \(list)")
    }
}

/// Axes must be distinct and within `0..<rank`.
private func requireAxes(_ op: Op, _ attribute: String, _ axes: [Int], rank: Int) throws(KilnError) {
    guard axes.allSatisfy({ $0 >= 0 && $0 < rank }), Set(axes).count == axes.count else {
        throw fail("'\(op.name)' attribute '\(attribute)' = \(axes) must list distinct axes in 0..<\(rank)")
    }
}

private func requireAxis(_ op: Op, _ axis: Int, rank: Int) throws(KilnError) {
    guard axis >= 0 && axis < rank else {
        throw fail("'\(op.name)' attribute 'axis' = \(axis) is out of range for rank \(rank)")
    }
}

private func requireRank(_ op: Op, _ what: String, _ type: TensorType, _ rank: Int) throws(KilnError) {
    guard type.rank == rank else { throw fail("'\(op.name)' needs a rank-\(rank) \(what), got \(type)") }
}

/// Checks `type` against `ShapeLimits` (rank, dimension sizes, element count).
public func checkLimits(_ type: TensorType) throws(KilnError) {
    guard type.rank <= ShapeLimits.maxRank else {
        throw fail("rank \(type.rank) exceeds the limit of \(ShapeLimits.maxRank)")
    }
    var count = 1
    for d in type.shape {
        guard d >= 0 else { throw fail("dimension \(d) is negative") }
        guard d <= ShapeLimits.maxDimension else { throw fail("dimension \(d) exceeds the limit of \(ShapeLimits.maxDimension)") }
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= ShapeLimits.maxElements else {
            throw fail("\(type) has more than \(ShapeLimits.maxElements) elements")
        }
        count = product
    }
}

/// Output size of a sliding window along one axis, or nil when the window does not fit once.
private func windowOutput(_ op: Op, size: Int, window: Int, stride: Int, padding: Int, dilation: Int) throws(KilnError) -> Int? {
    let what = "'\(op.name)' attributes 'window' (or filter size), 'padding' and 'dilation'"
    let span = try CheckedSize.sum([try CheckedSize.product(dilation, try CheckedSize.sum([window, -1], what), what), 1], what)
    let room = try CheckedSize.sum([size, try CheckedSize.product(2, padding, what), -span], what)
    return room < 0 ? nil : room / stride + 1
}

/// The two operands of a convolution op: a float NCHW input and a rank-4 `second` (named so in
/// errors), once `attrs` are checked.
private func convolutionOperands(_ op: Op, _ operands: [TensorType], _ second: String,
                                 _ attrs: ConvAttributes) throws(KilnError) -> (TensorType, TensorType) {
    try arity(op, operands, 2)
    try requireFloat(op, operands[0])
    try requireRank(op, "NCHW input", operands[0], 4)
    try requireRank(op, second, operands[1], 4)
    try requireConvAttributes(op, attrs)
    return (operands[0], operands[1])
}

private func requireConvAttributes(_ op: Op, _ a: ConvAttributes) throws(KilnError) {
    try requirePairs(op, [("stride", a.stride, 1), ("padding", a.padding, 0), ("dilation", a.dilation, 1)])
}

/// Each of `attributes` has two entries (rows, columns), each at least its bound; every count
/// is checked before any bound.
private func requirePairs(_ op: Op, _ attributes: [(name: String, values: [Int], atLeast: Int)]) throws(KilnError) {
    for a in attributes { try requireCount(op, a.name, a.values, 2) }
    for a in attributes { try requireAll(op, a.name, a.values, atLeast: a.atLeast) }
}

/// Spatial output `[H, W]` of a convolution of `input` (NCHW) with a `window` and attributes.
private func convOutput(_ op: Op, _ input: TensorType, window: [Int], _ a: ConvAttributes) throws(KilnError) -> [Int] {
    var out: [Int] = []
    for axis in 0..<2 {
        guard let o = try windowOutput(op, size: input.shape[2 + axis], window: window[axis], stride: a.stride[axis],
                                   padding: a.padding[axis], dilation: a.dilation[axis]) else {
            throw fail("'\(op.name)' window \(window) with dilation \(a.dilation) does not fit input \(input) padded by \(a.padding)")
        }
        out.append(o)
    }
    return out
}

private func poolOutput(_ op: Op, _ input: TensorType, _ p: PoolAttributes) throws(KilnError) -> TensorType {
    try requireFloat(op, input)
    try requireRank(op, "NCHW input", input, 4)
    try requirePairs(op, [("window", p.window, 1), ("stride", p.stride, 1), ("padding", p.padding, 0)])
    guard p.padding[0] < p.window[0], p.padding[1] < p.window[1] else {
        throw fail("'\(op.name)' padding \(p.padding) must be smaller than the window \(p.window)")
    }
    let hw = try convOutput(op, input, window: p.window, ConvAttributes(stride: p.stride, padding: p.padding))
    return input.with(shape: [input.shape[0], input.shape[1]] + hw)
}

private func literalMatches(_ scalar: Scalar, _ dtype: DType) -> Bool {
    switch (scalar, dtype) {
    case (.float, .f32), (.float, .f64), (.int, .i32), (.int, .i64), (.bool, .bool): return true
    default: return false
    }
}

private func inferResultType(_ op: Op, _ operands: [TensorType]) throws(KilnError) -> TensorType {
    switch op {
    case let .constant(literal, type):
        try arity(op, operands, 0)
        switch literal {
        case .splat(let s):
            guard literalMatches(s, type.dtype) else { throw fail("constant value \(s) is not a \(type.dtype.rawValue)") }
        case .dense(let values):
            guard values.count == type.count else {
                throw fail("dense constant has \(values.count) elements but \(type) needs \(type.count)")
            }
            if let bad = values.first(where: { !literalMatches($0, type.dtype) }) {
                throw fail("constant element \(bad) is not a \(type.dtype.rawValue)")
            }
        }
        return type

    case let .iota(axis, type):
        try arity(op, operands, 0)
        try requireNumeric(op, type)
        try requireAxis(op, axis, rank: type.rank)
        return type

    case .unary(let u):
        try arity(op, operands, 1)
        try requireNumeric(op, operands[0])
        if u.isFloatOnly { try requireFloat(op, operands[0]) }
        return operands[0]

    case .binary:
        try arity(op, operands, 2)
        try requireNumeric(op, operands[0])
        try requireSame(op, operands[0], operands[1])
        return operands[0]

    case .compare:
        try arity(op, operands, 2)
        try requireSame(op, operands[0], operands[1])
        return operands[0].with(dtype: .bool)

    case .select:
        try arity(op, operands, 3)
        guard operands[0].dtype == .bool, operands[0].shape == operands[1].shape else {
            throw fail("'select' needs a bool condition shaped like its values, got \(operands[0]) and \(operands[1])")
        }
        try requireSame(op, operands[1], operands[2])
        return operands[1]

    case .convert(let dtype):
        try arity(op, operands, 1)
        return operands[0].with(dtype: dtype)

    case let .reduce(_, axes):
        try arity(op, operands, 1)
        try requireNumeric(op, operands[0])
        try requireAxes(op, "axes", axes, rank: operands[0].rank)
        let kept = operands[0].shape.indices.filter { !axes.contains($0) }.map { operands[0].shape[$0] }
        return operands[0].with(shape: kept)

    case .argmax(let axis):
        try arity(op, operands, 1)
        try requireNumeric(op, operands[0])
        try requireAxis(op, axis, rank: operands[0].rank)
        guard operands[0].shape[axis] > 0 else { throw fail("'argmax' over axis \(axis) of size 0 has no answer") }
        var shape = operands[0].shape
        shape.remove(at: axis)
        return TensorType(.i32, shape)

    case let .broadcastInDim(shape, dims):
        try arity(op, operands, 1)
        let input = operands[0]
        guard dims.count == input.rank else {
            throw fail("'broadcast_in_dim' needs one entry of 'dims' per operand axis: \(input.rank), got \(dims.count)")
        }
        guard zip(dims, dims.dropFirst()).allSatisfy({ $0 < $1 }), dims.allSatisfy({ $0 >= 0 && $0 < shape.count }) else {
            throw fail("'broadcast_in_dim' dims \(dims) must be increasing and within 0..<\(shape.count)")
        }
        for (axis, d) in dims.enumerated() where input.shape[axis] != 1 && input.shape[axis] != shape[d] {
            throw fail("'broadcast_in_dim' cannot broadcast axis \(axis) of \(input) (size \(input.shape[axis])) to size \(shape[d])")
        }
        try requireAll(op, "shape", shape, atLeast: 0)
        return input.with(shape: shape)

    case .reshape(let shape):
        try arity(op, operands, 1)
        try requireAll(op, "shape", shape, atLeast: 0)
        try checkLimits(operands[0].with(shape: shape))
        guard shape.reduce(1, *) == operands[0].count else {
            throw fail("'reshape' cannot change \(operands[0]) (\(operands[0].count) elements) to shape \(shape)")
        }
        return operands[0].with(shape: shape)

    case .transpose(let perm):
        try arity(op, operands, 1)
        guard perm.count == operands[0].rank, Set(perm) == Set(0..<operands[0].rank) else {
            throw fail("'transpose' perm \(perm) is not a permutation of 0..<\(operands[0].rank)")
        }
        return operands[0].with(shape: perm.map { operands[0].shape[$0] })

    case let .slice(start, limit, stride):
        try arity(op, operands, 1)
        let input = operands[0]
        try requireCount(op, "start", start, input.rank)
        try requireCount(op, "limit", limit, input.rank)
        try requireCount(op, "stride", stride, input.rank)
        try requireAll(op, "stride", stride, atLeast: 1)
        var shape: [Int] = []
        for axis in 0..<input.rank {
            guard 0 <= start[axis], start[axis] <= limit[axis], limit[axis] <= input.shape[axis] else {
                throw fail("'slice' axis \(axis): need 0 <= start (\(start[axis])) <= limit (\(limit[axis])) <= \(input.shape[axis])")
            }
            let extent = limit[axis] - start[axis]
            shape.append(extent == 0 ? 0 : (extent - 1) / stride[axis] + 1)
        }
        return input.with(shape: shape)

    case .concatenate(let axis):
        guard let first = operands.first else { throw fail("'concatenate' needs at least one operand") }
        try requireAxis(op, axis, rank: first.rank)
        var total = 0
        for t in operands {
            guard t.dtype == first.dtype, t.rank == first.rank,
                  t.shape.indices.allSatisfy({ $0 == axis || t.shape[$0] == first.shape[$0] }) else {
                throw fail("'concatenate' along axis \(axis) needs operands equal except on that axis, got \(first) and \(t)")
            }
            total = try CheckedSize.sum([total, t.shape[axis]], "'concatenate' operand sizes along axis \(axis)")
        }
        var shape = first.shape
        shape[axis] = total
        return first.with(shape: shape)

    case let .pad(low, high, value):
        try arity(op, operands, 1)
        let input = operands[0]
        try requireCount(op, "low", low, input.rank)
        try requireCount(op, "high", high, input.rank)
        try requireAll(op, "low", low, atLeast: 0)
        try requireAll(op, "high", high, atLeast: 0)
        guard literalMatches(value, input.dtype) else { throw fail("'pad' value \(value) is not a \(input.dtype.rawValue)") }
        var shape: [Int] = []
        for axis in input.shape.indices {
            shape.append(try CheckedSize.sum([low[axis], input.shape[axis], high[axis]], "'pad' attributes 'low' and 'high'"))
        }
        return input.with(shape: shape)

    case .reverse(let axes):
        try arity(op, operands, 1)
        try requireAxes(op, "axes", axes, rank: operands[0].rank)
        return operands[0]

    case let .matmul(ta, tb):
        try arity(op, operands, 2)
        let (a, b) = (operands[0], operands[1])
        try requireFloat(op, a)
        guard a.dtype == b.dtype, a.rank == b.rank, a.rank == 2 || a.rank == 3 else {
            throw fail("'matmul' needs two f32 or f64 operands, both rank 2 or both rank 3, got \(a) and \(b)")
        }
        let batch = a.rank == 3 ? [a.shape[0]] : []
        guard a.rank == 2 || a.shape[0] == b.shape[0] else {
            throw fail("'matmul' batch sizes differ: \(a) and \(b)")
        }
        let r = a.rank
        let (m, ka) = ta ? (a.shape[r - 1], a.shape[r - 2]) : (a.shape[r - 2], a.shape[r - 1])
        let (kb, n) = tb ? (b.shape[r - 1], b.shape[r - 2]) : (b.shape[r - 2], b.shape[r - 1])
        guard ka == kb else {
            throw fail("'matmul' contraction sizes differ: \(a)\(ta ? " (transposed)" : "") has \(ka), \(b)\(tb ? " (transposed)" : "") has \(kb)")
        }
        return a.with(shape: batch + [m, n])

    case .conv2d(let attrs):
        let (input, filter) = try convolutionOperands(op, operands, "OIHW filter", attrs)
        guard filter.dtype == input.dtype, filter.shape[1] == input.shape[1] else {
            throw fail("'conv2d' filter \(filter) needs \(input.shape[1]) input channels to match input \(input)")
        }
        let hw = try convOutput(op, input, window: Array(filter.shape[2...]), attrs)
        return input.with(shape: [input.shape[0], filter.shape[0]] + hw)

    case let .conv2dTranspose(attrs, outputPadding):
        let (input, filter) = try convolutionOperands(op, operands, "[Cin,Cout,KH,KW] filter", attrs)
        try requireCount(op, "output_padding", outputPadding, 2)
        guard filter.dtype == input.dtype, filter.shape[0] == input.shape[1] else {
            throw fail("'conv2d_transpose' filter \(filter) needs \(input.shape[1]) input channels (axis 0) to match input \(input)")
        }
        var hw: [Int] = []
        for axis in 0..<2 {
            let s = attrs.stride[axis]
            guard outputPadding[axis] >= 0, outputPadding[axis] < max(s, attrs.dilation[axis]) else {
                throw fail("'conv2d_transpose' output_padding \(outputPadding) must be >= 0 and smaller than the stride or dilation")
            }
            let what = "'conv2d_transpose' attributes 'stride', 'padding' and 'dilation'"
            let size = try CheckedSize.sum([
                try CheckedSize.product(input.shape[2 + axis] - 1, s, what),
                try CheckedSize.product(-2, attrs.padding[axis], what),
                try CheckedSize.product(attrs.dilation[axis], filter.shape[2 + axis] - 1, what),
                outputPadding[axis], 1,
            ], what)
            guard size >= 1 else { throw fail("'conv2d_transpose' output would be empty: padding \(attrs.padding) is too large") }
            hw.append(size)
        }
        return input.with(shape: [input.shape[0], filter.shape[1]] + hw)

    case let .conv2dFilterGrad(attrs, window):
        let (input, grad) = try convolutionOperands(op, operands, "NCHW output gradient", attrs)
        try requireCount(op, "window", window, 2)
        try requireAll(op, "window", window, atLeast: 1)
        let hw = try convOutput(op, input, window: window, attrs)
        guard grad.dtype == input.dtype, grad.shape == [input.shape[0], grad.shape[1]] + hw else {
            throw fail("'conv2d_filter_grad' output gradient \(grad) does not match conv2d of \(input) with window \(window): expected spatial \(hw)")
        }
        return input.with(shape: [grad.shape[1], input.shape[1]] + window)

    case .maxPool2d(let p), .avgPool2d(let p):
        try arity(op, operands, 1)
        return try poolOutput(op, operands[0], p)

    case .maxPool2dGrad(let p), .avgPool2dGrad(let p):
        try arity(op, operands, 2)
        let pooled = try poolOutput(op, operands[0], p)
        guard operands[1] == pooled else {
            throw fail("'\(op.name)' output gradient must be \(pooled), got \(operands[1])")
        }
        return operands[0]

    case .gather(let axis):
        try arity(op, operands, 2)
        let (table, indices) = (operands[0], operands[1])
        try requireAxis(op, axis, rank: table.rank)
        try requireInteger(op, "indices", indices)
        return table.with(shape: Array(table.shape[..<axis]) + indices.shape + Array(table.shape[(axis + 1)...]))

    case .scatterAdd(let axis):
        try arity(op, operands, 3)
        let (target, indices, updates) = (operands[0], operands[1], operands[2])
        try requireNumeric(op, target)
        try requireAxis(op, axis, rank: target.rank)
        try requireInteger(op, "indices", indices)
        let expected = target.with(shape: Array(target.shape[..<axis]) + indices.shape + Array(target.shape[(axis + 1)...]))
        guard updates == expected else {
            throw fail("'scatter_add' updates must be \(expected) (the gather shape), got \(updates)")
        }
        return target

    case let .oneHot(depth, dtype):
        try arity(op, operands, 1)
        try requireInteger(op, "indices", operands[0])
        try requireAll(op, "depth", [depth], atLeast: 1)
        return TensorType(dtype, operands[0].shape + [depth])

    case .rngUniform(_, let type), .rngNormal(_, let type):
        guard operands.count <= 1 else { throw fail("'\(op.name)' takes at most one operand (an integer scalar key), got \(operands.count)") }
        if let key = operands.first {
            guard key.dtype.isInteger, key.rank == 0 else {
                throw fail("'\(op.name)' key must be an i32[] or i64[] scalar, got \(key)")
            }
        }
        try requireFloat(op, type)
        return type

    case .allReduce:
        try arity(op, operands, 1)
        try requireFloat(op, operands[0])
        return operands[0]

    case .fused:
        throw fail("'fused' has several results; use inferResultTypes")
    }
}
