import KilnIR
import KilnRuntime
import Testing

@Suite struct ReductionKernelTests: KernelTesting {
    static let shape = [3, 4, 5]
    /// Every subset of the axes of `shape`, one of them listed out of order.
    static let axisSets: [[Int]] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], [2, 0]]

    /// Reduces `values` (row-major, of `shape`) over `axes` with multi-index arithmetic, visiting
    /// each output's reduced elements in row-major order: `combine` runs in `T`'s precision.
    func naiveReduce<T>(_ values: [T], _ shape: [Int], axes: [Int], from initial: T, _ combine: (T, T) -> T) -> [T] {
        let kept = shape.indices.filter { !axes.contains($0) }
        let reduced = axes.sorted()
        let reducedShape = reduced.map { shape[$0] }
        let outShape = kept.map { shape[$0] }
        return (0..<outShape.reduce(1, *)).map { o in
            let keptIndex = multiIndex(o, in: outShape)
            var acc = initial
            for r in 0..<reducedShape.reduce(1, *) {
                var index = [Int](repeating: 0, count: shape.count)
                for (axis, i) in zip(kept, keptIndex) { index[axis] = i }
                for (axis, i) in zip(reduced, multiIndex(r, in: reducedShape)) { index[axis] = i }
                acc = combine(acc, values[flatIndex(index, in: shape)])
            }
            return acc
        }
    }

    @Test(arguments: axisSets)
    func f32SumAddsInRowMajorOrderInF32(axes: [Int]) throws {
        let x = try randomTensor(.f32, Self.shape, seed: 1)
        let floats = x.doubles.map { Float($0) }
        let result = try run(.reduce(.sum, axes: axes), x)
        #expect(result.type.shape == Self.shape.indices.filter { !axes.contains($0) }.map { Self.shape[$0] })
        // Values of mixed magnitudes make the sum depend on its order: equality checks the order.
        #expect(result.doubles == naiveReduce(floats, Self.shape, axes: axes, from: 0, +).map { Double($0) })
    }

    @Test(arguments: axisSets)
    func f64MaxMinAndSumMatchTheReference(axes: [Int]) throws {
        let x = try randomTensor(.f64, Self.shape, seed: 2)
        let values = x.doubles
        #expect(try run(.reduce(.sum, axes: axes), x).doubles == naiveReduce(values, Self.shape, axes: axes, from: 0, +))
        #expect(try run(.reduce(.max, axes: axes), x).doubles == naiveReduce(values, Self.shape, axes: axes, from: -.infinity, Swift.max))
        #expect(try run(.reduce(.min, axes: axes), x).doubles == naiveReduce(values, Self.shape, axes: axes, from: .infinity, Swift.min))
    }

    @Test(arguments: [DType.i32, .i64])
    func integerReductionsMatchTheReference(dtype: DType) throws {
        let x = try randomTensor(dtype, Self.shape, seed: 3)
        let values = ints(x)
        for axes in Self.axisSets {
            #expect(try ints(run(.reduce(.sum, axes: axes), x)) == naiveReduce(values, Self.shape, axes: axes, from: 0, +))
            #expect(try ints(run(.reduce(.max, axes: axes), x)) == naiveReduce(values, Self.shape, axes: axes, from: .min, Swift.max))
            #expect(try ints(run(.reduce(.min, axes: axes), x)) == naiveReduce(values, Self.shape, axes: axes, from: .max, Swift.min))
        }
    }

    @Test(arguments: [DType.i32, .i64])
    func integerSumWrapsAround(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let x = try tensor(dtype, ints: [hi, 1, 1])
        #expect(try ints(run(.reduce(.sum, axes: [0]), x)) == [lo + 1])
    }

    @Test(arguments: [DType.f32, .f64])
    func maxAndMinPropagateNaN(dtype: DType) throws {
        let x = try tensor(dtype, [3, 3], [1, .nan, 3, 4, 5, 6, -.infinity, -.infinity, .nan])
        #expect(sameBits(try run(.reduce(.max, axes: [1]), x).doubles, [.nan, 6, .nan]))
        #expect(sameBits(try run(.reduce(.min, axes: [1]), x).doubles, [.nan, 4, .nan]))
        #expect(sameBits(try run(.reduce(.max, axes: [0]), x).doubles, [4, .nan, .nan]))
        #expect(sameBits(try run(.reduce(.min, axes: [0]), x).doubles, [-.infinity, .nan, .nan]))
        #expect(try run(.reduce(.sum, axes: [0, 1]), x).doubles[0].isNaN)
        let allInfinite = try tensor(dtype, [-.infinity, -.infinity])
        #expect(try run(.reduce(.max, axes: [0]), allInfinite).doubles == [-.infinity])
    }

    @Test(arguments: ElementwiseKernelTests.numeric)
    func emptyReductionsGiveTheIdentity(dtype: DType) throws {
        let (lowest, highest) = dtype.isFloat ? (-Double.infinity, Double.infinity) : dtype == .i32
            ? (Double(Int32.min), Double(Int32.max)) : (Double(Int64.min), Double(Int64.max))
        for (shape, axes, count) in [([2, 0], [1], 2), ([0, 3], [0], 3), ([0], [0], 1), ([4, 0, 2], [1, 2], 4)] {
            let x = try tensor(dtype, shape, [])
            #expect(try run(.reduce(.sum, axes: axes), x).doubles == Array(repeating: 0, count: count))
            #expect(try run(.reduce(.max, axes: axes), x).doubles == Array(repeating: lowest, count: count))
            #expect(try run(.reduce(.min, axes: axes), x).doubles == Array(repeating: highest, count: count))
        }
        #expect(try run(.reduce(.sum, axes: [0]), try tensor(dtype, [0, 3], [])).type == TensorType(dtype, [3]))
    }

    // MARK: argmax

    @Test func argmaxTakesTheFirstMaximumOrTheFirstNaN() throws {
        let x = try tensor(.f32, [5, 4], [
            1, 3, 3, 2,
            .nan, 5, .nan, 9,
            -.infinity, -.infinity, -.infinity, -.infinity,
            0, -0.0, 0, 1e-45,
            1, 9, .nan, .nan,
        ])
        let result = try run(.argmax(axis: 1), x)
        #expect(result.type == TensorType(.i32, [5]))
        #expect(ints(result) == [1, 0, 0, 3, 2])
    }

    @Test(arguments: ElementwiseKernelTests.numeric)
    func argmaxAlongEachAxisMatchesTheReference(dtype: DType) throws {
        // Small integers make ties common.
        let shape = [3, 4, 5]
        var random = KernelTestRandom(seed: 4)
        let values = (0..<60).map { _ in Double(Int.random(in: -2...2, using: &random)) }
        let x = try tensor(dtype, shape, values)
        for axis in shape.indices {
            var outShape = shape
            outShape.remove(at: axis)
            let expected = tabulate(outShape) { index in
                let line = (0..<shape[axis]).map { k in
                    var full = index
                    full.insert(k, at: axis)
                    return values[flatIndex(full, in: shape)]
                }
                return Double(line.firstIndex(of: line.max() ?? 0) ?? -1)
            }
            #expect(try run(.argmax(axis: axis), x).doubles == expected, "axis \(axis)")
        }
    }

    @Test(arguments: [DType.i32, .i64])
    func argmaxOfIntegersAtTheLimits(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let x = try HostTensor(TensorType(dtype, [2, 3]), scalars: [lo, lo, lo, lo, hi, hi].map { .int($0) })
        #expect(try ints(run(.argmax(axis: 1), x)) == [0, 1])
        #expect(try ints(run(.argmax(axis: 0), x)) == [0, 1, 1])
    }
}
