import KilnIR
import KilnRuntime
import Testing

@Suite struct ElementwiseKernelTests: KernelTesting {
    static let numeric: [DType] = [.f32, .f64, .i32, .i64]

    // MARK: constant, iota

    @Test(arguments: [
        (DType.f32, Scalar.float(2.5)), (.f64, .float(-1e300)), (.i32, .int(-7)), (.i64, .int(Int64.min)), (.bool, .bool(true)),
    ])
    func splatFillsEveryElement(dtype: DType, value: Scalar) throws {
        let t = try run(.constant(.splat(value), TensorType(dtype, [2, 3])))
        #expect(scalars(t) == Array(repeating: value, count: 6))
        let empty = try run(.constant(.splat(value), TensorType(dtype, [0, 3])))
        #expect(empty.count == 0)
    }

    @Test func denseGivesRowMajorElements() throws {
        let values: [Scalar] = [.int(1), .int(-2), .int(Int64(Int32.max)), .int(4)]
        #expect(scalars(try run(.constant(.dense(values), TensorType(.i32, [2, 2])))) == values)
        let floats: [Scalar] = [.float(0.5), .float(-.infinity)]
        #expect(scalars(try run(.constant(.dense(floats), TensorType(.f64, [2])))) == floats)
        #expect(try run(.constant(.dense([.bool(false), .bool(true)]), TensorType(.bool, [2]))).doubles == [0, 1])
    }

    @Test(arguments: numeric)
    func iotaCountsAlongItsAxis(dtype: DType) throws {
        #expect(try run(.iota(axis: 1, TensorType(dtype, [2, 3]))).doubles == [0, 1, 2, 0, 1, 2])
        #expect(try run(.iota(axis: 0, TensorType(dtype, [2, 3]))).doubles == [0, 0, 0, 1, 1, 1])
        let shape = [2, 3, 4]
        let expected = (0..<24).map { Double(multiIndex($0, in: shape)[1]) }
        #expect(try run(.iota(axis: 1, TensorType(dtype, shape))).doubles == expected)
    }

    // MARK: unary

    @Test(arguments: [DType.f32, .f64])
    func floatSignOpsKeepZerosAndNaN(dtype: DType) throws {
        let x = try tensor(dtype, [-2.5, -0.0, 0.0, 3, .nan, -.infinity])
        let cases: [(UnaryOp, [Double])] = [
            (.neg, [2.5, 0.0, -0.0, -3, .nan, .infinity]),
            (.abs, [2.5, 0.0, 0.0, 3, .nan, .infinity]),
            (.sign, [-1, -0.0, 0.0, 1, .nan, -1]),
            (.relu, [0, 0.0, 0.0, 3, .nan, 0]),
        ]
        for (op, expected) in cases {
            #expect(sameBits(try run(.unary(op), x).doubles, expected), "\(op)")
        }
    }

    @Test func absClearsTheSignBitOfNaN() throws {
        let negativeNaN = -Double.nan
        #expect(negativeNaN.sign == .minus)
        for dtype in [DType.f32, .f64] {
            let result = try run(.unary(.abs), try tensor(dtype, [negativeNaN])).doubles[0]
            #expect(result.isNaN && result.sign == .plus)
        }
    }

    @Test(arguments: [DType.i32, .i64])
    func integerSignOpsWrapAtTheMinimum(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let x = try tensor(dtype, ints: [lo, -5, 0, 7, hi])
        #expect(try ints(run(.unary(.neg), x)) == [lo, 5, 0, -7, -hi])
        #expect(try ints(run(.unary(.abs), x)) == [lo, 5, 0, 7, hi])
        #expect(try ints(run(.unary(.sign), x)) == [-1, -1, 0, 1, 1])
        #expect(try ints(run(.unary(.relu), x)) == [0, 0, 0, 7, hi])
    }

