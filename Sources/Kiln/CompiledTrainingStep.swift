import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
#if canImport(Glibc)
import Glibc
#endif

/// The JIT tier of compiled training and evaluation: `.optimizing` (the step runs for minutes, gcc's
/// code pays for its compile), unless the environment variable `KILN_JIT_TIER` names another
/// (`baseline`, `adaptive`), e.g. to compare the tiers.
let trainingTier: JITTier = getenv("KILN_JIT_TIER").flatMap { JITTier(rawValue: String(cString: $0)) } ?? .optimizing

/// A `TrainingStep` optimized by a pass pipeline (the default one unless given) and compiled to native code, with what
/// each stage produced (for `--dump-ir`) and how long it took.
public struct CompiledTrainingStep {
    public let step: TrainingStep
    /// The step function after the passes, as compiled.
    public let optimized: Function
    public let compiled: CompiledFunction
    /// Seconds spent tracing + differentiating, optimizing, and generating C + compiling it with libtcc.
    public let traceSeconds: Double, passSeconds: Double, compileSeconds: Double
    /// Seconds gcc took to compile and load the optimizing tier; nil when the step runs libtcc's code
    /// (see `compiled.optimizingTierStatus` for why).
    public let gccSeconds: Double?

    public init(model: any Module, loss: LossFunction, optimizer: any Optimizer,
                inputType: TensorType, labelType: TensorType, trainable: [String]? = nil,
                stepFunction: Function? = nil, passes: PassPipeline = .standard()) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let tracedStep = try TrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType,
                                          trainable: trainable)
        step = try stepFunction.map { try tracedStep.replacingFunction($0) } ?? tracedStep
        let traced = clock.now
        var f = step.function
        _ = try passes.run(on: &f)
        optimized = f
        let passed = clock.now
        compiled = try JITCompiler.shared.compile(f, tier: trainingTier, appending: EpochLoopUnit.source,
                                                  extraSymbols: EpochLoopUnit.externalSymbols)
        let end = clock.now
        traceSeconds = (traced - start).seconds
        passSeconds = (passed - traced).seconds
        gccSeconds = compiled.optimizingCompileMilliseconds.map { $0 / 1000 }
        compileSeconds = trainingTier == .optimizing ? (end - passed).seconds - (gccSeconds ?? 0)
                                                     : (compiled.timings.codegenMilliseconds + compiled.timings.compileMilliseconds) / 1000
    }
}

extension CompiledTrainingStep {
    /// Writes every stage of the step to `directory` (created if needed): the forward loss
    /// (`forward.kir`), its gradient (`gradient.kir`), the training step (`train_step.kir`), the
    /// step after the passes (`train_step.optimized.kir`) and its C (`train_step.c`). Returns the
    /// file names.
    @discardableResult
    public func dumpIR(to directory: String) throws(KilnError) -> [String] {
        try makeDirectories(directory)
        let files = [
            ("forward.kir", printFunction(step.lossFunction)),
            ("gradient.kir", printFunction(step.gradientFunction)),
            ("train_step.kir", printFunction(step.function)),
            ("train_step.optimized.kir", printFunction(optimized)),
            ("train_step.c", compiled.cSource),
        ]
        for (name, text) in files { try writeFileAtomically(Array(text.utf8), path: directory + "/" + name) }
        return files.map(\.0)
    }
}

