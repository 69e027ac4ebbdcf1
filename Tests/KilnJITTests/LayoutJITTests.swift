import KilnIR
import KilnRuntime
import Testing

/// Compiled layout ops against the interpreter, on every dtype. Tolerance: bit-exact (pure copies).
@Suite struct LayoutJITTests {
    @Test(arguments: DType.allCases)
    func broadcastInDim(dtype: DType) throws {
        let cases: [([Int], [Int], [Int])] = [
            ([3], [2, 3], [1]), ([3], [3, 2], [0]), ([1, 3], [4, 3], [0, 1]), ([2, 1, 3], [2, 5, 3], [0, 1, 2]),
            ([], [2, 3], []), ([2, 3], [2, 4, 3], [0, 2]), ([1], [7], [0]), ([3, 1], [2, 3, 4], [1, 2]),
        ]
        for (from, to, dims) in cases {
            let f = try singleOp(.broadcastInDim(shape: to, dims: dims), [TensorType(dtype, from)])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func transpose(dtype: DType) throws {
        for perm in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let f = try singleOp(.transpose(perm: perm), [TensorType(dtype, [2, 3, 5])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func slice(dtype: DType) throws {
        let cases: [([Int], [Int], [Int])] = [
            ([0, 0], [4, 6], [1, 1]), ([1, 2], [4, 6], [1, 1]), ([0, 1], [4, 6], [2, 3]), ([3, 5], [4, 6], [5, 5]), ([2, 2], [2, 6], [1, 1]),
        ]
        for (start, limit, stride) in cases {
            let f = try singleOp(.slice(start: start, limit: limit, stride: stride), [TensorType(dtype, [4, 6])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func concatenate(dtype: DType) throws {
        for axis in 0..<3 {
            var shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
            for k in 0..<3 { shapes[k][axis] = k + 1 }
            let f = try singleOp(.concatenate(axis: axis), shapes.map { TensorType(dtype, $0) })
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    @Test(arguments: DType.allCases)
    func pad(dtype: DType) throws {
        for value in edgeValues(dtype).prefix(6) {
            let scalar = (dtype.isInteger ? Scalar.int(Int64(exactly: value) ?? 0) : Scalar.float(value)).cast(to: dtype)
            let f = try singleOp(.pad(low: [1, 0, 2], high: [0, 3, 1], value: scalar), [TensorType(dtype, [2, 3, 2])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
        let none = try singleOp(.pad(low: [0, 0], high: [0, 0], value: Scalar.int(0).cast(to: dtype)), [TensorType(dtype, [3, 3])])
        try expectMatchesInterpreter(none, try testInputs(none))
    }

    @Test(arguments: DType.allCases)
    func reverse(dtype: DType) throws {
        for axes in [[], [0], [1], [2], [0, 2], [0, 1, 2]] {
            let f = try singleOp(.reverse(axes: axes), [TensorType(dtype, [3, 4, 5])])
            try expectMatchesInterpreter(f, try testInputs(f))
        }
    }

    /// A reshape feeding other ops shares its operand's storage; a returned one is a copy.
    @Test(arguments: DType.allCases)
    func reshape(dtype: DType) throws {
        let t = dtype.rawValue
        let f = try parseFunction("""
        func @f(%x: \(t)[2,6]) -> (\(t)[3,4], \(t)[4,3], \(t)[12]) {
          %a = reshape(%x) {shape = [3,4]} : \(t)[3,4]
          %b = transpose(%a) {perm = [1,0]} : \(t)[4,3]
          %c = reshape(%b) {shape = [12]} : \(t)[12]
          %d = reshape(%c) {shape = [4,3]} : \(t)[4,3]
          %e = reverse(%d) {axes = [0]} : \(t)[4,3]
          return %a, %e, %c
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f))
    }

    @Test func emptyTensors() throws {
        let f = try parseFunction("""
        func @f(%x: f32[0,3], %y: f32[2,3]) -> (f32[2,3], f32[3,0], f32[0,5], f32[2,0]) {
          %a = concatenate(%x, %y) {axis = 0} : f32[2,3]
          %b = transpose(%x) {perm = [1,0]} : f32[3,0]
          %c = pad(%x) {low = [0,1], high = [0,1], value = 1.0} : f32[0,5]
          %d = slice(%y) {start = [0,1], limit = [2,1], stride = [1,1]} : f32[2,0]
          return %a, %b, %c, %d
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f))
    }
}
