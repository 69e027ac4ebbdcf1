import KilnIR
import KilnRuntime
import Testing

/// Each layout op against a hand-computed case, and against a reference that computes every
/// output element from its multi-index, for every dtype.
@Suite struct LayoutKernelTests: KernelTesting {
    // MARK: broadcast_in_dim

    @Test func broadcastRepeatsAlongNewAndUnitAxes() throws {
        let row = try tensor(.f32, [1, 2, 3])
        #expect(try run(.broadcastInDim(shape: [2, 3], dims: [1]), row).doubles == [1, 2, 3, 1, 2, 3])
        let column = try tensor(.f32, [1, 2])
        #expect(try run(.broadcastInDim(shape: [2, 3], dims: [0]), column).doubles == [1, 1, 1, 2, 2, 2])
        let scalar = try tensor(.i32, [], [7])
        #expect(try run(.broadcastInDim(shape: [2, 2], dims: []), scalar).doubles == [7, 7, 7, 7])
        let unit = try tensor(.f64, [3, 1], [1, 2, 3])
        #expect(try run(.broadcastInDim(shape: [3, 2], dims: [0, 1]), unit).doubles == [1, 1, 2, 2, 3, 3])
    }

    @Test(arguments: DType.allCases)
    func broadcastMatchesTheReference(dtype: DType) throws {
        let (xShape, shape, dims) = ([3, 1, 4], [2, 3, 5, 4], [1, 2, 3])
        let x = try randomTensor(dtype, xShape, seed: 10)
        let values = x.doubles
        let expected = tabulate(shape) { i in
            values[flatIndex(xShape.indices.map { xShape[$0] == 1 ? 0 : i[dims[$0]] }, in: xShape)]
        }
        #expect(try run(.broadcastInDim(shape: shape, dims: dims), x).doubles == expected)
    }

    // MARK: transpose

