import KilnIR

/// Cotangent of `x` for `y = reduce_*(x) {axes}`: broadcast back over the reduced axes.
/// `reduce_max`/`reduce_min` share it evenly among the positions equal to the result.
func reducePullback<E: GradientEmitter>(_ r: ReduceOp, axes: [Int], _ x: E.Handle, _ y: E.Handle, _ ct: E.Handle,
                                        _ e: E) throws(KilnError) -> E.Handle {
    let type = e.type(of: x)
    let kept = type.shape.indices.filter { !axes.contains($0) }
    switch r {
    case .sum:
        return try e.broadcast(ct, to: type.shape, dims: kept)
    case .max, .min:
        let hits = try e.convert(e.compare(x, .eq, e.broadcast(y, to: type.shape, dims: kept)), to: type.dtype)
        let share = try e.div(ct, e.sum(hits, axes: axes))
        return try e.mul(e.broadcast(share, to: type.shape, dims: kept), hits)
    }
}

/// `perm`'s inverse: transposing by `perm` then by the inverse gives the original.
func inversePermutation(_ perm: [Int]) -> [Int] {
    var inverse = perm
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return inverse
}

/// Cotangent of `x` (of `shape`) for `y = slice(x) {start, stride}`: `ct`'s elements placed at
/// `start + i * stride` in zeros. Strides interleave zeros by reshaping each strided axis `[n]`
/// to `[n,1]`, padding it to `[n,stride]` and flattening to `[n*stride]`; a pad then shifts by
/// `start` and a slice drops the zeros that run past `shape`.
func slicePullback<E: GradientEmitter>(start: [Int], stride: [Int], shape: [Int], _ ct: E.Handle,
                                       _ e: E) throws(KilnError) -> E.Handle {
    let counts = e.type(of: ct).shape
    var spread = ct
    if stride.contains(where: { $0 > 1 }) {
        let split = counts.indices.flatMap { stride[$0] > 1 ? [counts[$0], 1] : [counts[$0]] }
        let gaps = counts.indices.flatMap { stride[$0] > 1 ? [0, stride[$0] - 1] : [0] }
        let interleaved = try e.pad(e.reshape(ct, to: split), low: gaps.map { _ in 0 }, high: gaps)
        spread = try e.reshape(interleaved, to: counts.indices.map { counts[$0] * stride[$0] })
    }
    let spreadShape = e.type(of: spread).shape
    let high = shape.indices.map { max(0, shape[$0] - start[$0] - spreadShape[$0]) }
    let placed = try e.pad(spread, low: start, high: high)
    return try e.slice(placed, start: shape.map { _ in 0 }, limit: shape)
}

/// Cotangent of operand `i` of `concatenate(operands) {axis}`: its slice of `ct`.
func concatenatePullback<E: GradientEmitter>(axis: Int, operand i: Int, _ operands: [E.Handle], _ ct: E.Handle,
                                             _ e: E) throws(KilnError) -> E.Handle {
    let offset = operands[..<i].reduce(0) { $0 + e.type(of: $1).shape[axis] }
    var start = e.type(of: ct).shape.map { _ in 0 }
    var limit = e.type(of: ct).shape
    start[axis] = offset
    limit[axis] = offset + e.type(of: operands[i]).shape[axis]
    return try e.slice(ct, start: start, limit: limit)
}
