import KilnCodegen
import KilnIR
import KilnRuntime
import Testing

/// Compiled reductions against the interpreter over every subset of axes of a rank-3 tensor.
/// With one accumulator (the interpreter's row-major order) every reduction is bit-exact; with
/// the default four, integer sums (wrapping addition is associative) and max/min are still
/// bit-exact, and float sums move by less than 1e-6·Σ|x| (f32) / 1e-15·Σ|x| (f64); on these
/// small inputs in [-4, 4) that is within 1e-5 (f32) / 1e-13 (f64) relative to `1 + |result|`.
@Suite struct ReductionJITTests {
    static let axesSets: [[Int]] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], [2, 0]]

    static func sumTolerance(_ dtype: DType) -> Tolerance {
        switch dtype {
        case .f32: return .relative(1e-5)
        case .f64: return .relative(1e-13)
        case .i32, .i64, .bool: return .exact
        }
    }

    @Test(arguments: ReduceOp.allCases, [DType.f32, .f64, .i32, .i64])
    func reduce(op: ReduceOp, dtype: DType) throws {
        for axes in Self.axesSets {
            let f = try singleOp(.reduce(op, axes: axes), [TensorType(dtype, [3, 6, 9])])
            let tolerance = op == .sum ? Self.sumTolerance(dtype) : .exact
            try expectMatchesInterpreter(f, try testInputs(f, edges: false), .exact)
            try expectMatchesInterpreter(f, try testInputs(f, edges: false), tolerance, options: CodegenOptions())
            try expectMatchesInterpreter(f, try testInputs(f, edges: op != .sum), .exact, options: CodegenOptions(reductionAccumulators: 1))
        }
    }

    /// NaN and infinities propagate through max/min whichever accumulator meets them.
    @Test(arguments: [ReduceOp.max, .min])
    func extremaPropagateNaN(op: ReduceOp) throws {
        let f = try singleOp(.reduce(op, axes: [1]), [TensorType(.f32, [4, 14])])
        let x = try testTensor(TensorType(.f32, [4, 14]), seed: 3)
        for i in 0..<14 { x[14 + i] = .float(Double(i)) }
        x[14 + 9] = .float(.nan)
        let out = try expectMatchesInterpreter(f, [x], options: CodegenOptions())[0]
        #expect(out[0].asDouble.isNaN && out[1].asDouble.isNaN)
    }

    @Test func emptyReductionsGiveTheIdentity() throws {
        for dtype in [DType.f32, .i32, .i64, .f64] {
            for op in ReduceOp.allCases {
                let f = try singleOp(.reduce(op, axes: [0]), [TensorType(dtype, [0, 3])])
                try expectMatchesInterpreter(f, try testInputs(f), options: CodegenOptions())
            }
        }
    }

    @Test(arguments: [DType.f32, .f64, .i32, .i64])
    func argmax(dtype: DType) throws {
        for axis in 0..<3 {
            let f = try singleOp(.argmax(axis: axis), [TensorType(dtype, [4, 5, 6])])
            try expectMatchesInterpreter(f, try testInputs(f))
            try expectMatchesInterpreter(f, try testInputs(f, seed: 9, edges: false))
        }
    }

    /// Long sums: the accumulators' reassociation moves each result by less than 1e-6·Σ|x| (f32)
    /// and 1e-15·Σ|x| (f64).
    @Test(arguments: [(DType.f32, 1e-6), (.f64, 1e-15)])
    func longFloatSums(dtype: DType, bound: Double) throws {
        let f = try singleOp(.reduce(.sum, axes: [1]), [TensorType(dtype, [3, 10_001])])
        let x = try testInputs(f, edges: false)
        let magnitudes = x[0].doubles.map(\.magnitude)
        let rowSums: [Double] = (0..<3).map { row in magnitudes[(row * 10_001)..<((row + 1) * 10_001)].reduce(0, +) }
        let smallestRow = rowSums.min() ?? 0
        try expectMatchesInterpreter(f, x, .absolute(bound * smallestRow), options: CodegenOptions())
    }
}
