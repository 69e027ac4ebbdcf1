import KilnCodegen
import KilnIR
import KilnRuntime
import Testing

/// Compiled elementwise ops against the interpreter, on every dtype each op accepts, with the
/// dtype's edge values (NaN, infinities, signed zeros, integer extremes). Tolerance: bit-exact
/// (both sides evaluate the same expressions with the same libm functions in the same precision).
@Suite struct ElementwiseJITTests {
    static let numeric: [DType] = [.f32, .f64, .i32, .i64]

    /// Two tensors of shape [n*n] holding every ordered pair of the dtype's edge values.
    static func pairs(_ dtype: DType) throws -> [HostTensor] {
        let e = edgeValues(dtype)
        let type = TensorType(dtype, [e.count * e.count])
        let (a, b) = (try HostTensor(zeros: type), try HostTensor(zeros: type))
        for (i, x) in e.enumerated() {
            for (j, y) in e.enumerated() {
                a[i * e.count + j] = dtype.isInteger ? .int(Int64(exactly: x) ?? 0) : .float(x)
                b[i * e.count + j] = dtype.isInteger ? .int(Int64(exactly: y) ?? 0) : .float(y)
            }
        }
        return [a, b]
    }

    @Test(arguments: UnaryOp.allCases)
    func unary(op: UnaryOp) throws {
        for dtype in Self.numeric where dtype.isFloat || !op.isFloatOnly {
            let f = try singleOp(.unary(op), [TensorType(dtype, [3, 7])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: BinaryOp.allCases)
    func binary(op: BinaryOp) throws {
        for dtype in Self.numeric {
            let inputs = try Self.pairs(dtype)
            try expectMatchesInterpreter(try singleOp(.binary(op), inputs.map(\.type)), inputs)
        }
    }

    @Test(arguments: CompareDirection.allCases)
    func compare(direction: CompareDirection) throws {
        for dtype in DType.allCases {
            let inputs = try Self.pairs(dtype)
            try expectMatchesInterpreter(try singleOp(.compare(direction), inputs.map(\.type)), inputs)
        }
    }

    @Test(arguments: DType.allCases)
    func select(dtype: DType) throws {
        let shape = [5, 3]
        let f = try singleOp(.select, [TensorType(.bool, shape), TensorType(dtype, shape), TensorType(dtype, shape)])
        try expectMatchesInterpreter(f, try testInputs(f, seed: 7))
    }

    @Test(arguments: DType.allCases)
    func convert(from source: DType) throws {
        for target in DType.allCases {
            let f = try singleOp(.convert(target), [TensorType(source, [2, 9])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func splatAndDenseConstants(dtype: DType) throws {
        for value in edgeValues(dtype) {
            let scalar = dtype.isInteger ? Scalar.int(Int64(exactly: value) ?? 0) : Scalar.float(value)
            let literal = scalar.cast(to: dtype)
            try expectMatchesInterpreter(try singleOp(.constant(.splat(literal), TensorType(dtype, [2, 5])), []), [])
        }
        let dense = edgeValues(dtype).map { dtype.isInteger ? Scalar.int(Int64(exactly: $0) ?? 0).cast(to: dtype) : Scalar.float($0).cast(to: dtype) }
        try expectMatchesInterpreter(try singleOp(.constant(.dense(dense), TensorType(dtype, [dense.count])), []), [])
    }

    @Test(arguments: numeric)
    func iota(dtype: DType) throws {
        for axis in 0..<3 {
            try expectMatchesInterpreter(try singleOp(.iota(axis: axis, TensorType(dtype, [3, 4, 5])), []), [])
        }
    }

    /// Every element count from 0 to 9 and a long one (parts of a parallel loop split them unevenly).
    @Test func loopsCoverEveryElementCount() throws {
        for count in Array(0...9) + [1001] {
            let f = try singleOp(.binary(.sub), [TensorType(.f32, [count]), TensorType(.f32, [count])])
            try expectMatchesInterpreter(f, try testInputs(f, edges: false))
        }
    }
}
