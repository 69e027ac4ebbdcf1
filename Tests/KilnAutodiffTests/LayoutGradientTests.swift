import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

@Suite struct LayoutGradientTests {
    @Test(arguments: [ReduceOp.sum, .max, .min])
    func reduceOverSeveralAxes(_ r: ReduceOp) throws {
        var rng = SeededGenerator(seed: seed(r.rawValue))
        for axes in [[0], [1], [0, 2], [2, 0, 1], []] {
            try checkOp(.reduce(r, axes: axes), [TensorType(.f64, rng.shape(rank: 3))], rng: &rng)
        }
    }

    @Test func broadcastOverSeveralAxes() throws {
        var rng = SeededGenerator(seed: 6)
        for _ in 0..<6 {
            let input = rng.shape(rank: rng.int(0...3), dims: 1...3).map { rng.bool() ? 1 : $0 }
            let rank = input.count + rng.int(0...2)
            let dims = Array((0..<rank).shuffled(using: &rng).prefix(input.count)).sorted()
            var shape = rng.shape(rank: rank, dims: 1...3)
            for (k, d) in dims.enumerated() where input[k] != 1 { shape[d] = input[k] }
            try checkOp(.broadcastInDim(shape: shape, dims: dims), [TensorType(.f64, input)], rng: &rng)
        }
    }

    @Test func reshape() throws {
        var rng = SeededGenerator(seed: 7)
        for (from, to) in [([2, 3, 4], [6, 4]), ([6], [1, 3, 2, 1]), ([3, 1, 4], [4, 3]), ([], [1, 1])] {
            try checkOp(.reshape(shape: to), [TensorType(.f64, from)], rng: &rng)
        }
    }

    @Test func transpose() throws {
        var rng = SeededGenerator(seed: 8)
        for rank in 2...4 {
            let perm = Array(0..<rank).shuffled(using: &rng)
            try checkOp(.transpose(perm: perm), [TensorType(.f64, rng.shape(rank: rank, dims: 1...3))], rng: &rng)
        }
    }

    @Test func slicesWithStrides() throws {
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<8 {
            let shape = rng.shape(rank: rng.int(1...3), dims: 1...7)
            let start = shape.map { rng.int(0...($0 - 1)) }
            let limit = shape.indices.map { rng.int((start[$0] + 1)...shape[$0]) }
            let stride = shape.map { _ in rng.int(1...3) }
            try checkOp(.slice(start: start, limit: limit, stride: stride), [TensorType(.f64, shape)], rng: &rng)
        }
    }

    @Test func concatenate() throws {
        var rng = SeededGenerator(seed: 10)
        for count in 1...3 {
            let shape = rng.shape(rank: 3, dims: 1...3)
            let axis = rng.int(0...2)
            let types = (0..<count).map { _ in
                var s = shape
                s[axis] = rng.int(1...3)
                return TensorType(.f64, s)
            }
            try checkOp(.concatenate(axis: axis), types, rng: &rng)
        }
    }

    @Test func pad() throws {
        var rng = SeededGenerator(seed: 11)
        for rank in 1...3 {
            let low = (0..<rank).map { _ in rng.int(0...2) }
            let high = (0..<rank).map { _ in rng.int(0...2) }
            try checkOp(.pad(low: low, high: high, value: .float(1.5)), [TensorType(.f64, rng.shape(rank: rank))], rng: &rng)
        }
    }

    @Test func reverse() throws {
        var rng = SeededGenerator(seed: 12)
        for axes in [[0], [1, 2], [2, 0], []] {
            try checkOp(.reverse(axes: axes), [TensorType(.f64, rng.shape(rank: 3, dims: 2...4))], rng: &rng)
        }
    }

    @Test func gatherWithRepeatedAndOutOfRangeIndices() throws {
        var rng = SeededGenerator(seed: 13)
        for _ in 0..<5 {
            let table = rng.shape(rank: rng.int(1...3), dims: 2...4)
            let axis = rng.int(0...(table.count - 1))
            let indices = TensorType(rng.bool() ? .i32 : .i64, rng.shape(rank: rng.int(1...2), dims: 3...5))
            try checkOp(.gather(axis: axis), [TensorType(.f64, table), indices], wrt: [0], indexLimit: table[axis], rng: &rng)
        }
    }

    /// Hand-computed: row r of the table's gradient is the sum of the weight rows whose index is r;
    /// out-of-range indices (-1, 3) read zeros and get no gradient.
    @Test func gatherGradientAddsRepeatedRows() throws {
        let f = try opLoss(.gather(axis: 0), [TensorType(.f64, [3, 2]), TensorType(.i32, [6])])
        let g = try grad(f, wrt: ["x0"])
        let table = try HostTensor(TensorType(.f64, [3, 2]), doubles: [1, 2, 3, 4, 5, 6])
        let indices = try HostTensor(TensorType(.i32, [6]), doubles: [1, 1, 0, -1, 1, 3])
        let weights = try HostTensor(TensorType(.f64, [6, 2]), doubles: [1, 2, 10, 20, 100, 200, 7, 7, 1000, 2000, 9, 9])
        let out = try interpret(g, inputs: [table, indices, weights])
        #expect(out[1].doubles == [100, 200, 1011, 2022, 0, 0])
    }

    @Test func scatterAdd() throws {
        var rng = SeededGenerator(seed: 14)
        for _ in 0..<5 {
            let target = rng.shape(rank: rng.int(1...3), dims: 2...4)
            let axis = rng.int(0...(target.count - 1))
            let indices = rng.shape(rank: rng.int(1...2), dims: 3...5)
            let updates = Array(target[..<axis]) + indices + Array(target[(axis + 1)...])
            try checkOp(.scatterAdd(axis: axis), [TensorType(.f64, target), TensorType(.i32, indices), TensorType(.f64, updates)],
                        wrt: [0, 2], indexLimit: target[axis], rng: &rng)
        }
    }
}
