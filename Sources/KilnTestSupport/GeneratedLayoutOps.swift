import KilnIR

/// Layout ops: broadcast_in_dim, reshape, transpose, slice, concatenate, pad, reverse.
extension Synthesis {
    func addBroadcast() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        let input = type(x)
        let rank = rng.int(input.rank...max(input.rank, configuration.maxRank))
        let dims = rng.shuffled(0..<rank).prefix(input.rank).sorted()
        var shape = (0..<rank).map { _ in dimension() }
        for (axis, d) in dims.enumerated() where input.shape[axis] != 1 || rng.chance(0.5) {
            shape[d] = input.shape[axis]
        }
        try emit(.broadcastInDim(shape: shape, dims: dims), [x])
    }

    func addReshape() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        try emit(.reshape(shape: randomShape(count: type(x).count)), [x])
    }

    func addTranspose() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        try emit(.transpose(perm: randomPermutation(rank: type(x).rank)), [x])
    }

    func addSlice() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        var start: [Int] = [], limit: [Int] = [], stride: [Int] = []
        // Without empty tensors, an axis of size n keeps at least one element.
        let keep = configuration.allowsEmptyTensors ? 0 : 1
        for size in type(x).shape {
            start.append(rng.int(0...max(0, size - keep)))
            limit.append(rng.int(min(size, start[start.count - 1] + keep)...size))
            stride.append(rng.chance(0.6) ? 1 : rng.int(2...3))
        }
        try emit(.slice(start: start, limit: limit, stride: stride), [x])
    }

    func addConcatenate() throws(KilnError) {
        let x = try operand(among: DType.allCases, ranks: 1...ShapeLimits.maxRank)
        let input = type(x)
        let axis = rng.int(0...input.rank - 1)
        var parts = [x]
        for _ in 0..<rng.int(0...2) {
            var shape = input.shape
            shape[axis] = dimension()
            parts.append(rng.chance(0.3) ? x : try operand(ofType: input.with(shape: shape)))
        }
        try emit(.concatenate(axis: axis), rng.shuffled(parts))
    }

    func addPad() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        let input = type(x)
        let low = input.shape.map { _ in rng.int(0...2) }
        let high = input.shape.map { _ in rng.int(0...2) }
        try emit(.pad(low: low, high: high, value: randomScalar(input.dtype)), [x])
    }

    func addReverse() throws(KilnError) {
        let x = try operand(among: DType.allCases)
        try emit(.reverse(axes: randomAxes(among: Array(0..<type(x).rank))), [x])
    }
}
