import KilnIR

/// The NumPy broadcast of two shapes (trailing axes aligned; a size-1 axis stretches), or nil.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = Array(repeating: 1, count: rank - a.count) + a
    let pb = Array(repeating: 1, count: rank - b.count) + b
    var out: [Int] = []
    for (x, y) in zip(pa, pb) {
        guard x == y || x == 1 || y == 1 else { return nil }
        out.append(x == 1 ? y : x)
    }
    return out
}

extension Tensor {
    /// This tensor broadcast NumPy-style to `shape` (an explicit `broadcast_in_dim` in the IR).
    public func broadcast(to shape: [Int], file: StaticString = #fileID, line: UInt = #line,
                          column: UInt = #column) throws(KilnError) -> Tensor {
        try broadcast(to: shape, at: callSite(file, line, column))
    }

    /// `broadcast(to:)` naming `location` (a resolved call site).
    func broadcast(to target: [Int], at location: SourceLocation?) throws(KilnError) -> Tensor {
        guard shape != target else { return self }
        guard target.count >= rank, broadcastShape(shape, target) == target else {
            throw KilnError("cannot broadcast \(type) to shape \(target)", at: location)
        }
        return try apply(.broadcastInDim(shape: target, dims: Array((target.count - rank)..<target.count)), [self], at: location)
    }

    /// A scalar of this tensor's dtype, in its trace when it is traced.
    func scalar(_ value: Double) throws(KilnError) -> Tensor {
        try apply(.constant(.splat(Scalar.float(value).cast(to: dtype)), TensorType(dtype, [])), [], context: self)
    }
}

/// `a op b` after broadcasting both to their common shape.
func broadcasting(_ op: Op, _ a: Tensor, _ b: Tensor, at location: SourceLocation? = nil) throws(KilnError) -> Tensor {
    guard a.dtype == b.dtype else {
        throw KilnError("'\(op.name)' needs operands of one dtype, got \(a.type) and \(b.type); convert one with .converted(to:)", at: location)
    }
    guard let shape = broadcastShape(a.shape, b.shape) else {
        throw KilnError("'\(op.name)' cannot broadcast \(a.type) with \(b.type)", at: location)
    }
    let ab = try lifted([a, b])
    return try apply(op, [try ab[0].broadcast(to: shape, at: location), try ab[1].broadcast(to: shape, at: location)], at: location)
}
