import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import Synchronization
#if canImport(Glibc)
import Glibc
import KilnSupport
#endif

/// The JIT tier of compiled training and evaluation: `.adaptive` (training starts at once on libtcc's
/// code and goes on with gcc's between two steps once it is ready), unless the environment variable
/// `KILN_JIT_TIER` names another (`baseline`, `optimizing`), e.g. to compare the tiers.
let trainingTier: JITTier = getenv("KILN_JIT_TIER").flatMap { JITTier(rawValue: String(cString: $0)) } ?? .adaptive

/// When compiled training went on from libtcc's code to gcc's.
public struct TierSwitch: Sendable, Equatable {
    /// The first step (counted from 1, as `Trainer.stepCount`) that ran gcc's code.
    public var step: Int
    /// Seconds gcc took to compile and load its code, from the start of its compile.
    public var gccSeconds: Double
}

/// The tiers the epoch loop ran so far, for `CompiledTrainingStep.tierSwitch`.
final class TierHistory: Sendable {
    private let state = Mutex<(ranBaseline: Bool, switched: TierSwitch?)>((false, nil))

    var switched: TierSwitch? { state.withLock { $0.switched } }

    /// Notes that steps from `step` on ran `tier`'s code of `compiled`.
    func ran(_ tier: JITTier, fromStep step: Int, _ compiled: CompiledFunction) {
        state.withLock { state in
            switch tier {
            case .baseline: state.ranBaseline = true
            case .optimizing, .adaptive:
                guard state.ranBaseline, state.switched == nil else { return }
                state.switched = TierSwitch(step: step, gccSeconds: (compiled.optimizingCompileMilliseconds ?? 0) / 1000)
            }
        }
    }
}

/// A `TrainingStep` optimized by a pass pipeline (the default one unless given) and compiled to native code, with what
/// each stage produced (for `--dump-ir`) and how long it took.
public struct CompiledTrainingStep {
    public let step: TrainingStep
    /// The step function after the passes, as compiled.
    public let optimized: Function
    public let compiled: CompiledFunction
    /// Seconds spent tracing + differentiating, optimizing, and generating C + compiling it with libtcc.
    public let traceSeconds: Double, passSeconds: Double, compileSeconds: Double
    /// Seconds gcc took to compile and load the optimizing tier when it was ready on return (the
    /// `.optimizing` tier); nil otherwise (see `compiled.optimizingTierStatus`, and `tierSwitch`).
    public let gccSeconds: Double?
    let tiers = TierHistory()

    /// When training went on from libtcc's code to gcc's; nil while no step ran gcc's code after
    /// one ran libtcc's.
    public var tierSwitch: TierSwitch? { tiers.switched }

    /// The step of `model`, `loss` and `optimizer` traced, optimized by `passes` and compiled by
    /// `compiler` at `tier` (by default `.adaptive`, or the tier `KILN_JIT_TIER` names).
    public init(model: any Module, loss: LossFunction, optimizer: any Optimizer,
                inputType: TensorType, labelType: TensorType, trainable: [String]? = nil,
                stepFunction: Function? = nil, passes: PassPipeline = .standard(), compiler: JITCompiler = .shared,
                tier: JITTier? = nil, dataParallel: DataParallel? = nil) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let tracedStep = try TrainingStep(model: model, loss: loss, optimizer: optimizer, inputType: inputType, labelType: labelType,
                                          trainable: trainable, dataParallel: dataParallel)
        let step = try stepFunction.map { try tracedStep.replacingFunction($0) } ?? tracedStep
        try self.init(step: step, traceSeconds: (clock.now - start).seconds, passes: passes, compiler: compiler, tier: tier)
    }

    /// `step` (traced already, e.g. a `CustomTrainingStep`'s) optimized by `passes` and compiled
    /// by `compiler` at `tier`.
    public init(step: TrainingStep, passes: PassPipeline = .standard(), compiler: JITCompiler = .shared,
                tier: JITTier? = nil) throws {
        try self.init(step: step, traceSeconds: 0, passes: passes, compiler: compiler, tier: tier)
    }

    private init(step: TrainingStep, traceSeconds: Double, passes: PassPipeline, compiler: JITCompiler, tier: JITTier?) throws {
        let tier = tier ?? trainingTier
        let clock = ContinuousClock()
        let start = clock.now
        self.step = step
        var f = step.function
        _ = try passes.run(on: &f)
        optimized = f
        let passed = clock.now
        compiled = try compiler.compile(f, tier: tier, appending: EpochLoopUnit.source,
                                                  extraSymbols: EpochLoopUnit.externalSymbols)
        let end = clock.now
        self.traceSeconds = traceSeconds
        passSeconds = (passed - start).seconds
        gccSeconds = compiled.optimizingCompileMilliseconds.map { $0 / 1000 }
        compileSeconds = tier == .optimizing ? (end - passed).seconds - (gccSeconds ?? 0)
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