    @Test(arguments: [DType.f32, .f64])
    func transcendentalsMatchKnownValues(dtype: DType) throws {
        let e = 2.718281828459045, pi = Double.pi
        let cases: [(UnaryOp, [Double], [Double])] = [
            (.exp, [0, 1, -.infinity, 2], [1, e, 0, 7.38905609893065]),
            (.log, [1, e, 0, -1], [0, 1, -.infinity, .nan]),
            (.sqrt, [4, 2, -1, -0.0], [2, 1.4142135623730951, .nan, -0.0]),
            (.rsqrt, [4, 0.25, 0], [0.5, 2, .infinity]),
            (.tanh, [0, 1, .infinity, -0.5], [0, 0.7615941559557649, 1, -0.46211715726000974]),
            (.sigmoid, [0, 2, -.infinity, .infinity], [0.5, 0.8807970779778823, 0, 1]),
            (.sin, [0, pi / 2, -pi / 6], [0, 1, -0.5]),
            (.cos, [0, pi, pi / 3], [1, -1, 0.5]),
            (.floor, [-1.5, -0.5, 2.7, -0.0, 3], [-2, -1, 2, -0.0, 3]),
        ]
        let tolerance = dtype == .f32 ? 1e-6 : 1e-14
        for (op, input, expected) in cases {
            let result = try run(.unary(op), try tensor(dtype, input)).doubles
            #expect(close(result, expected, tolerance: tolerance), "\(op): \(result)")
        }
    }

    @Test func f32IsComputedInF32() throws {
        // exp(100) overflows f32, so the f32 sigmoid of -100 is exactly 0; f64 gives 3.7e-44.
        #expect(try run(.unary(.sigmoid), try tensor(.f32, [-100])).doubles == [0])
        #expect(try run(.unary(.sigmoid), try tensor(.f64, [-100])).doubles[0] > 0)
        #expect(try run(.unary(.exp), try tensor(.f32, [89])).doubles == [.infinity])
    }

    // MARK: binary

    @Test(arguments: [DType.f32, .f64])
    func floatArithmeticFollowsIEEE(dtype: DType) throws {
        let a = try tensor(dtype, [1.5, -2, 1, 0, -1, 0])
        let b = try tensor(dtype, [2, 0.25, 0, 0, 0, -1])
        #expect(sameBits(try run(.binary(.add), a, b).doubles, [3.5, -1.75, 1, 0, -1, -1]))
        #expect(sameBits(try run(.binary(.sub), a, b).doubles, [-0.5, -2.25, 1, 0, -1, 1]))
        #expect(sameBits(try run(.binary(.mul), a, b).doubles, [3, -0.5, 0, 0, -0.0, -0.0]))
        #expect(sameBits(try run(.binary(.div), a, b).doubles, [0.75, -8, .infinity, .nan, -.infinity, -0.0]))
        // C pow: 2^10, 4^0.5, a negative base with a fractional exponent, 0^-1, nan^0 = 1, 1^nan = 1.
        let base = try tensor(dtype, [2, 4, -8, 0, .nan, 1, -2])
        let exponent = try tensor(dtype, [10, 0.5, 1.0 / 3, -1, 0, .nan, 3])
        #expect(sameBits(try run(.binary(.pow), base, exponent).doubles, [1024, 2, .nan, .infinity, 1, 1, -8]))
        // Rounded in the operand's precision: 1 + 2^-24 is a tie in f32 and rounds to even.
        let sum = try run(.binary(.add), try tensor(dtype, [1]), try tensor(dtype, [0x1p-24])).doubles
        #expect(sum == [dtype == .f32 ? 1 : 1 + 0x1p-24])
    }

    @Test(arguments: numeric)
    func maxAndMinPropagateNaNAndPreferTheSecondOnTies(dtype: DType) throws {
        guard dtype.isFloat else {
            let a = try tensor(dtype, [1, 5, -3]), b = try tensor(dtype, [2, 4, -3])
            #expect(try run(.binary(.max), a, b).doubles == [2, 5, -3])
            #expect(try run(.binary(.min), a, b).doubles == [1, 4, -3])
            return
        }
        let a = try tensor(dtype, [.nan, 1, 0.0, -0.0, 2, -.infinity])
        let b = try tensor(dtype, [1, .nan, -0.0, 0.0, 3, -1])
        #expect(sameBits(try run(.binary(.max), a, b).doubles, [.nan, .nan, -0.0, 0.0, 3, -1]))
        #expect(sameBits(try run(.binary(.min), a, b).doubles, [.nan, .nan, -0.0, 0.0, 2, -.infinity]))
    }

