import KilnIR
import KilnRuntime
import Testing

/// Compiled matmul and convolutions against the interpreter, with `exactOptions` (one sample per
/// convolution product). Both sides make the same `cblas_?gemm` calls (same sizes, flags and
/// operands) as long as the interpreter's im2col tile holds every output position
/// (C·KH·KW·Ho·Wo ≤ 2^18), which all these cases respect: the results are bit-exact. The col2im
/// accumulation order is the same on both sides. Batched products: ConvolutionJITTests.
@Suite struct LinalgJITTests {
    @Test(arguments: [DType.f32, .f64], [false, true])
    func matmul(dtype: DType, transposeA: Bool) throws {
        for transposeB in [false, true] {
            for batch in [nil, 3] {
                let (m, k, n) = (4, 5, 3)
                let a = (batch.map { [$0] } ?? []) + (transposeA ? [k, m] : [m, k])
                let b = (batch.map { [$0] } ?? []) + (transposeB ? [n, k] : [k, n])
                let f = try singleOp(.matmul(transposeA: transposeA, transposeB: transposeB), [TensorType(dtype, a), TensorType(dtype, b)])
                try expectMatchesInterpreter(f, try testInputs(f, edges: false))
            }
        }
    }

    /// Empty products: no rows, no columns, or nothing to contract (a zero result).
    @Test func degenerateMatmuls() throws {
        for (a, b) in [([0, 3], [3, 2]), ([2, 3], [3, 0]), ([2, 0], [0, 3]), ([2, 2, 0], [2, 0, 3])] {
            let f = try singleOp(.matmul(transposeA: false, transposeB: false), [TensorType(.f32, a), TensorType(.f32, b)])
            try expectMatchesInterpreter(f, try testInputs(f, edges: false))
        }
    }

    static let convolutions: [ConvAttributes] = [
        ConvAttributes(),
        ConvAttributes(stride: [2, 1], padding: [1, 2], dilation: [1, 1]),
        ConvAttributes(stride: [1, 2], padding: [0, 1], dilation: [2, 1]),
        ConvAttributes(stride: [3, 3], padding: [2, 2], dilation: [2, 2]),
    ]

    @Test(arguments: [DType.f32, .f64])
    func conv2d(dtype: DType) throws {
        for a in Self.convolutions {
            let f = try singleOp(.conv2d(a), [TensorType(dtype, [2, 3, 7, 8]), TensorType(dtype, [4, 3, 3, 2])])
            try expectMatchesInterpreter(f, try testInputs(f, edges: false))
        }
        let pointwise = try singleOp(.conv2d(ConvAttributes()), [TensorType(dtype, [2, 3, 4, 5]), TensorType(dtype, [6, 3, 1, 1])])
        try expectMatchesInterpreter(pointwise, try testInputs(pointwise, edges: false))
    }

    @Test(arguments: [DType.f32, .f64])
    func conv2dTranspose(dtype: DType) throws {
        for a in Self.convolutions {
            for outputPadding in [[0, 0], [1, 0]] where outputPadding[0] < max(a.stride[0], a.dilation[0]) {
                let op = Op.conv2dTranspose(a, outputPadding: outputPadding)
                let f = try singleOp(op, [TensorType(dtype, [2, 4, 3, 4]), TensorType(dtype, [4, 3, 3, 2])])
                try expectMatchesInterpreter(f, try testInputs(f, edges: false))
            }
        }
    }

    @Test(arguments: [DType.f32, .f64])
    func conv2dFilterGrad(dtype: DType) throws {
        for a in Self.convolutions {
            let input = TensorType(dtype, [2, 3, 7, 8])
            let forward = try inferResultTypes(.conv2d(a), [input, TensorType(dtype, [4, 3, 3, 2])])[0]
            let f = try singleOp(.conv2dFilterGrad(a, window: [3, 2]), [input, forward])
            try expectMatchesInterpreter(f, try testInputs(f, edges: false))
        }
        let pointwise = try singleOp(.conv2dFilterGrad(ConvAttributes(), window: [1, 1]),
                                     [TensorType(dtype, [2, 3, 4, 5]), TensorType(dtype, [2, 6, 4, 5])])
        try expectMatchesInterpreter(pointwise, try testInputs(pointwise, edges: false))
    }

    /// No input channels (nothing to add up) and no images.
    @Test func degenerateConvolutions() throws {
        let cases: [(Op, [[Int]])] = [
            (.conv2d(ConvAttributes()), [[1, 0, 3, 3], [2, 0, 2, 2]]),
            (.conv2d(ConvAttributes()), [[0, 2, 3, 3], [2, 2, 2, 2]]),
            (.conv2dTranspose(ConvAttributes(), outputPadding: [0, 0]), [[1, 0, 3, 3], [0, 2, 2, 2]]),
            (.conv2dFilterGrad(ConvAttributes(), window: [2, 2]), [[0, 2, 3, 3], [0, 3, 2, 2]]),
        ]
        for (op, shapes) in cases {
            let f = try singleOp(op, shapes.map { TensorType(.f32, $0) })
            try expectMatchesInterpreter(f, try testInputs(f, edges: false))
        }
    }
}
