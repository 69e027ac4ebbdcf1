import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// Fused kernels compiled to one loop nest agree bit for bit with the interpreter, which runs
/// their bodies op by op.
@Suite struct FusedJITTests {
    static let examples = IRExamples.root

    /// Broadcast along either axis, a transpose, a splat constant, integer and bool values, a
    /// converted result, and 7 columns.
    @Test func mixedKernelMatchesTheInterpreter() throws {
        let f = try parseFunction("""
        func @f(%x: f32[3,7], %row: f32[7], %col: f32[3], %w: f32[7,3], %k: i32[3,7]) -> (f32[3,7], i32[3,7], f32[3,7]) {
          (%s, %n, %r) = fused(%x, %row, %col, %w, %k) {
            ^(%x: f32[3,7], %row: f32[7], %col: f32[3], %w: f32[7,3], %k: i32[3,7]):
              %rb = broadcast_in_dim(%row) {shape = [3,7], dims = [1]} : f32[3,7]
              %cb = broadcast_in_dim(%col) {shape = [3,7], dims = [0]} : f32[3,7]
              %wt = transpose(%w) {perm = [1,0]} : f32[3,7]
              %two = constant() {value = -2.0} : f32[3,7]
              %a = add(%x, %rb) : f32[3,7]
              %m = mul(%a, %cb) : f32[3,7]
              %s = max(%m, %wt) : f32[3,7]
              %big = compare(%s, %two) {direction = "gt"} : bool[3,7]
              %ki = convert(%s) {dtype = "i32"} : i32[3,7]
              %n = select(%big, %ki, %k) : i32[3,7]
              %r = sigmoid(%s) : f32[3,7]
              yield %s, %n, %r
          } : (f32[3,7], i32[3,7], f32[3,7])
          return %s, %n, %r
        }
        """)
        let compiled = try JITCompiler.shared.compile(f, options: exactOptions)
        #expect(compiled.cSource.components(separatedBy: "static void v").count == 2, "one kernel")
        try expectMatchesInterpreter(f, try testInputs(f, seed: 3))
    }

    /// A scalar kernel and one of no elements compile and run.
    @Test func scalarAndEmptyKernels() throws {
        let f = try parseFunction("""
        func @f(%x: f32[], %e: f32[0,4]) -> (f32[], f32[0,4]) {
          %y = fused(%x) {
            ^(%p: f32[]):
              %c = constant() {value = 3.0} : f32[]
              %q = mul(%p, %c) : f32[]
              %y = exp(%q) : f32[]
              yield %y
          } : f32[]
          %z = fused(%e) {
            ^(%p: f32[0,4]):
              %z = neg(%p) : f32[0,4]
              yield %z
          } : f32[0,4]
          return %y, %z
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f, seed: 4))
    }

    /// A hand-written body with ops no fused kernel covers (a `slice`, a `reduce_sum` over the
    /// first axis, a nested `fused`, a yielded block argument, one value yielded twice) is
    /// compiled op by op and matches the interpreter.
    @Test func uncoveredBodyCompilesOpByOp() throws {
        let f = try parseFunction("""
        func @f(%x: f32[4,6], %y: f32[2,6]) -> (f32[2,6], f32[6], f32[4,6], f32[2,6], f32[2,6]) {
          (%s, %r, %p, %t, %u) = fused(%x, %y) {
            ^(%x: f32[4,6], %y: f32[2,6]):
              %sl = slice(%x) {start = [1,0], limit = [4,6], stride = [2,1]} : f32[2,6]
              %e = fused(%sl, %y) {
                ^(%a: f32[2,6], %b: f32[2,6]):
                  %m = mul(%a, %b) : f32[2,6]
                  %q = slice(%m) {start = [0,0], limit = [2,6], stride = [1,1]} : f32[2,6]
                  yield %q
              } : f32[2,6]
              %r = reduce_sum(%x) {axes = [0]} : f32[6]
              yield %e, %r, %x, %e, %e
          } : (f32[2,6], f32[6], f32[4,6], f32[2,6], f32[2,6])
          return %s, %r, %p, %t, %u
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f, seed: 6))
    }

    /// Every IR example after the default pipeline (fusion included), compiled with one
    /// accumulator per reduction, matches the interpreter on the unoptimized function.
    @Test(arguments: ["mlp_softmax_xent.kir", "layer_norm.kir", "gelu.kir", "lstm_cell.kir", "batch_norm.kir",
                      "attention.kir", "conv_net_loss.kir", "compare_select.kir", "convert.kir", "vae_reparam.kir"])
    func optimizedExampleMatchesTheInterpreter(_ file: String) throws {
        var module = try loadModule(path: Self.examples.appendingPathComponent(file).path)
        let original = module
        _ = try PassPipeline.standard().run(on: &module)
        for (f, reference) in zip(module.functions, original.functions) {
            let inputs = try testInputs(reference, seed: 5, edges: false)
            let outputs = try JITCompiler.shared.compile(f, options: exactOptions).run(inputs)
            if let problem = mismatch(outputs, try interpret(reference, inputs: inputs), .exact) {
                Issue.record("\(file) @\(f.name): \(problem)")
            }
        }
    }
}