    @Test func maxReturnsTheFirstNaNWhenBothAre() throws {
        let first = Double(nan: 1, signaling: false), second = Double(nan: 2, signaling: false)
        let a = try tensor(.f64, [first]), b = try tensor(.f64, [second])
        #expect(try run(.binary(.max), a, b).doubles[0].bitPattern == first.bitPattern)
        #expect(try run(.binary(.min), a, b).doubles[0].bitPattern == first.bitPattern)
        #expect(try run(.binary(.max), b, a).doubles[0].bitPattern == second.bitPattern)
    }

    @Test(arguments: [DType.i32, .i64])
    func integerArithmeticWrapsAround(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let half = Int64(1) << (dtype == .i32 ? 16 : 32)
        let a = try tensor(dtype, ints: [hi, lo, half, -3])
        let b = try tensor(dtype, ints: [1, 1, half, 4])
        #expect(try ints(run(.binary(.add), a, b)) == [lo, lo + 1, 2 * half, 1])
        #expect(try ints(run(.binary(.sub), a, b)) == [hi - 1, hi, 0, -7])
        #expect(try ints(run(.binary(.mul), a, b)) == [hi, lo, 0, -12])
    }

    @Test(arguments: [DType.i32, .i64])
    func integerDivisionTruncatesAndNeverTraps(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let a = try tensor(dtype, ints: [-7, 7, 7, -7, 5, 0, lo, lo, hi, lo])
        let b = try tensor(dtype, ints: [2, 2, -2, -2, 0, 0, -1, 1, -1, 0])
        #expect(try ints(run(.binary(.div), a, b)) == [-3, 3, -3, 3, 0, 0, lo, lo, -hi, 0])
    }

    @Test(arguments: [DType.i32, .i64])
    func integerPowerFollowsTheRules(dtype: DType) throws {
        let (lo, _) = limits(dtype)
        // Negative exponents and zero exponents, by hand.
        let a: [Int64] = [2, -2, 1, -1, -1, 0, 5, 0, -1, 7]
        let b: [Int64] = [-1, -3, -5, -3, -4, -1, 0, 0, lo, 1]
        let expected: [Int64] = [0, 0, 1, -1, 1, 0, 1, 1, 1, 7]
        #expect(try ints(run(.binary(.pow), tensor(dtype, ints: a), tensor(dtype, ints: b))) == expected)
        // Nonnegative exponents against repeated wrapping multiplication (overflow included).
        var bases: [Int64] = [], exponents: [Int64] = []
        for base in Int64(-3)...7 { for e in Int64(0)...40 { bases.append(base); exponents.append(e) } }
        let reference = zip(bases, exponents).map { base, e in
            dtype == .i32 ? Int64(repeatedProduct(Int32(base), e)) : repeatedProduct(base, e)
        }
        #expect(try ints(run(.binary(.pow), tensor(dtype, ints: bases), tensor(dtype, ints: exponents))) == reference)
    }

    // MARK: compare, select

    static let directions: [(CompareDirection, [Bool])] = [
        (.lt, [true, false, false, false, false, false, false]),
        (.le, [true, true, false, false, false, false, true]),
        (.gt, [false, false, true, false, false, false, false]),
        (.ge, [false, true, true, false, false, false, true]),
        (.eq, [false, true, false, false, false, false, true]),
        (.ne, [true, false, true, true, true, true, false]),
    ]

    @Test(arguments: directions)
    func floatComparisonsWithNaNAreFalseExceptNe(direction: CompareDirection, expected: [Bool]) throws {
        for dtype in [DType.f32, .f64] {
            let a = try tensor(dtype, [1, 2, 3, .nan, 1, .nan, -0.0])
            let b = try tensor(dtype, [2, 2, 1, 1, .nan, .nan, 0.0])
            let result = try run(.compare(direction), a, b)
            #expect(result.type == TensorType(.bool, [7]))
            #expect(bools(result) == expected)
        }
    }

    @Test(arguments: [DType.i32, .i64])
    func integerComparisons(dtype: DType) throws {
        let (lo, hi) = limits(dtype)
        let a = try tensor(dtype, ints: [1, 2, 3, lo]), b = try tensor(dtype, ints: [2, 2, 1, hi])
        #expect(bools(try run(.compare(.lt), a, b)) == [true, false, false, true])
        #expect(bools(try run(.compare(.ge), a, b)) == [false, true, true, false])
        #expect(bools(try run(.compare(.eq), a, b)) == [false, true, false, false])
    }

