import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

@Suite struct ElementwiseGradientTests {
    @Test(arguments: UnaryOp.allCases.filter { ![.sign, .floor, .stopGradient].contains($0) })
    func unary(_ u: UnaryOp) throws {
        var rng = SeededGenerator(seed: seed(u.rawValue))
        let domain: Domain
        switch u {
        case .log, .sqrt, .rsqrt: domain = .positive
        case .relu, .abs: domain = .awayFromZero
        default: domain = .any
        }
        for rank in 0...3 {
            try checkOp(.unary(u), [TensorType(.f64, rng.shape(rank: rank))], domains: [domain], rng: &rng)
        }
    }

    @Test(arguments: BinaryOp.allCases)
    func binary(_ b: BinaryOp) throws {
        var rng = SeededGenerator(seed: seed(b.rawValue))
        let domains: [Domain] = b == .div ? [.any, .awayFromZero] : b == .pow ? [.positive, .any] : [.any, .any]
        for rank in 2...3 {  // several elements, so that both operands of max/min win somewhere
            let type = TensorType(.f64, rng.shape(rank: rank, dims: 2...4))
            try checkOp(.binary(b), [type, type], domains: domains, rng: &rng)
        }
    }

    @Test func selectRoutesToBothBranchesNotTheCondition() throws {
        var rng = SeededGenerator(seed: 3)
        let shape = [3, 4]
        try checkOp(.select, [TensorType(.bool, shape), TensorType(.f64, shape), TensorType(.f64, shape)], wrt: [1, 2], rng: &rng)
    }

    @Test func fanOutAddsUp() throws {
        let f = try parseFunction("""
        func @f(%x: f64[5]) -> (f64[]) {
          %a = mul(%x, %x) : f64[5]
          %b = sin(%x) : f64[5]
          %c = add(%a, %b) : f64[5]
          %d = pow(%c, %x) : f64[5]
          %e = div(%d, %x) : f64[5]
          %s = reduce_sum(%e) {axes = [0]} : f64[]
          return %s
        }
        """)
        var rng = SeededGenerator(seed: 4)
        try checkGradient(f, [rng.tensor(TensorType(.f64, [5]), .positive)], wrt: ["x"])
    }

    /// f64 -> f32 -> f64. Inputs are exact in f32 and the step is a power of two, so x ± step is
    /// exact in f32 too and the central difference does not suffer from the f32 rounding.
    @Test func convertBetweenFloatTypes() throws {
        let f = try parseFunction("""
        func @f(%x: f64[2,3], %w: f64[2,3]) -> (f64[], f32[2,3]) {
          %a = convert(%x) {dtype = "f32"} : f32[2,3]
          %b = exp(%a) : f32[2,3]
          %c = convert(%a) {dtype = "f64"} : f64[2,3]
          %d = mul(%c, %w) : f64[2,3]
          %s = reduce_sum(%d) {axes = [0,1]} : f64[]
          return %s, %b
        }
        """)
        var rng = SeededGenerator(seed: 5)
        let x = try rng.tensor(TensorType(.f64, [2, 3]))
        for i in 0..<x.count { x[i] = .float(Double(Float(x[i].asDouble))) }
        try checkGradient(f, [x, rng.tensor(TensorType(.f64, [2, 3]))], wrt: ["x"], step: 0x1p-8)
    }

    @Test(arguments: [UnaryOp.sign, .floor])
    func piecewiseConstantOpsHaveZeroGradientAndNoBackwardWork(_ u: UnaryOp) throws {
        let f = try opLoss(.unary(u), [TensorType(.f64, [4])])
        let g = try grad(f, wrt: ["x0"])
        let backward = g.body.dropFirst(f.body.count)
        #expect(backward.allSatisfy { $0.op.name == "constant" })
        let out = try interpret(g, inputs: [HostTensor(TensorType(.f64, [4]), doubles: [0.5, -1.5, 2.5, 3]),
                                            HostTensor(TensorType(.f64, [4]), doubles: [1, 2, 3, 4])])
        #expect(out[1].doubles == [0, 0, 0, 0])
    }
}
