import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Gradients of gradient functions.
@Suite struct SecondOrderTests {
    /// `h(params, v) = Σ_k <d loss / d wrt_k, v_k>`: its gradient with respect to `wrt` is the
    /// Hessian-vector product H·v. The vectors `v_<name>` are appended to `f`'s parameters.
    static func gradientDot(_ f: Function, wrt: [String]) throws -> Function {
        let g = try grad(f, wrt: wrt)
        let b = FunctionBuilder(name: "gradient_dot")
        let outputs = try b.inline(g, arguments: f.params.map { b.parameter(f.name(of: $0), f.type(of: $0)) })
        var total: Value?
        for (k, name) in wrt.enumerated() {
            let gradient = outputs[f.results.count + k]
            let v = b.parameter("v_" + name, b.type(of: gradient))
            let product = try b.emit(.binary(.mul), [gradient, v])
            let dot = try b.emit(.reduce(.sum, axes: Array(0..<b.type(of: v).rank)), [product])
            total = try total.map { try b.emit(.binary(.add), [$0, dot]) } ?? dot
        }
        return b.finish(returning: [try #require(total)])
    }

    /// Checks H·v from `grad(gradientDot(f))` against central differences of the gradient along v.
    static func checkHessianVectorProduct(_ f: Function, _ inputs: [HostTensor], wrt: [String], seed: UInt64,
                                          epsilon: Double = 1e-5) throws {
        var rng = SeededGenerator(seed: seed)
        let indices = try wrt.map { name in try #require(f.params.firstIndex { f.name(of: $0) == name }) }
        let directions = try indices.map { try rng.tensor(inputs[$0].type) }
        let h = try gradientDot(f, wrt: wrt)
        let hessianTimesV = try interpret(try grad(h, wrt: wrt), inputs: inputs + directions).dropFirst()

        let g = try grad(f, wrt: wrt)
        func gradient(at t: Double) throws -> [[Double]] {
            var shifted = inputs
            for (k, i) in indices.enumerated() {
                shifted[i] = try HostTensor(inputs[i].type, doubles: zip(inputs[i].doubles, directions[k].doubles).map { $0 + t * $1 })
            }
            return try interpret(g, inputs: shifted).dropFirst(f.results.count).map(\.doubles)
        }
        let (up, down) = (try gradient(at: epsilon), try gradient(at: -epsilon))
        for (k, analytic) in hessianTimesV.enumerated() {
            let numeric = zip(up[k], down[k]).map { ($0 - $1) / (2 * epsilon) }
            #expect(numeric.contains { $0 != 0 })
            let error = relativeError(analytic.doubles, numeric)
            #expect(error < 1e-6, "H·v for \(wrt[k]): relative error \(error)")
        }
    }

    /// d²/dx² Σ x³ = 6x, and of Σ sin x it is -sin x: hand-computed.
    @Test func secondDerivativesOfElementwiseFunctions() throws {
        let f = try parseFunction("""
        func @f(%x: f64[3]) -> (f64[]) {
          %x2 = mul(%x, %x) : f64[3]
          %x3 = mul(%x2, %x) : f64[3]
          %s = sin(%x) : f64[3]
          %t = add(%x3, %s) : f64[3]
          %r = reduce_sum(%t) {axes = [0]} : f64[]
          return %r
        }
        """)
        let x: [Double] = [0.5, -1, 2]
        let out = try interpret(try grad(Self.gradientDot(f, wrt: ["x"]), wrt: ["x"]), inputs: [
            HostTensor(TensorType(.f64, [3]), doubles: x), HostTensor(TensorType(.f64, [3]), doubles: [1, 1, 1]),
        ])
        let expected = x.map { 6 * $0 - sin($0) }
        #expect(zip(out[1].doubles, expected).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func hessianVectorProductOfMLPLoss() throws {
        let f = try parseFunction(ProgramGradientTests.mlp.replacing("relu", with: "tanh"))
        try Self.checkHessianVectorProduct(f, ProgramGradientTests.inputs(f, seed: 50), wrt: ["w1", "b1", "w2", "b2"], seed: 51)
    }

    /// Second order through conv2d, conv2d_transpose, conv2d_filter_grad, max_pool2d(_grad),
    /// avg_pool2d(_grad), slices and pads.
    @Test func hessianVectorProductOfConvNetLoss() throws {
        let f = try parseFunction("""
        func @convnet(%x: f64[1,2,5,5], %k: f64[2,2,3,3], %w: f64[2,2,2,2]) -> (f64[]) {
          %c = conv2d(%x, %k) {stride = [2,1], padding = [1,1], dilation = [1,1]} : f64[1,2,3,5]
          %a = tanh(%c) : f64[1,2,3,5]
          %p = max_pool2d(%a) {window = [2,2], stride = [1,2], padding = [0,1]} : f64[1,2,2,3]
          %q = avg_pool2d(%p) {window = [2,2], stride = [1,1], padding = [1,0]} : f64[1,2,3,2]
          %s = slice(%q) {start = [0,0,1,0], limit = [1,2,3,2], stride = [1,1,1,1]} : f64[1,2,2,2]
          %t = conv2d_transpose(%s, %w) {stride = [2,2], padding = [0,0], output_padding = [1,0], dilation = [1,1]} : f64[1,2,5,4]
          %sq = mul(%t, %t) : f64[1,2,5,4]
          %loss = reduce_sum(%sq) {axes = [0,1,2,3]} : f64[]
          return %loss
        }
        """)
        try Self.checkHessianVectorProduct(f, ProgramGradientTests.inputs(f, seed: 52), wrt: ["x", "k", "w"], seed: 53)
    }
}