    @Test func boolComparisonsOrderFalseBeforeTrue() throws {
        let a = try tensor(.bool, [0, 0, 1, 1]), b = try tensor(.bool, [0, 1, 0, 1])
        let expected: [CompareDirection: [Bool]] = [
            .lt: [false, true, false, false], .le: [true, true, false, true],
            .gt: [false, false, true, false], .ge: [true, false, true, true],
            .eq: [true, false, false, true], .ne: [false, true, true, false],
        ]
        for (direction, values) in expected {
            #expect(bools(try run(.compare(direction), a, b)) == values, "\(direction)")
        }
    }

    @Test(arguments: DType.allCases)
    func selectPicksByCondition(dtype: DType) throws {
        let c = try tensor(.bool, [2, 2], [1, 0, 0, 1])
        let a = try tensor(dtype, [2, 2], [1, 1, 0, 1]), b = try tensor(dtype, [2, 2], [0, 0, 1, 0])
        #expect(try run(.select, c, a, b).doubles == [1, 0, 1, 1])
    }

    // MARK: convert

    @Test(arguments: [DType.f32, .f64])
    func floatToIntegerTruncatesSaturatesAndZeroesNaN(source: DType) throws {
        let x = try tensor(source, [-1.7, 2.9, .nan, .infinity, -.infinity, 3e9, -3e9, -0.5, 2147483648, -2147483648])
        let i32Max = Int64(Int32.max), i32Min = Int64(Int32.min)
        #expect(try ints(run(.convert(.i32), x)) == [-1, 2, 0, i32Max, i32Min, i32Max, i32Min, 0, i32Max, i32Min])
        let y = try tensor(source, [1e19, -1e19, 9.2e18, .nan, -2.5])
        let large = source == .f32 ? Int64(Float(9.2e18)) : 9_200_000_000_000_000_000
        #expect(try ints(run(.convert(.i64), y)) == [Int64.max, Int64.min, large, 0, -2])
    }

    @Test func f64ToIntegerKeepsTheLastRepresentableValues() throws {
        let x = try tensor(.f64, [2147483647.9, -2147483648.9, 2147483648])
        #expect(try ints(run(.convert(.i32), x)) == [2147483647, -2147483648, 2147483647])
        let y = try tensor(.f64, [0x1p63 - 1024, -0x1p63, 0x1p63])
        #expect(try ints(run(.convert(.i64), y)) == [9_223_372_036_854_774_784, Int64.min, Int64.max])
    }

    @Test func toBoolIsNonzero() throws {
        #expect(bools(try run(.convert(.bool), try tensor(.f32, [0, -0.0, .nan, 0.5, -.infinity]))) == [false, false, true, true, true])
        #expect(bools(try run(.convert(.bool), try tensor(.i64, ints: [0, -3, 1, Int64.min]))) == [false, true, true, true])
    }

    @Test(arguments: DType.allCases)
    func boolBecomesZeroOrOne(target: DType) throws {
        let result = try run(.convert(target), try tensor(.bool, [1, 0, 1]))
        #expect(result.type == TensorType(target, [3]))
        #expect(result.doubles == [1, 0, 1])
    }

    @Test func floatToFloatRoundsToNearestEven() throws {
        let halfway = 1 + 0x1p-24, aboveHalfway = 1 + 0x1p-24 + 0x1p-40, threeQuarters = 1 + 3 * 0x1p-24
        let result = try run(.convert(.f32), try tensor(.f64, [0.1, halfway, aboveHalfway, threeQuarters, 1e300, .nan]))
        #expect(sameBits(result.doubles, [Double(Float(0.1)), 1, 1 + 0x1p-23, 1 + 0x1p-22, .infinity, .nan]))
        #expect(try run(.convert(.f64), try tensor(.f32, [0.1])).doubles == [Double(Float(0.1))])
    }

