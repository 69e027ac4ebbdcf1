import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// The `fused` construct in the text form and the interpreter, and the `fuse` pass on the IR
/// examples: fusing keeps every result bit for bit (the body runs the same ops in the same order).
@Suite struct FusionTests {
    static let examples = IRExamples.root
    static let exampleFiles = IRExamples.files()

    static let handWritten = """
    func @f(%a: f32[2,3], %bias: f32[3]) -> (f32[2,3], f32[2,3]) {
      (%y, %z) = fused(%a, %bias) {
        ^(%p0: f32[2,3], %p1: f32[3]):
          %t0 = broadcast_in_dim(%p1) {shape = [2,3], dims = [1]} : f32[2,3]
          %t1 = add(%p0, %t0) : f32[2,3]
          %t2 = relu(%t1) : f32[2,3]
          yield %t1, %t2
      } : (f32[2,3], f32[2,3])
      return %y, %z
    }

    """

    @Test func fusedTextRoundTrips() throws {
        let module = try parseModule(Self.handWritten, file: "f.kir")
        try verify(module)
        let printed = printModule(module)
        #expect(printed == Self.handWritten)
        #expect(printModule(try parseModule(printed, file: "f.kir")) == printed)
    }

    @Test func interpreterEvaluatesTheBody() throws {
        let f = try #require(try parseModule(Self.handWritten, file: "f.kir").functions.first)
        let a = try HostTensor(TensorType(.f32, [2, 3]), doubles: [1, -2, 3, -4, 5, -6])
        let bias = try HostTensor(TensorType(.f32, [3]), doubles: [0.5, 1, -10])
        let out = try interpret(f, inputs: [a, bias])
        #expect(out[0].doubles == [1.5, -1, -7, -3.5, 6, -16])
        #expect(out[1].doubles == [1.5, 0, 0, 0, 6, 0])
    }

    @Test func verifierRejectsOperandsThatDifferFromTheBlockArguments() throws {
        let text = Self.handWritten.replacingOccurrences(of: "%bias: f32[3])", with: "%bias: f32[3], %c: f32[2])")
            .replacingOccurrences(of: "fused(%a, %bias)", with: "fused(%a, %c)")
        let module = try parseModule(text, file: "f.kir")
        #expect(throws: KilnError.self) { try verify(module) }
    }

    @Test func parserRequiresABody() throws {
        let text = "func @f(%a: f32[2]) -> (f32[2]) {\n  %y = fused(%a) : f32[2]\n  return %y\n}\n"
        #expect(throws: KilnError.self) { try parseModule(text, file: "f.kir") }
    }

    @Test(arguments: exampleFiles)
    func fusingKeepsResultsBitExact(_ file: String) throws {
        let module = try loadModule(path: Self.examples.appendingPathComponent(file).path)
        for (index, f) in module.functions.enumerated() {
            var fused = f
            _ = try Fusion().run(on: &fused)
            try verify(fused)
            let reprinted = try parseModule(printFunction(fused), file: file)
            #expect(printModule(reprinted) == printFunction(fused))
            let inputs = try randomInputs(for: f, seed: UInt64(index + 1))
            let expected = try interpret(f, inputs: inputs), actual = try interpret(fused, inputs: inputs)
            for (e, a) in zip(expected, actual) {
                #expect(e.type == a.type)
                #expect((0..<e.count).allSatisfy { e[$0] == a[$0] }, "\(file) @\(f.name)")
            }
        }
    }

    @Test func exampleWithBiasAndActivationFusesIntoFewerInstructions() throws {
        let module = try loadModule(path: Self.examples.appendingPathComponent("mlp_softmax_xent.kir").path)
        var f = try #require(module.function(named: "loss"))
        let before = f.body.count
        #expect(try Fusion().run(on: &f))
        #expect(before == 21 && f.body.count == 7,
                "the first product with its bias and ReLU, the row-wise log-softmax with the label product, and the loss scaling become kernels")
        #expect(try Fusion().run(on: &f) == false)
    }

    /// Chains that meet at one instruction merge into one kernel: Adam's update of one parameter
    /// (moments from `g`, then the step from both) reads `p, g, m, v` once, in one loop.
    @Test func chainsMeetingAtAnInstructionMergeIntoOneKernel() throws {
        let text = """
        func @adam(%p: f32[5,3], %g: f32[5,3], %m: f32[5,3], %v: f32[5,3], %c1: f32[], %c2: f32[]) -> (f32[5,3], f32[5,3], f32[5,3]) {
          %b1 = constant() {value = 0.9} : f32[5,3]
          %m1 = mul(%m, %b1) : f32[5,3]
          %k1 = constant() {value = 0.1} : f32[5,3]
          %g1 = mul(%g, %k1) : f32[5,3]
          %mn = add(%m1, %g1) : f32[5,3]
          %b2 = constant() {value = 0.999} : f32[5,3]
          %v1 = mul(%v, %b2) : f32[5,3]
          %gg = mul(%g, %g) : f32[5,3]
          %k2 = constant() {value = 0.001} : f32[5,3]
          %g2 = mul(%gg, %k2) : f32[5,3]
          %vn = add(%v1, %g2) : f32[5,3]
          %d1 = broadcast_in_dim(%c1) {shape = [5,3], dims = []} : f32[5,3]
          %mh = div(%mn, %d1) : f32[5,3]
          %d2 = broadcast_in_dim(%c2) {shape = [5,3], dims = []} : f32[5,3]
          %vh = div(%vn, %d2) : f32[5,3]
          %s = sqrt(%vh) : f32[5,3]
          %e = constant() {value = 1e-08} : f32[5,3]
          %den = add(%s, %e) : f32[5,3]
          %u = div(%mh, %den) : f32[5,3]
          %pn = sub(%p, %u) : f32[5,3]
          return %pn, %mn, %vn
        }
        """
        let f = try #require(try parseModule(text, file: "adam.kir").functions.first)
        var fused = f
        #expect(try Fusion().run(on: &fused))
        try verify(fused)
        #expect(fused.body.count == 1, "\(printFunction(fused))")
        guard case .fused(let kernel)? = fused.body.first?.op else { Issue.record("no kernel"); return }
        #expect(kernel.params.count == 6 && kernel.results.count == 3)
        let inputs = try randomInputs(for: f, seed: 3)
        let expected = try interpret(f, inputs: inputs), actual = try interpret(fused, inputs: inputs)
        for (e, a) in zip(expected, actual) { #expect((0..<e.count).allSatisfy { e[$0] == a[$0] }) }
    }
}
