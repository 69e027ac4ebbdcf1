import KilnIR

/// Random shapes, axes and element values within a `Synthesis`'s configuration.
extension Synthesis {
    /// A dimension: often 1, else up to `maxDimension` (odd sizes included), now and then 0
    /// when empty tensors are allowed.
    func dimension() -> Int {
        if configuration.allowsEmptyTensors, rng.chance(0.04) { return 0 }
        return rng.chance(0.3) ? 1 : rng.int(1...max(1, configuration.maxDimension))
    }

    /// A shape of a rank in `ranks` (clamped to `maxRank`) with at most `maxElements` elements.
    func randomShape(ranks: ClosedRange<Int>) -> [Int] {
        let rank = rng.int(min(ranks.lowerBound, configuration.maxRank)...min(ranks.upperBound, configuration.maxRank))
        var shape = (0..<rank).map { _ in dimension() }
        while shape.reduce(1, *) > configuration.maxElements, let largest = shape.indices.max(by: { shape[$0] < shape[$1] }) {
            shape[largest] /= 2
        }
        return shape
    }

    /// A random shape of `count` elements: its prime factors spread over random axes, with
    /// size-1 axes mixed in (a zero somewhere when `count` is 0).
    func randomShape(count: Int) -> [Int] {
        let rank = rng.int((count == 1 ? 0 : 1)...max(1, configuration.maxRank))
        var shape = [Int](repeating: 1, count: rank)
        if count == 0 {
            for axis in shape.indices { shape[axis] = dimension() }
            shape[rng.int(0...rank - 1)] = 0
            return shape
        }
        var rest = count, factor = 2
        while rest > 1 {
            while rest % factor != 0 { factor += 1 }
            shape[rng.int(0...rank - 1)] *= factor
            rest /= factor
        }
        return shape
    }

    /// Any number of distinct axes among `candidates`, usually in increasing order.
    func randomAxes(among candidates: [Int]) -> [Int] {
        let axes = Array(rng.shuffled(candidates).prefix(rng.int(0...candidates.count)))
        return rng.chance(0.7) ? axes.sorted() : axes
    }

    /// A random permutation of `0..<rank`.
    func randomPermutation(rank: Int) -> [Int] { rng.shuffled(0..<rank) }

    /// A random element of `dtype`: small and finite with `guardsNumerics`, else sometimes a
    /// special value (NaN, ±inf, -0, a subnormal, an integer extreme).
    func randomScalar(_ dtype: DType) -> Scalar {
        let special = !configuration.guardsNumerics && rng.chance(0.2)
        switch dtype {
        case .bool:
            return .bool(rng.chance(0.5))
        case .i32, .i64:
            if special {
                let extremes: [Int64] = dtype == .i32 ? [Int64(Int32.min), Int64(Int32.max), -1] : [.min, .max, -7]
                return .int(rng.element(extremes) ?? 0)
            }
            return .int(Int64(rng.int(0...4)))
        case .f32, .f64:
            let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, Double(Float.leastNonzeroMagnitude),
                                      .leastNonzeroMagnitude, 1e30, -123456.789]
            let simple: [Double] = [0, 1, -1, 0.5, 2, 0.25]
            let value = special ? rng.element(specials) : rng.chance(0.3) ? rng.element(simple) : nil
            return Scalar.float(value ?? Double.random(in: -1..<1, using: &rng)).cast(to: dtype)
        }
    }

    /// A splat, or for small tensors of rank >= 1 sometimes a dense literal.
    func randomLiteral(_ t: TensorType) -> Literal {
        guard t.rank >= 1, t.count <= 48, rng.chance(0.5) else { return .splat(randomScalar(t.dtype)) }
        return .dense((0..<t.count).map { _ in randomScalar(t.dtype) })
    }
}
