import KilnIR
@testable import KilnRuntime
import Testing

/// One float-to-integer rule: `Scalar.cast` (constants, the DSL's literals) gives what the
/// `convert` kernel gives, on values inside, at and beyond each integer range.
@Suite struct ConversionRuleTests {
    static let values: [Double] = [0, -0.0, 2.9, -2.9, .nan, .infinity, -.infinity, 3e9, -3e9, 2147483647.5,
                                   -2147483648.5, 9.3e18, -9.3e18, 9223372036854775807, -9223372036854775808]

    @Test(arguments: [DType.i32, .i64])
    func castMatchesConvert(dtype: DType) throws {
        let x = try HostTensor(TensorType(.f64, [Self.values.count]), doubles: Self.values)
        let converted = try evaluate(.convert(dtype), [x])
        for (i, v) in Self.values.enumerated() {
            #expect(Scalar.float(v).cast(to: dtype).asInt64 == converted[i].asInt64, "\(v) as \(dtype)")
        }
    }

    @Test func saturatesTowardZero() {
        #expect(Scalar.float(3e9).cast(to: .i32).asInt64 == Int64(Int32.max))
        #expect(Scalar.float(-3e9).cast(to: .i32).asInt64 == Int64(Int32.min))
        #expect(Scalar.float(1e300).asInt64 == .max)
        #expect(Scalar.float(-2.9).cast(to: .i64).asInt64 == -2)
        #expect(Scalar.float(.nan).cast(to: .i32).asInt64 == 0)
        #expect(Scalar.int(1 << 33 + 5).cast(to: .i32).asInt64 == 5)  // integers wrap
    }
}