    @Test func transposeSwapsAxes() throws {
        let x = try tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6])
        let t = try run(.transpose(perm: [1, 0]), x)
        #expect(t.type.shape == [3, 2])
        #expect(t.doubles == [1, 4, 2, 5, 3, 6])
    }

    @Test(arguments: DType.allCases)
    func transposeMatchesTheReference(dtype: DType) throws {
        let shape = [2, 3, 4, 5]
        let x = try randomTensor(dtype, shape, seed: 11)
        let values = x.doubles
        for perm in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 0, 3, 1], [0, 2, 1, 3]] {
            let outShape = perm.map { shape[$0] }
            let expected = tabulate(outShape) { i in
                var j = [Int](repeating: 0, count: shape.count)
                for k in perm.indices { j[perm[k]] = i[k] }
                return values[flatIndex(j, in: shape)]
            }
            #expect(try run(.transpose(perm: perm), x).doubles == expected, "perm \(perm)")
        }
    }

    // MARK: slice

    @Test func sliceTakesEveryStrideth() throws {
        let x = try tensor(.i64, [3, 4], (1...12).map(Double.init))
        let s = try run(.slice(start: [0, 1], limit: [3, 4], stride: [2, 2]), x)
        #expect(s.type.shape == [2, 2])
        #expect(s.doubles == [2, 4, 10, 12])
        #expect(try run(.slice(start: [1, 2], limit: [1, 4], stride: [1, 1]), x).count == 0)
    }

    @Test(arguments: DType.allCases)
    func sliceMatchesTheReference(dtype: DType) throws {
        let shape = [5, 6, 7]
        let x = try randomTensor(dtype, shape, seed: 12)
        let values = x.doubles
        let cases: [([Int], [Int], [Int])] = [
            ([0, 0, 0], [5, 6, 7], [1, 1, 1]),
            ([1, 2, 3], [4, 6, 7], [1, 1, 1]),
            ([0, 1, 2], [5, 6, 7], [2, 3, 4]),
            ([4, 0, 6], [5, 6, 7], [3, 5, 1]),
        ]
        for (start, limit, stride) in cases {
            let outShape = shape.indices.map { (limit[$0] - start[$0] + stride[$0] - 1) / stride[$0] }
            let expected = tabulate(outShape) { i in
                values[flatIndex(shape.indices.map { start[$0] + i[$0] * stride[$0] }, in: shape)]
            }
            #expect(try run(.slice(start: start, limit: limit, stride: stride), x).doubles == expected, "\(start) \(limit) \(stride)")
        }
    }

    // MARK: concatenate

    @Test func concatenateJoinsInOrder() throws {
        let a = try tensor(.f32, [2, 1], [1, 2]), b = try tensor(.f32, [2, 2], [3, 4, 5, 6])
        #expect(try run(.concatenate(axis: 1), a, b).doubles == [1, 3, 4, 2, 5, 6])
        #expect(try run(.concatenate(axis: 0), b, b).doubles == [3, 4, 5, 6, 3, 4, 5, 6])
        #expect(try run(.concatenate(axis: 0), a).doubles == [1, 2])
    }

    @Test(arguments: DType.allCases)
    func concatenateMatchesTheReference(dtype: DType) throws {
        for axis in 0..<3 {
            let sizes = [2, 0, 3, 1]
            let parts = try sizes.enumerated().map { k, size in
                var shape = [2, 3, 4]
                shape[axis] = size
                return try randomTensor(dtype, shape, seed: 13 + UInt64(k))
            }
            let partValues = parts.map(\.doubles)
            var outShape = [2, 3, 4]
            outShape[axis] = sizes.reduce(0, +)
            let expected = tabulate(outShape) { i in
                var j = i, part = 0
                while j[axis] >= sizes[part] { j[axis] -= sizes[part]; part += 1 }
                return partValues[part][flatIndex(j, in: parts[part].type.shape)]
            }
            #expect(try evaluate(.concatenate(axis: axis), parts).doubles == expected, "axis \(axis)")
        }
    }

    // MARK: pad

    @Test func padSurroundsWithTheValue() throws {
        let x = try tensor(.f32, [2, 2], [1, 2, 3, 4])
        let p = try run(.pad(low: [1, 0], high: [0, 2], value: .float(9)), x)
        #expect(p.type.shape == [3, 4])
        #expect(p.doubles == [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9])
        let flags = try tensor(.bool, [0, 0])
        #expect(bools(try run(.pad(low: [1], high: [2], value: .bool(true)), flags)) == [true, false, false, true, true])
        let empty = try tensor(.i32, [0, 2], [])
        #expect(try run(.pad(low: [1, 1], high: [0, 0], value: .int(-4)), empty).doubles == [-4, -4, -4])
    }

    @Test(arguments: DType.allCases)
    func padMatchesTheReference(dtype: DType) throws {
        let shape = [3, 2, 4]
        let (low, high) = ([1, 0, 2], [2, 3, 0])
        let value: Scalar = dtype == .bool ? .bool(true) : dtype.isFloat ? .float(7) : .int(7)
        let x = try randomTensor(dtype, shape, seed: 20)
        let values = x.doubles
        let outShape = shape.indices.map { low[$0] + shape[$0] + high[$0] }
        let expected = tabulate(outShape) { i in
            let j = shape.indices.map { i[$0] - low[$0] }
            return shape.indices.allSatisfy({ j[$0] >= 0 && j[$0] < shape[$0] }) ? values[flatIndex(j, in: shape)] : value.asDouble
        }
        #expect(try run(.pad(low: low, high: high, value: value), x).doubles == expected)
    }

    // MARK: reverse

    @Test func reverseFlipsListedAxes() throws {
        let x = try tensor(.f32, [2, 3], [1, 2, 3, 4, 5, 6])
        #expect(try run(.reverse(axes: [1]), x).doubles == [3, 2, 1, 6, 5, 4])
        #expect(try run(.reverse(axes: [0]), x).doubles == [4, 5, 6, 1, 2, 3])
        #expect(try run(.reverse(axes: [0, 1]), x).doubles == [6, 5, 4, 3, 2, 1])
        #expect(try run(.reverse(axes: []), x).doubles == [1, 2, 3, 4, 5, 6])
        #expect(try run(.reverse(axes: [1]), try tensor(.f32, [2, 0], [])).count == 0)
    }

    @Test(arguments: DType.allCases)
    func reverseMatchesTheReference(dtype: DType) throws {
        let shape = [3, 4, 5]
        let x = try randomTensor(dtype, shape, seed: 21)
        let values = x.doubles
        for axes in [[0], [1], [2], [0, 2], [2, 1], [0, 1, 2]] {
            let expected = tabulate(shape) { i in
                values[flatIndex(shape.indices.map { axes.contains($0) ? shape[$0] - 1 - i[$0] : i[$0] }, in: shape)]
            }
            #expect(try run(.reverse(axes: axes), x).doubles == expected, "axes \(axes)")
        }
    }
}
