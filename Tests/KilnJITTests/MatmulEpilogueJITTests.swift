import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import Testing

/// A matrix product fused with its elementwise epilogue: the pass moves the product into the
/// kernel only when the kernel alone reads it, and the compiled kernel (gemm into an output, then
/// the element loop over it) agrees bit for bit with the interpreter on the unfused function.
@Suite struct MatmulEpilogueJITTests {
    /// A batched, transposed f64 product whose epilogue yields a bool first (so the product goes
    /// to the second output), a product with nothing to contract, and a product also returned
    /// (which stays a kernel of its own).
    static let source = """
    func @f(%x: f64[2,3,4], %w: f64[2,5,4], %bias: f64[5], %e: f32[3,0], %v: f32[0,6], %m: f32[3,2]) -> (bool[2,3,5], f64[2,3,5], f32[3,6], f32[3,3], f32[3,3]) {
      %p = matmul(%x, %w) {transpose_b = true} : f64[2,3,5]
      %bb = broadcast_in_dim(%bias) {shape = [2,3,5], dims = [2]} : f64[2,3,5]
      %z = add(%p, %bb) : f64[2,3,5]
      %zero = constant() {value = 0.0} : f64[2,3,5]
      %on = compare(%z, %zero) {direction = "gt"} : bool[2,3,5]
      %r = max(%z, %zero) : f64[2,3,5]
      %ev = matmul(%e, %v) : f32[3,6]
      %one = constant() {value = 1.0} : f32[3,6]
      %ez = add(%ev, %one) : f32[3,6]
      %mm = matmul(%m, %m) {transpose_b = true} : f32[3,3]
      %two = constant() {value = 2.0} : f32[3,3]
      %sq = mul(%mm, %two) : f32[3,3]
      return %on, %r, %ez, %sq, %mm
    }
    """

    @Test func productJoinsOnlyAnEpilogueThatAloneReadsIt() throws {
        let original = try parseFunction(Self.source)
        var f = original
        #expect(try Fusion().run(on: &f))
        let fusedProducts = f.body.map { inst in
            guard case .fused(let body) = inst.op else { return 0 }
            return body.body.filter { if case .matmul = $0.op { true } else { false } }.count
        }
        #expect(fusedProducts == [1, 1, 0, 0], "two epilogues take their product; the returned product stays")
        let compiled = try JITCompiler.shared.compile(f, options: exactOptions)
        #expect(compiled.cSource.components(separatedBy: "static void v").count - 1 == f.body.count)
        for seed: UInt64 in [1, 2] {
            let inputs = try testInputs(original, seed: seed, edges: seed == 1)
            if let problem = mismatch(try compiled.run(inputs), try interpret(original, inputs: inputs), .exact) {
                Issue.record("seed \(seed): \(problem)")
            }
        }
    }
}
