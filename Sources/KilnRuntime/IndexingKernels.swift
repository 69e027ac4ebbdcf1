import KilnIR

// Reference kernels of the indexing ops (docs/ir.md, "Indexing"). With `a` the axes before
// `axis` and `b` those after, the table (or target) is viewed as `[outer, size, inner]` and the
// gathered tensor (or updates) as `[outer, indices.count, inner]`.

/// The elements of an integer tensor as `Int`.
private func indexValues(_ indices: HostTensor) -> [Int] {
    func values<T: IntElement>(_: T.Type) -> [Int] {
        UnsafeBufferPointer(start: indices.pointer(T.self), count: indices.count).map { Int($0) }
    }
    switch indices.type.dtype {
    case .i32: return values(Int32.self)
    case .i64: return values(Int64.self)
    case .f32, .f64, .bool: return []  // type inference admits integer indices only
    }
}

/// The `[outer, size, inner]` view of `shape` around `axis`.
private func split(_ shape: [Int], at axis: Int) -> (outer: Int, size: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
}

/// Calls `body` for every in-range index position `j` (and each of `outer`) with the flat
/// offsets of the first elements of row `indices[j]` in the table and of row `j` in the
/// gathered tensor; both rows are `inner` elements long.
private func forEachIndexedRow(_ tableShape: [Int], axis: Int, _ indices: HostTensor,
                               _ body: (_ tableRow: Int, _ gatheredRow: Int) -> Void) {
    let (outer, size, inner) = split(tableShape, at: axis)
    let positions = indexValues(indices)
    for o in 0..<outer {
        for (j, k) in positions.enumerated() where k >= 0 && k < size {
            body((o * size + k) * inner, (o * positions.count + j) * inner)
        }
    }
}

/// `gather`: rows at out-of-range indices stay zero (`out` comes zero-filled).
func gatherKernel(axis: Int, _ table: HostTensor, _ indices: HostTensor, _ out: HostTensor) {
    let inner = split(table.type.shape, at: axis).inner
    func gather<T>(_: T.Type) {
        let (src, dst) = (table.pointer(T.self), out.pointer(T.self))
        forEachIndexedRow(table.type.shape, axis: axis, indices) { tableRow, gatheredRow in
            (dst + gatheredRow).update(from: src + tableRow, count: inner)
        }
    }
    switch table.type.dtype {
    case .f32: gather(Float.self)
    case .f64: gather(Double.self)
    case .i32: gather(Int32.self)
    case .i64: gather(Int64.self)
    case .bool: gather(Bool.self)
    }
}

/// `scatter_add`: `target`, plus each update row at its index, in index order; out-of-range
/// rows are dropped.
func scatterAddKernel(axis: Int, _ target: HostTensor, _ indices: HostTensor, _ updates: HostTensor, _ out: HostTensor) {
    let inner = split(target.type.shape, at: axis).inner
    func scatterAdd<T: NumericElement>(_: T.Type) {
        let (src, dst) = (updates.pointer(T.self), out.pointer(T.self))
        dst.update(from: target.pointer(T.self), count: out.count)
        forEachIndexedRow(target.type.shape, axis: axis, indices) { targetRow, updateRow in
            for e in 0..<inner { dst[targetRow + e] = T.add(dst[targetRow + e], src[updateRow + e]) }
        }
    }
    switch target.type.dtype {
    case .f32: scatterAdd(Float.self)
    case .f64: scatterAdd(Double.self)
    case .i32: scatterAdd(Int32.self)
    case .i64: scatterAdd(Int64.self)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

/// `one_hot`: row `i` has a 1 at `indices[i]`, or nothing when that is outside `0..<depth`.
func oneHotKernel(_ indices: HostTensor, _ out: HostTensor) {
    let depth = out.type.shape[out.type.rank - 1]
    func oneHot<T>(_ one: T) {
        let dst = out.pointer(T.self)
        for (i, k) in indexValues(indices).enumerated() where k >= 0 && k < depth {
            dst[i * depth + k] = one
        }
    }
    switch out.type.dtype {
    case .f32: oneHot(Float(1))
    case .f64: oneHot(Double(1))
    case .i32: oneHot(Int32(1))
    case .i64: oneHot(Int64(1))
    case .bool: oneHot(true)
    }
}
