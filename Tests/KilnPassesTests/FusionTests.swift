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
}
