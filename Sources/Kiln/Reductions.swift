import KilnIR

extension Tensor {
    /// Normalized axes: negative ones count from the end; nil means all axes.
    func axesList(_ axes: [Int]?, at location: SourceLocation? = nil) throws(KilnError) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
        guard normalized.allSatisfy({ $0 >= 0 && $0 < rank }) else {
            throw KilnError("axes \(axes) are out of range for \(type)", at: location)
        }
        return normalized.sorted()
    }

    /// Sum over `axes` (all when nil); the axes are dropped unless `keepingDims`.
    public func sum(axes: [Int]? = nil, keepingDims: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                    column: UInt = #column) throws(KilnError) -> Tensor {
        try reduce(.sum, axes, keepingDims, at: callSite(file, line, column))
    }

    public func max(axes: [Int]? = nil, keepingDims: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                    column: UInt = #column) throws(KilnError) -> Tensor {
        try reduce(.max, axes, keepingDims, at: callSite(file, line, column))
    }

    public func min(axes: [Int]? = nil, keepingDims: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                    column: UInt = #column) throws(KilnError) -> Tensor {
        try reduce(.min, axes, keepingDims, at: callSite(file, line, column))
    }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepingDims: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                     column: UInt = #column) throws(KilnError) -> Tensor {
        try atCallSite(file, line, column) { () throws(KilnError) -> Tensor in
            let list = try axesList(axes)
            let n = list.map { shape[$0] }.reduce(1, *)
            return try sum(axes: list, keepingDims: keepingDims) / Double(Swift.max(n, 1))
        }
    }

    /// Index of the largest element along `axis` (i32).
    public func argmax(axis: Int, file: StaticString = #fileID, line: UInt = #line,
                       column: UInt = #column) throws(KilnError) -> Tensor {
        let site = callSite(file, line, column)
        return try apply(.argmax(axis: try axesList([axis], at: site)[0]), [self], at: site)
    }

    private func reduce(_ r: ReduceOp, _ axes: [Int]?, _ keepingDims: Bool, at site: SourceLocation?) throws(KilnError) -> Tensor {
        let list = try axesList(axes, at: site)
        let reduced = try apply(.reduce(r, axes: list), [self], at: site)
        guard keepingDims else { return reduced }
        return try reduced.reshaped(shape.enumerated().map { list.contains($0.offset) ? 1 : $0.element }, at: site)
    }
}

/// Softmax along `axis` (stable: the max is subtracted first).
public func softmax(_ x: Tensor, axis: Int = -1, file: StaticString = #fileID, line: UInt = #line,
                    column: UInt = #column) throws(KilnError) -> Tensor {
    try atCallSite(file, line, column) { () throws(KilnError) -> Tensor in
        let shifted = try x - x.max(axes: [axis], keepingDims: true).detached()
        let e = try exp(shifted)
        return try e / e.sum(axes: [axis], keepingDims: true)
    }
}

/// Log-softmax along `axis`: `x - max - log(sum(exp(x - max)))`.
public func logSoftmax(_ x: Tensor, axis: Int = -1, file: StaticString = #fileID, line: UInt = #line,
                       column: UInt = #column) throws(KilnError) -> Tensor {
    try atCallSite(file, line, column) { () throws(KilnError) -> Tensor in
        let shifted = try x - x.max(axes: [axis], keepingDims: true).detached()
        return try shifted - log(exp(shifted).sum(axes: [axis], keepingDims: true))
    }
}
