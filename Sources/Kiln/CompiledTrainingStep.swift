import KilnIR
import KilnJIT
import KilnPasses

/// A `TrainingStep` optimized by the default pass pipeline and compiled to native code, with what
/// each stage produced (for `--dump-ir`) and how long it took.
public struct CompiledTrainingStep {
    public let step: TrainingStep
    /// The step function after the passes, as compiled.
    public let optimized: Function
    public let compiled: CompiledFunction
    /// Seconds spent tracing + differentiating, optimizing, and generating + compiling C.
    public let traceSeconds: Double, passSeconds: Double, compileSeconds: Double

    public init(model: any Module, loss: LossFunction, optimizer: any Optimizer,
                inputType: TensorType, labelType: TensorType) throws {
        let clock = ContinuousClock()
        let start = clock.now
        step = try TrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType)
        let traced = clock.now
        var f = step.function
        _ = try PassPipeline.standard().run(on: &f)
        optimized = f
        let passed = clock.now
        compiled = try JITCompiler.shared.compile(f, appending: epochLoopSource, extraSymbols: ["memcpy"])
        let end = clock.now
        traceSeconds = seconds(traced - start)
        passSeconds = seconds(passed - traced)
        compileSeconds = seconds(end - passed)
    }
}

/// `d` in seconds.
func seconds(_ d: Duration) -> Double {
    let (s, attoseconds) = d.components
    return Double(s) + Double(attoseconds) * 1e-18
}
