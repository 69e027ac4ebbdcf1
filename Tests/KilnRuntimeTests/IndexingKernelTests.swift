import KilnIR
import KilnRuntime
import Testing

@Suite struct IndexingKernelTests: KernelTesting {
    /// Reproducible indices in `range` (which may reach outside the table).
    func randomIndices(_ dtype: DType, _ shape: [Int], in range: ClosedRange<Int>, seed: UInt64) throws -> HostTensor {
        var random = KernelTestRandom(seed: seed)
        return try tensor(dtype, shape, (0..<shape.reduce(1, *)).map { _ in Double(Int.random(in: range, using: &random)) })
    }

    /// `table.shape[..<axis] + indices.shape + table.shape[axis+1...]`.
    func gatheredShape(_ table: [Int], axis: Int, _ indices: [Int]) -> [Int] {
        Array(table[..<axis]) + indices + Array(table[(axis + 1)...])
    }

    /// Where position `i` of the gathered tensor reads in the table, or nil when out of range.
    func tableIndex(_ i: [Int], axis: Int, indexRank: Int, indexValues: [Double], indexShape: [Int], tableShape: [Int]) -> [Int]? {
        let k = Int(indexValues[flatIndex(Array(i[axis..<(axis + indexRank)]), in: indexShape)])
        guard k >= 0 && k < tableShape[axis] else { return nil }
        return Array(i[..<axis]) + [k] + Array(i[(axis + indexRank)...])
    }

    // MARK: gather

    @Test func gatherReadsRowsAndZerosOutOfRange() throws {
        let table = try tensor(.f32, [3, 2], [1, 2, 3, 4, 5, 6])
        let indices = try tensor(.i32, [2, 0, 3, -1, 2])
        let g = try run(.gather(axis: 0), table, indices)
        #expect(g.type.shape == [5, 2])
        #expect(g.doubles == [5, 6, 1, 2, 0, 0, 0, 0, 5, 6])
        let columns = try run(.gather(axis: 1), table, try tensor(.i64, [2, 2], [1, 1, 0, 7]))
        #expect(columns.type.shape == [3, 2, 2])
        #expect(columns.doubles == [2, 2, 1, 0, 4, 4, 3, 0, 6, 6, 5, 0])
        let flags = try tensor(.bool, [1, 1])
        #expect(bools(try run(.gather(axis: 0), flags, try tensor(.i32, [1, 2, -5]))) == [true, false, false])
    }

    @Test(arguments: DType.allCases)
    func gatherMatchesTheReference(dtype: DType) throws {
        let tableShape = [3, 4, 2], indexShape = [2, 3]
        let table = try randomTensor(dtype, tableShape, seed: 30)
        let values = table.doubles
        for (axis, indexType) in [(0, DType.i32), (1, .i64), (2, .i32)] {
            let indices = try randomIndices(indexType, indexShape, in: -2...(tableShape[axis] + 1), seed: 31 + UInt64(axis))
            let indexValues = indices.doubles
            let expected = tabulate(gatheredShape(tableShape, axis: axis, indexShape)) { i in
                tableIndex(i, axis: axis, indexRank: 2, indexValues: indexValues, indexShape: indexShape, tableShape: tableShape)
                    .map { values[flatIndex($0, in: tableShape)] } ?? 0
            }
            #expect(try run(.gather(axis: axis), table, indices).doubles == expected, "axis \(axis)")
        }
    }

    // MARK: scatter_add

    @Test func scatterAddAddsRepeatsAndDropsOutOfRange() throws {
        let target = try tensor(.f32, [3, 2], [1, 1, 1, 1, 1, 1])
        let indices = try tensor(.i64, [2, 0, 2, 5, -1])
        let updates = try tensor(.f32, [5, 2], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        #expect(try run(.scatterAdd(axis: 0), target, indices, updates).doubles == [31, 41, 1, 1, 61, 81])
        #expect(target.doubles == [1, 1, 1, 1, 1, 1])
    }

    @Test(arguments: [DType.i32, .i64])
    func scatterAddOfIntegersWraps(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let target = try tensor(dtype, ints: [hi, 5])
        let indices = try tensor(.i32, [0, 0, 1])
        let updates = try tensor(dtype, ints: [1, 1, -7])
        #expect(try ints(run(.scatterAdd(axis: 0), target, indices, updates)) == [lo + 1, -2])
    }

    @Test(arguments: ElementwiseKernelTests.numeric)
    func scatterAddMatchesTheReference(dtype: DType) throws {
        let targetShape = [3, 4, 2], indexShape = [5]
        let target = try randomTensor(dtype, targetShape, seed: 40)
        let indices = try randomIndices(.i32, indexShape, in: -1...4, seed: 41)
        let indexValues = indices.doubles
        let updateShape = gatheredShape(targetShape, axis: 1, indexShape)
        let updates = try randomTensor(dtype, updateShape, seed: 42)
        // Adds each update where it belongs, visiting the updates in row-major order.
        var expected = target.doubles
        let updateValues = updates.doubles
        for u in updateValues.indices {
            let i = multiIndex(u, in: updateShape)
            if let j = tableIndex(i, axis: 1, indexRank: 1, indexValues: indexValues, indexShape: indexShape, tableShape: targetShape) {
                let at = flatIndex(j, in: targetShape)
                expected[at] = dtype == .f32 ? Double(Float(expected[at]) + Float(updateValues[u])) : expected[at] + updateValues[u]
            }
        }
        #expect(try run(.scatterAdd(axis: 1), target, indices, updates).doubles == expected)
    }

    /// scatter_add is the adjoint of gather: <gather(t, i), u> == <t, scatter_add(0, i, u)>.
    @Test(arguments: [0, 1, 2])
    func scatterAddIsTheAdjointOfGather(axis: Int) throws {
        let tableShape = [3, 5, 4], indexShape = [4, 3]
        let t = try randomTensor(.f64, tableShape, seed: 50)
        let indices = try randomIndices(.i64, indexShape, in: -2...(tableShape[axis] + 1), seed: 51 + UInt64(axis))
        let u = try randomTensor(.f64, gatheredShape(tableShape, axis: axis, indexShape), seed: 54)
        let zero = try tensor(.f64, tableShape, Array(repeating: 0, count: t.count))
        let lhs = zip(try run(.gather(axis: axis), t, indices).doubles, u.doubles).map(*).reduce(0, +)
        let rhs = zip(t.doubles, try run(.scatterAdd(axis: axis), zero, indices, u).doubles).map(*).reduce(0, +)
        #expect(lhs != 0)
        #expect(Swift.abs(lhs - rhs) <= 1e-12 * Swift.abs(lhs))
    }

    // MARK: one_hot

    @Test(arguments: DType.allCases)
    func oneHotMarksTheIndexAndZeroesOutOfRange(dtype: DType) throws {
        let indices = try tensor(.i32, [0, 2, 3, -1, 1])
        let result = try run(.oneHot(depth: 3, dtype: dtype), indices)
        #expect(result.type == TensorType(dtype, [5, 3]))
        #expect(result.doubles == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0])
    }

    @Test func oneHotOfMatrixIndices() throws {
        let indices = try tensor(.i64, [2, 2], [1, 0, 0, 1])
        let result = try run(.oneHot(depth: 2, dtype: .f32), indices)
        #expect(result.type.shape == [2, 2, 2])
        #expect(result.doubles == [0, 1, 1, 0, 1, 0, 0, 1])
        let big = try tensor(.i64, ints: [Int64.max, Int64.min, 1 << 32])
        #expect(try run(.oneHot(depth: 4, dtype: .i32), big).doubles == Array(repeating: 0, count: 12))
    }
}