    @Test func integerToFloatRoundsOnceToNearest() throws {
        #expect(try run(.convert(.f32), try tensor(.i32, ints: [16_777_217, 16_777_219, -16_777_217])).doubles
                == [16_777_216, 16_777_220, -16_777_216])
        // 2^60 + 2^36 + 1 is just above halfway between two f32 values; rounding through f64
        // first would land exactly on the halfway point and round down to 2^60.
        let justAbove: Int64 = (1 << 60) + (1 << 36) + 1
        #expect(try run(.convert(.f32), try tensor(.i64, ints: [justAbove, Int64.max])).doubles == [0x1p60 + 0x1p37, 0x1p63])
        #expect(try run(.convert(.f64), try tensor(.i64, ints: [(1 << 53) + 1])).doubles == [0x1p53])
    }

    @Test func integerToIntegerWrapsOrExtends() throws {
        #expect(try ints(run(.convert(.i32), tensor(.i64, ints: [(1 << 32) + 5, -1, 1 << 31, -(1 << 31) - 1]))) == [5, -1, Int64(Int32.min), Int64(Int32.max)])
        #expect(try ints(run(.convert(.i64), tensor(.i32, ints: [-5, Int64(Int32.min)]))) == [-5, Int64(Int32.min)])
    }
}

/// `base` multiplied `exponent` times, wrapping around.
private func repeatedProduct<T: FixedWidthInteger>(_ base: T, _ exponent: Int64) -> T {
    var result: T = 1
    for _ in 0..<exponent { result = result &* base }
    return result
}

// MARK: - Shared helpers of the kernel suites

/// Builders and readers of small tensors for the reference kernel suites.
protocol KernelTesting {}

extension KernelTesting {
    /// `evaluate(op, operands)`.
    func run(_ op: Op, _ operands: HostTensor...) throws -> HostTensor {
        try evaluate(op, operands)
    }

    /// A tensor of `dtype` and `shape` holding `values` converted to the dtype.
    func tensor(_ dtype: DType, _ shape: [Int], _ values: [Double]) throws -> HostTensor {
        try HostTensor(TensorType(dtype, shape), doubles: values)
    }

    /// A rank-1 tensor.
    func tensor(_ dtype: DType, _ values: [Double]) throws -> HostTensor {
        try tensor(dtype, [values.count], values)
    }

    /// A rank-1 tensor of integers too large for a Double to hold exactly.
    func tensor(_ dtype: DType, ints values: [Int64]) throws -> HostTensor {
        try HostTensor(TensorType(dtype, [values.count]), scalars: values.map { .int($0) })
    }

    func scalars(_ t: HostTensor) -> [Scalar] { (0..<t.count).map { t[$0] } }
    func ints(_ t: HostTensor) -> [Int64] { (0..<t.count).map { t[$0].asInt64 } }
    func bools(_ t: HostTensor) -> [Bool] { t.doubles.map { $0 != 0 } }

    /// The smallest and largest value of an integer dtype.
    func limits(_ dtype: DType) -> (Int64, Int64) {
        dtype == .i32 ? (Int64(Int32.min), Int64(Int32.max)) : (Int64.min, Int64.max)
    }

    /// Equal bit for bit (so zeros keep their sign), except that any NaN matches any NaN.
    func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
    }

    /// Equal within a relative `tolerance` (infinities and zeros exactly, NaN to NaN).
    func close(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.isNaN ? y.isNaN : x == y || Swift.abs(x - y) <= tolerance * Swift.max(Swift.abs(x), Swift.abs(y))
        }
    }

    /// The multi-index of flat row-major position `flat` in `shape`.
    func multiIndex(_ flat: Int, in shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count), rest = flat
        for axis in shape.indices.reversed() {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    /// The flat row-major position of `index` in `shape`.
    func flatIndex(_ index: [Int], in shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// The tensor of `shape` whose element at each multi-index is `element(index)`.
    func tabulate(_ shape: [Int], _ element: ([Int]) -> Double) -> [Double] {
        (0..<shape.reduce(1, *)).map { element(multiIndex($0, in: shape)) }
    }

    /// Reproducible values for `dtype`: small integers (0 or 1 for bool), varied-magnitude floats.
    func randomTensor(_ dtype: DType, _ shape: [Int], seed: UInt64) throws -> HostTensor {
        var random = KernelTestRandom(seed: seed)
        let values = (0..<shape.reduce(1, *)).map { _ -> Double in
            switch dtype {
            case .bool: return Double(Int.random(in: 0...1, using: &random))
            case .i32, .i64: return Double(Int.random(in: -50...50, using: &random))
            case .f32, .f64:
                return Double.random(in: -1...1, using: &random) * Double(sign: .plus, exponent: Int.random(in: -10...10, using: &random), significand: 1)
            }
        }
        return try tensor(dtype, shape, values)
    }
}
