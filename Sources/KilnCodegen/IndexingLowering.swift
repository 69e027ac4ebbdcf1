import KilnIR

// gather, scatter_add and one_hot: the index is read once per row and range-checked there, so an
// out-of-range index (negative included) reads zeros, is dropped, or leaves a row of zeros.

/// Sizes of `table` around `axis`: rows before it, its length, elements after it.
private func around(_ table: TensorType, _ axis: Int) -> (outer: Int, size: Int, inner: Int) {
    (table.shape[..<axis].reduce(1, *), table.shape[axis], table.shape[(axis + 1)...].reduce(1, *))
}

extension KernelBuilder {
    /// `out[a, i, b] = table[a, idx[i], b]`, zeros when `idx[i]` is outside the axis.
    mutating func lowerGather(axis: Int, _ table: TensorType, _ indices: TensorType, _ out: TensorType) {
        let (outer, size, inner) = around(table, axis)
        let (n, t) = (indices.count, cType(table.dtype))
        guard out.count > 0 else { return }
        open("for (long a = 0; a < \(outer); a++) for (long i = 0; i < \(n); i++)")
        line("long k = idx[i];")
        if inner == 1 {
            line("out[a * \(n) + i] = k >= 0 && k < \(size) ? table[a * \(size) + k] : 0;")
        } else {
            line("\(t) *dst = out + (a * \(n) + i) * \(inner);")
            line("if (k >= 0 && k < \(size)) " + call(.memcpy, "dst", "table + (a * \(size) + k) * \(inner)", "\(inner) * sizeof(\(t))") + ";")
            line("else " + call(.memset, "dst", "0", "\(inner) * sizeof(\(t))") + ";")
        }
        close()
    }

    /// `out = target`, then `out[a, idx[i], b] += updates[a, i, b]` for in-range indices, in order.
    mutating func lowerScatterAdd(axis: Int, _ target: TensorType, _ indices: TensorType) {
        let (outer, size, inner) = around(target, axis)
        let n = indices.count
        copy(target.count, target.dtype, from: "target")
        guard outer * n * inner > 0 else { return }
        open("for (long a = 0; a < \(outer); a++) for (long i = 0; i < \(n); i++)")
        line("long k = idx[i];")
        line("if (k < 0 || k >= \(size)) continue;")
        line("\(cType(target.dtype)) *dst = out + (a * \(size) + k) * \(inner);")
        line("const \(cType(target.dtype)) *src = updates + (a * \(n) + i) * \(inner);")
        indexLoop(inner, index: "j") { k, j in "dst[\(j)] = \(binaryExpression(.add, target.dtype, "dst[\(j)]", "src[\(j)]", &k));" }
        close()
    }

    /// `out[i, k] = idx[i] == k`, a row of zeros for an index outside `0..<depth`.
    mutating func lowerOneHot(depth: Int, _ indices: TensorType, _ out: TensorType) {
        zero(out.count, out.dtype)
        guard out.count > 0 else { return }
        open("for (long i = 0; i < \(indices.count); i++)")
        line("long k = idx[i];")
        line("if (k >= 0 && k < \(depth)) out[i * \(depth) + k] = 1;")
        close()
    }
}
