import KilnIR
import KilnRuntime
import Testing

/// Compiled pools, indexing ops and random numbers against the interpreter. Tolerance:
/// bit-exact (same window order and first-maximum rule, same index rules, the same
/// counter-based bits with the same libm calls for Box-Muller).
@Suite struct PoolingIndexingRandomJITTests {
    static let pools: [PoolAttributes] = [
        PoolAttributes(window: [2, 2]),
        PoolAttributes(window: [3, 2], stride: [1, 2], padding: [1, 1]),
        PoolAttributes(window: [3, 3], stride: [2, 2], padding: [2, 1]),
        // The library's specialized windows (`LibraryKernel.commonPoolWindows`).
        PoolAttributes(window: [3, 3], stride: [2, 2], padding: [1, 1]),
        PoolAttributes(window: [3, 3], stride: [1, 1], padding: [1, 1]),
    ]

    @Test(arguments: [DType.f32, .f64])
    func pools(dtype: DType) throws {
        let input = TensorType(dtype, [2, 3, 7, 6])
        for p in Self.pools {
            for (op, gradOp) in [(Op.maxPool2d(p), Op.maxPool2dGrad(p)), (.avgPool2d(p), .avgPool2dGrad(p))] {
                let f = try singleOp(op, [input])
                try expectMatchesInterpreter(f, try testInputs(f))
                try expectMatchesInterpreter(f, try testInputs(f, edges: false))
                let g = try singleOp(gradOp, [input, f.resultTypes[0]])
                try expectMatchesInterpreter(g, try testInputs(g))
                try expectMatchesInterpreter(g, try testInputs(g, edges: false))
            }
        }
    }

    /// Equal values in a window: the first one is the maximum (the result, with the sign of its
    /// zero, and the position receiving the gradient).
    @Test func maxPoolTiesGoToTheFirst() throws {
        let p = PoolAttributes(window: [2, 2], stride: [1, 1])
        let x = try HostTensor([1, 1, 3, 3], floats: [-0.0, 0, 3, 0, -0.0, 1, 2, 2, 2])
        let pooled = try expectMatchesInterpreter(try singleOp(.maxPool2d(p), [x.type]), [x])[0]
        #expect(pooled.doubles.map(\.bitPattern) == [-0.0, 3, 2, 2].map(\.bitPattern))
        let g = try HostTensor([1, 1, 2, 2], floats: [1, 10, 100, 1000])
        let grad = try expectMatchesInterpreter(try singleOp(.maxPool2dGrad(p), [x.type, g.type]), [x, g])[0]
        #expect(grad.doubles == [1, 0, 10, 0, 0, 0, 100, 1000, 0])
    }

    /// Pools of an image without pixels: -inf (max) or 0 (average) from padding alone.
    @Test func poolsOfEmptyImages() throws {
        for op in [Op.maxPool2d(PoolAttributes(window: [2, 2], padding: [1, 1])), .avgPool2d(PoolAttributes(window: [2, 2], padding: [1, 1]))] {
            let f = try singleOp(op, [TensorType(.f32, [1, 2, 0, 3])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func gather(dtype: DType) throws {
        for indexType in [DType.i32, .i64] {
            for axis in 0..<3 {
                let f = try singleOp(.gather(axis: axis), [TensorType(dtype, [3, 4, 2]), TensorType(indexType, [2, 5])])
                try expectMatchesInterpreter(f, try testInputs(f))
                try expectMatchesInterpreter(f, try testInputs(f, seed: 5, edges: false))
            }
        }
    }

    @Test(arguments: [DType.f32, .f64, .i32, .i64])
    func scatterAdd(dtype: DType) throws {
        for indexType in [DType.i32, .i64] {
            for axis in 0..<3 {
                let target = TensorType(dtype, [3, 4, 2])
                let indices = TensorType(indexType, [2, 5])
                let updates = try inferResultTypes(.gather(axis: axis), [target, indices])[0]
                let f = try singleOp(.scatterAdd(axis: axis), [target, indices, updates])
                try expectMatchesInterpreter(f, try testInputs(f, edges: false))
                try expectMatchesInterpreter(f, try testInputs(f, seed: 11))
            }
        }
    }

    @Test(arguments: DType.allCases)
    func oneHot(dtype: DType) throws {
        for indexType in [DType.i32, .i64] {
            let f = try singleOp(.oneHot(depth: 5, dtype: dtype), [TensorType(indexType, [3, 6])])
            try expectMatchesInterpreter(f, try testInputs(f))
            try expectMatchesInterpreter(f, try testInputs(f, seed: 2, edges: false))
        }
    }

    @Test(arguments: [DType.f32, .f64])
    func randomNumbers(dtype: DType) throws {
        let type = TensorType(dtype, [3, 41])
        for seed in [0, 42, -7, Int64.min, Int64.max] {
            for op in [Op.rngUniform(seed: seed, type), .rngNormal(seed: seed, type)] {
                try expectMatchesInterpreter(try singleOp(op, []), [])
                for keyType in [DType.i32, .i64] {
                    let f = try singleOp(op, [TensorType(keyType, [])])
                    for key in [0, 1, -1, 123_456] {
                        try expectMatchesInterpreter(f, [try HostTensor(TensorType(keyType, []), scalars: [.int(Int64(key))])])
                    }
                }
            }
        }
    }
}
