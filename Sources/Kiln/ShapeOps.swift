import KilnIR

extension Tensor {
    /// The same elements in `shape` (row-major order kept); one entry may be -1 (inferred).
    public func reshaped(_ shape: [Int], file: StaticString = #fileID, line: UInt = #line,
                         column: UInt = #column) throws(KilnError) -> Tensor {
        try reshaped(shape, at: callSite(file, line, column))
    }

    /// `reshaped(_:)` naming `site` (a resolved call site).
    func reshaped(_ shape: [Int], at site: SourceLocation?) throws(KilnError) -> Tensor {
        var target = shape
        if let hole = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            guard known > 0, type.count % known == 0 else {
                throw KilnError("cannot reshape \(type) to \(shape)", at: site)
            }
            target[hole] = type.count / known
        }
        return target == self.shape ? self : try apply(.reshape(shape: target), [self], at: site)
    }

    /// Axes permuted: result axis i is axis `perm[i]` of this tensor.
    public func transposed(_ perm: [Int], file: StaticString = #fileID, line: UInt = #line,
                           column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.transpose(perm: perm), [self], at: callSite(file, line, column))
    }

    /// The last two axes swapped (a matrix transpose).
    public func transposed(file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        guard rank >= 2 else { return self }
        var perm = Array(0..<rank)
        perm.swapAt(rank - 1, rank - 2)
        return try transposed(perm, file: file, line: line, column: column)
    }

    /// `start ..< limit` by `stride` along every axis.
    public func slice(start: [Int], limit: [Int], stride: [Int]? = nil, file: StaticString = #fileID,
                      line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.slice(start: start, limit: limit, stride: stride ?? start.map { _ in 1 }), [self],
                  at: callSite(file, line, column))
    }

    /// Elements `range` along `axis`, all of the other axes.
    public func slice(_ range: Range<Int>, axis: Int, file: StaticString = #fileID, line: UInt = #line,
                      column: UInt = #column) throws(KilnError) -> Tensor {
        guard axis >= 0 && axis < rank else {
            throw KilnError("axis \(axis) is out of range for \(type)", at: callSite(file, line, column))
        }
        var start = shape.map { _ in 0 }, limit = shape
        start[axis] = range.lowerBound
        limit[axis] = range.upperBound
        return try slice(start: start, limit: limit, file: file, line: line, column: column)
    }

    /// Zero-padded (or `value`-padded) by `low` before and `high` after each axis.
    public func padded(low: [Int], high: [Int], value: Double = 0, file: StaticString = #fileID, line: UInt = #line,
                       column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.pad(low: low, high: high, value: Scalar.float(value).cast(to: dtype)), [self], at: callSite(file, line, column))
    }

    /// The elements in reverse order along `axes`.
    public func reversed(axes: [Int], file: StaticString = #fileID, line: UInt = #line,
                         column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.reverse(axes: axes), [self], at: callSite(file, line, column))
    }

    /// Rows of this table (along `axis`) picked by integer `indices`; out-of-range indices read zeros.
    public func gathering(_ indices: Tensor, axis: Int = 0, file: StaticString = #fileID, line: UInt = #line,
                          column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.gather(axis: axis), [self, indices], at: callSite(file, line, column))
    }

    /// Integer class indices as one-hot vectors of `depth` (a new last axis).
    public func oneHot(depth: Int, dtype: DType = .f32, file: StaticString = #fileID, line: UInt = #line,
                       column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.oneHot(depth: depth, dtype: dtype), [self], at: callSite(file, line, column))
    }

    /// The matrix product (rank 2, or batched rank 3), optionally transposing either operand.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false,
                       file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try apply(.matmul(transposeA: transposeSelf, transposeB: transposeOther), [self, other], at: callSite(file, line, column))
    }
}

/// `tensors` joined along `axis`.
public func concatenate(_ tensors: [Tensor], axis: Int, file: StaticString = #fileID, line: UInt = #line,
                        column: UInt = #column) throws(KilnError) -> Tensor {
    try apply(.concatenate(axis: axis), tensors, at: callSite(file, line, column))
}
