import Foundation
import KilnIR
import KilnJIT
import KilnONNX
import KilnPasses
import KilnRuntime
import Testing

/// Every exported model imports, verifies, round-trips through the text form, and gives
/// PyTorch's outputs both in the interpreter (as imported) and compiled (after the standard
/// passes), within `tolerance` of `|error| / (1 + |expected|)`.
@Suite("ONNX models exported by PyTorch match PyTorch")
struct PyTorchParityTests {
    /// f32 rounding differs from PyTorch's in summation order (BLAS, reductions, the unrolled
    /// LSTM) and erf is approximated (1.5e-7); the largest error seen is 1.5e-7 (the encoders),
    /// far below any wrong mapping's.
    static let tolerance = 1e-6

    @Test("imported model matches PyTorch", arguments: ONNXFixtures.names)
    func matches(name: String) throws {
        let model = try ONNXFixtures.load(name)
        let f = model.function
        try verify(f)
        let reparsed = try parseModule(bytes: Array(printFunction(f).utf8), file: name + ".kir")
        #expect(reparsed.functions.map(printFunction) == [printFunction(f)])
        let args = try ONNXFixtures.inputs(name, count: model.inputCount) + model.weights.map(\.1)
        let expected = try ONNXFixtures.outputs(name)
        #expect(expected.count == f.results.count, "\(name): \(f.results.count) results, \(expected.count) reference outputs")
        let interpreted = try interpret(f, inputs: args)
        var optimized = f
        _ = try PassPipeline.standard().run(on: &optimized)
        let compiled = try JITCompiler.shared.compile(optimized).run(args)
        for (k, want) in expected.enumerated() {
            let (ei, ec) = (ONNXFixtures.maxError(interpreted[k], want), ONNXFixtures.maxError(compiled[k], want))
            print("onnx parity \(name) out\(k): interp \(ei), compiled \(ec)")
            #expect(ei <= Self.tolerance, "\(name) out\(k) interpreted: max error \(ei)")
            #expect(ec <= Self.tolerance, "\(name) out\(k) compiled: max error \(ec)")
        }
    }
}
