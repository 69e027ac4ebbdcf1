import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime

/// A traced function optimized by the standard pipeline and compiled once (or left to the
/// interpreter), run with the current values of the parameters it reads: what `Evaluator` and
/// `CompiledGradient` run.
struct CompiledTrace {
    let function: Function
    let code: CompiledFunction?
    let parameters: [Parameter]
    /// Whether the function takes a random key after its inputs.
    let keyed: Bool

    /// `traced` (its `inputCount` inputs, the random key when it draws random numbers, then
    /// `parameters`) optimized, and compiled when `mode` is `.compiled`.
    init(_ traced: Function, inputCount: Int, parameters: [Parameter], mode: ExecutionMode) throws {
        var f = traced
        _ = try PassPipeline.standard().run(on: &f)
        (function, self.parameters) = (f, parameters)
        keyed = traced.params.count > inputCount + parameters.count
        code = mode == .compiled ? try JITCompiler.shared.compile(f, tier: trainingTier) : nil
    }

    /// The results for `inputs`, drawing random numbers keyed by `key`.
    func run(_ inputs: [HostTensor], key: Int) throws -> [HostTensor] {
        let randomKey = keyed ? [try HostTensor(TensorType(.i64, []), doubles: [Double(key)])] : []
        let arguments = inputs + randomKey + parameters.map(\.value)
        return try code?.run(arguments) ?? interpret(function, inputs: arguments)
    }
}
