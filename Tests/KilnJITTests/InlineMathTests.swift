import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// The inline f32 `exp`, `log`, `tanh` and `sigmoid` (`CodegenOptions.libmFunctions` off, the
/// default) against glibc's libm on a sweep of every `KILN_MATH_STRIDE`-th f32 bit pattern
/// (default 8191, about 524k inputs; 1 is exhaustive) plus the edge values: within the stated ulp
/// bound, with libm's class for every result (NaN, ±inf, ±0, subnormal, normal), and the same bits
/// from libtcc's code and gcc's (vectorized) code.
@Suite struct InlineMathTests {
    /// The most ulp each function may differ from libm's (sigmoid from `1 / (1 + expf(-x))`).
    static let bounds: [UnaryOp: Int] = [.exp: 1, .log: 1, .tanh: 2, .sigmoid: 4]

    /// libm's value of `op` (the interpreter's formula for sigmoid); NaN for ops without one here.
    static func libm(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .exp: return expf(x)
        case .log: return logf(x)
        case .tanh: return tanhf(x)
        case .sigmoid: return 1 / (1 + expf(-x))
        case .neg, .abs, .sign, .relu, .sqrt, .rsqrt, .sin, .cos, .floor, .stopGradient: return .nan
        }
    }

    /// A float's position on the number line in ulp steps (-0 and +0 both 0).
    static func ordinal(_ x: Float) -> Int64 {
        let i = Int64(Int32(bitPattern: x.bitPattern))
        return i < 0 ? Int64(Int32.min) - i : i
    }

    enum Kind: Equatable { case nan, infinity(Bool), zero(Bool), subnormal, normal }

    static func kind(_ x: Float) -> Kind {
        if x.isNaN { return .nan }
        if x.isInfinite { return .infinity(x > 0) }
        if x == 0 { return .zero(x.sign == .minus) }
        return x.isSubnormal ? .subnormal : .normal
    }

    /// The inputs: every `stride`-th bit pattern (offset so both signs and all exponents appear)
    /// and the edge values of f32.
    static func inputs(stride: Int) -> [Float] {
        var values = edgeValues(.f32).map(Float.init) + [88.72283, 88.72284, -103.97208, -87.33655, 1.1754942e-38, 0.625]
        var bits: UInt64 = 12345 % UInt64(stride)
        while bits <= UInt64(UInt32.max) {
            values.append(Float(bitPattern: UInt32(bits)))
            bits += UInt64(stride)
        }
        return values
    }

    @Test(arguments: [UnaryOp.exp, .log, .tanh, .sigmoid])
    func sweep(op: UnaryOp) throws {
        let bound = try #require(Self.bounds[op])
        let stride = max(1, environmentInt("KILN_MATH_STRIDE", default: 8191))
        let all = Self.inputs(stride: stride)
        let chunk = 1 << 22
        for start in Swift.stride(from: 0, to: all.count, by: chunk) {
            let xs = Array(all[start..<min(all.count, start + chunk)])
            let type = TensorType(.f32, [xs.count])
            let f = try singleOp(.unary(op), [type])
            let input = try HostTensor(uninitialized: type)
            let p = input.pointer(Float.self)
            for (i, x) in xs.enumerated() { p[i] = x }
            let (baseline, optimized, compiled) = try OptimizingTierTests.bothTiers(f, [input], options: CodegenOptions())
            #expect(compiled.isOptimized, "gcc tier: \(compiled.optimizingTierStatus)")
            let (b, o) = (baseline[0].pointer(Float.self), optimized[0].pointer(Float.self))
            var worst: (ulp: Int64, x: Float) = (0, 0)
            for (i, x) in xs.enumerated() {
                let r = Self.libm(op, x)
                guard b[i].bitPattern == o[i].bitPattern || (b[i].isNaN && o[i].isNaN) else {
                    Issue.record("\(op.rawValue)(\(x)): libtcc \(b[i]), gcc \(o[i])")
                    return
                }
                guard Self.kind(o[i]) == Self.kind(r) else {
                    Issue.record("\(op.rawValue)(\(x)) = \(o[i]), libm \(r): another class")
                    return
                }
                if !r.isNaN {
                    let d = (Self.ordinal(o[i]) - Self.ordinal(r)).magnitude
                    if d > worst.ulp { worst = (Int64(d), x) }
                }
            }
            #expect(worst.ulp <= bound, "\(op.rawValue): \(worst.ulp) ulp at \(worst.x), bound \(bound)")
        }
    }

    /// f64 keeps libm, and `libmFunctions` gives the interpreter's bits on f32 too.
    @Test(arguments: [UnaryOp.exp, .log, .tanh, .sigmoid])
    func libmWhereAsked(op: UnaryOp) throws {
        let f64 = try singleOp(.unary(op), [TensorType(.f64, [4, 9])])
        try expectMatchesInterpreter(f64, try testInputs(f64), options: CodegenOptions())
        let f32 = try singleOp(.unary(op), [TensorType(.f32, [4, 9])])
        try expectMatchesInterpreter(f32, try testInputs(f32), options: CodegenOptions(libmFunctions: true))
    }
}
