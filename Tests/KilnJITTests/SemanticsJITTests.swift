import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import Testing

/// The rules of docs/ir.md checked on compiled code against hand-computed values, independently
/// of the interpreter.
@Suite struct SemanticsJITTests {
    /// Compiles the one function of `text` and runs it.
    func run(_ text: String, _ inputs: [HostTensor] = [], options: CodegenOptions = CodegenOptions()) throws -> [HostTensor] {
        try JITCompiler.shared.compile(try parseFunction(text), options: options).run(inputs)
    }

    func ints(_ dtype: DType, _ values: [Int64]) throws -> HostTensor {
        try HostTensor(TensorType(dtype, [values.count]), scalars: values.map { .int($0) })
    }

    func floats(_ dtype: DType, _ values: [Double]) throws -> HostTensor {
        try HostTensor(TensorType(dtype, [values.count]), doubles: values)
    }

    func binary(_ op: String, _ a: HostTensor, _ b: HostTensor) throws -> [Scalar] {
        let t = a.type
        let out = try run("func @f(%a: \(t), %b: \(t)) -> (\(t)) {\n  %c = \(op)(%a, %b) : \(t)\n  return %c\n}", [a, b])[0]
        return (0..<out.count).map { out[$0] }
    }

    @Test(arguments: [DType.i32, .i64])
    func integerDivisionRules(dtype: DType) throws {
        let min: Int64 = dtype == .i32 ? Int64(Int32.min) : .min
        let q = try binary("div", try ints(dtype, [7, -7, 7, min, 5, 0, -9]), try ints(dtype, [2, 2, 0, -1, -1, 0, -4]))
        #expect(q == [3, -3, 0, min, -5, 0, 2].map { Scalar.int($0) })
    }

    @Test func integerPowerRules() throws {
        let a: [Int64] = [2, 1, -1, -1, 2, 0, 3, -7, 5]
        let b: [Int64] = [10, -3, -3, -2, -1, 0, 40, 3, 0]
        #expect(try binary("pow", try ints(.i32, a), try ints(.i32, b)) == [1024, 1, -1, 1, 0, 1, 689_956_897, -343, 1].map { Scalar.int($0) })
        #expect(try binary("pow", try ints(.i64, a), try ints(.i64, b)) == [1024, 1, -1, 1, 0, 1, -6_289_078_614_652_622_815, -343, 1].map { Scalar.int($0) })
    }

    @Test func integersWrapAround() throws {
        let max = Int64(Int32.max), min = Int64(Int32.min)
        #expect(try binary("add", try ints(.i32, [max, min]), try ints(.i32, [1, -1])) == [.int(min), .int(max)])
        #expect(try binary("mul", try ints(.i32, [65536, max]), try ints(.i32, [65536, 2])) == [.int(0), .int(-2)])
        let out = try run("""
        func @f(%x: i64[3]) -> (i64[3], i64[3]) {
          %a = abs(%x) : i64[3]
          %n = neg(%x) : i64[3]
          return %a, %n
        }
        """, [try ints(.i64, [.min, -5, 6])])
        #expect(out[0].doubles == [-9.223372036854775808e18, 5, 6])
        #expect(out[1][0] == .int(.min) && out[1][1] == .int(5))
    }

    @Test func maxAndMinPropagateNaNAndReturnTheSecondOfEqualValues() throws {
        let a = try floats(.f32, [.nan, 1, 0, -0.0, 2])
        let b = try floats(.f32, [1, .nan, -0.0, 0, 3])
        let max = try binary("max", a, b).map(\.asDouble)
        #expect(max[0].isNaN && max[1].isNaN)
        #expect(max[2].bitPattern == (-0.0).bitPattern && max[3].bitPattern == 0.0.bitPattern && max[4] == 3)
        let min = try binary("min", a, b).map(\.asDouble)
        #expect(min[0].isNaN && min[1].isNaN && min[2].bitPattern == (-0.0).bitPattern && min[4] == 2)
    }

    @Test func signedZerosAndNaNInUnaryOps() throws {
        let out = try run("""
        func @f(%x: f64[4]) -> (f64[4], f64[4], f64[4], f64[4]) {
          %r = relu(%x) : f64[4]
          %s = sign(%x) : f64[4]
          %a = abs(%x) : f64[4]
          %n = neg(%x) : f64[4]
          return %r, %s, %a, %n
        }
        """, [try floats(.f64, [-0.0, .nan, -2, 0])])
        let bits = out.map { $0.doubles.map(\.bitPattern) }
        #expect(bits[0][0] == 0 && out[0][1].asDouble.isNaN && out[0].doubles[2] == 0)
        #expect(bits[1][0] == (-0.0).bitPattern && out[1][1].asDouble.isNaN && out[1].doubles[2] == -1 && bits[1][3] == 0)
        #expect(bits[2][0] == 0 && out[2].doubles[2] == 2)
        #expect(bits[3][0] == 0 && bits[3][3] == (-0.0).bitPattern && out[3].doubles[2] == 2)
    }

    @Test func comparisonsWithNaNAreFalseExceptNotEqual() throws {
        for direction in CompareDirection.allCases {
            let out = try run("""
            func @f(%a: f32[3], %b: f32[3]) -> (bool[3]) {
              %c = compare(%a, %b) {direction = "\(direction.rawValue)"} : bool[3]
              return %c
            }
            """, [try floats(.f32, [.nan, 1, .nan]), try floats(.f32, [1, .nan, .nan])])[0]
            #expect(out.doubles == Array(repeating: direction == .ne ? 1 : 0, count: 3), "\(direction)")
        }
    }

    @Test func floatToIntegerConversionSaturates() throws {
        let x = try floats(.f32, [.nan, 3.9, -3.9, 1e10, -1e10, .infinity, -.infinity, 2_147_483_520])
        let out = try run("""
        func @f(%x: f32[8]) -> (i32[8], i64[8], bool[8]) {
          %i = convert(%x) {dtype = "i32"} : i32[8]
          %l = convert(%x) {dtype = "i64"} : i64[8]
          %b = convert(%x) {dtype = "bool"} : bool[8]
          return %i, %l, %b
        }
        """, [x])
        let (max, min) = (Double(Int32.max), Double(Int32.min))
        #expect(out[0].doubles == [0, 3, -3, max, min, max, min, 2_147_483_520])
        #expect(out[1].doubles == [0, 3, -3, 1e10, -1e10, 9.223372036854775807e18, -9.223372036854775808e18, 2_147_483_520])
        #expect(out[2].doubles == [1, 1, 1, 1, 1, 1, 1, 1])
        let zero = try run("func @f(%x: f64[2]) -> (bool[2]) {\n  %b = convert(%x) {dtype = \"bool\"} : bool[2]\n  return %b\n}", [try floats(.f64, [-0.0, 0])])
        #expect(zero[0].doubles == [0, 0])
    }

    @Test func emptyReductionsAndArgmaxOfNaN() throws {
        let out = try run("""
        func @f(%x: f32[0,2], %i: i32[0], %y: f32[2,4]) -> (f32[2], f32[2], f32[2], i32[], i32[2]) {
          %s = reduce_sum(%x) {axes = [0]} : f32[2]
          %mx = reduce_max(%x) {axes = [0]} : f32[2]
          %mn = reduce_min(%x) {axes = [0]} : f32[2]
          %im = reduce_max(%i) {axes = [0]} : i32[]
          %a = argmax(%y) {axis = 1} : i32[2]
          return %s, %mx, %mn, %im, %a
        }
        """, [try HostTensor(zeros: TensorType(.f32, [0, 2])), try HostTensor(zeros: TensorType(.i32, [0])),
              try HostTensor([2, 4], floats: [1, .nan, 5, .nan, 3, 7, 7, 1])])
        #expect(out[0].doubles == [0, 0] && out[1].doubles == [-.infinity, -.infinity] && out[2].doubles == [.infinity, .infinity])
        #expect(out[3].doubles == [Double(Int32.min)])
        #expect(out[4].doubles == [1, 1])
    }

    @Test func indexingOutOfRange() throws {
        let out = try run("""
        func @f(%t: f32[2,2], %i: i64[4], %u: f32[5], %j: i32[5], %k: i32[3]) -> (f32[4,2], f32[3], f64[3,3]) {
          %g = gather(%t, %i) {axis = 0} : f32[4,2]
          %z = constant() {value = 0.5} : f32[3]
          %s = scatter_add(%z, %j, %u) {axis = 0} : f32[3]
          %h = one_hot(%k) {depth = 3, dtype = "f64"} : f64[3,3]
          return %g, %s, %h
        }
        """, [try HostTensor([2, 2], floats: [1, 2, 3, 4]), try ints(.i64, [1, -1, 2, 0]), try floats(.f32, [1, 2, 3, 4, 5]),
              try ints(.i32, [0, 0, 5, -1, 2]), try ints(.i32, [2, -1, 3])])
        #expect(out[0].doubles == [3, 4, 0, 0, 0, 0, 1, 2])
        #expect(out[1].doubles == [3.5, 0.5, 5.5])
        #expect(out[2].doubles == [0, 0, 1, 0, 0, 0, 0, 0, 0])
    }

    @Test func convolutionAndPoolingByHand() throws {
        let out = try run("""
        func @f(%x: f32[1,1,3,3], %w: f32[1,1,2,2]) -> (f32[1,1,2,2], f32[1,1,4,4], f32[1,1,2,2], f32[1,1,2,2]) {
          %c = conv2d(%x, %w) : f32[1,1,2,2]
          %p = conv2d(%x, %w) {padding = [1,1]} : f32[1,1,4,4]
          %a = avg_pool2d(%x) {window = [2,2], stride = [2,2], padding = [1,1]} : f32[1,1,2,2]
          %m = max_pool2d(%x) {window = [2,2], stride = [1,1]} : f32[1,1,2,2]
          return %c, %p, %a, %m
        }
        """, [try HostTensor([1, 1, 3, 3], floats: [1, 2, 3, 4, 5, 6, 7, 8, 9]), try HostTensor([1, 1, 2, 2], floats: [1, 1, 1, 1])])
        #expect(out[0].doubles == [12, 16, 24, 28])
        #expect(out[1].doubles == [1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9])
        #expect(out[2].doubles == [0.25, 1.25, 2.75, 7])
        #expect(out[3].doubles == [5, 6, 8, 9])
    }

    @Test func matmulByHand() throws {
        let out = try run("""
        func @f(%a: f64[2,3], %b: f64[2,3]) -> (f64[2,2], f64[3,3]) {
          %c = matmul(%a, %b) {transpose_b = true} : f64[2,2]
          %d = matmul(%a, %b) {transpose_a = true} : f64[3,3]
          return %c, %d
        }
        """, [try HostTensor(TensorType(.f64, [2, 3]), doubles: [1, 2, 3, 4, 5, 6]), try HostTensor(TensorType(.f64, [2, 3]), doubles: [1, 0, -1, 2, 1, 0])])
        #expect(out[0].doubles == [-2, 4, -2, 13])
        #expect(out[1].doubles == [9, 4, -1, 12, 5, -2, 15, 6, -3])
    }

    /// The counter-based generator recomputed from its definition in docs/ir.md.
    @Test func randomBitsFollowTheDefinition() throws {
        func mix64(_ x: UInt64) -> UInt64 {
            var z = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let (seed, key): (Int64, Int64) = (-3, 17)
        let stream = mix64(UInt64(bitPattern: seed) &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(bitPattern: key) &+ 1))
        let bits = (0..<8).map { mix64(stream &+ UInt64($0) &* 0xD1B5_4A32_D192_ED03) }
        let out = try run("""
        func @f(%k: i64[]) -> (f32[8], f64[8]) {
          %a = rng_uniform(%k) {seed = -3} : f32[8]
          %b = rng_uniform(%k) {seed = -3} : f64[8]
          return %a, %b
        }
        """, [try HostTensor(TensorType(.i64, []), scalars: [.int(key)])])
        #expect(out[0].doubles == bits.map { Double(Float(Double($0 >> 40) * 0x1p-24)) })
        #expect(out[1].doubles == bits.map { Double($0 >> 11) * 0x1p-53 })
    }

    @Test func normalNumbersHaveUnitVariance() throws {
        let out = try run("func @f() -> (f64[20000]) {\n  %n = rng_normal() {seed = 9} : f64[20000]\n  return %n\n}")[0].doubles
        let mean = out.reduce(0, +) / Double(out.count)
        let variance = out.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(out.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}
