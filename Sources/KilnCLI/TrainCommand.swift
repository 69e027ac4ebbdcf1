import ArgumentParser
import Kiln
import KilnCodegen
import KilnIR
import KilnSupport
import KilnTensorBoard

/// `kiln train`: trains a model on Fashion-MNIST, compiled by default, with a progress bar and the
/// test accuracy after every epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST (compiled unless --eager) and report test accuracy.")

    enum ModelName: String, CaseIterable, ExpressibleByArgument { case mlp, cnn }
    enum OptimizerName: String, CaseIterable, ExpressibleByArgument { case adam, adamw, sgd, momentum, nesterov, rmsprop, adagrad }
    enum ScheduleName: String, CaseIterable, ExpressibleByArgument { case constant, linear, exponential, step, cosine }

    @Option(help: "The model: mlp (784-256-128-10) or cnn (two conv blocks and two linear layers).")
    var model: ModelName = .mlp

    // Numeric values are taken as given, negative ones too (`--lr -1`), and then checked by `validate`.
    @Option(parsing: .unconditional, help: "Epochs, 1...\(Self.maximumEpochs) (default: 8 for mlp, 4 for cnn).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Examples per training step.")
    var batchSize = 64

    @Option(help: "The optimizer.")
    var optimizer: OptimizerName = .adam

    @Option(parsing: .unconditional, help: "The initial learning rate (default: 0.001 for adam, adamw and rmsprop; 0.01 for adagrad; 0.05 otherwise).")
    var lr: Double?

    @Option(help: "The learning-rate schedule over the whole run (decaying to a tenth of --lr).")
    var schedule: ScheduleName = .cosine

    @Option(parsing: .unconditional, help: "Weight decay (L2; decoupled for adamw).")
    var weightDecay = 0.0

    @Option(parsing: .unconditional, help: "Clip gradients to this global L2 norm.")
    var clipNorm: Double?

    @Option(parsing: .unconditional, help: "The seed of initialization and shuffling.")
    var seed: UInt64 = 0

    @Flag(help: "Run eagerly, op by op (the baseline compiled mode is measured against).")
    var eager = false

    @Option(help: ArgumentHelp("Write a checkpoint (safetensors) here after every epoch, atomically (checked before training).", valueName: "path"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Resume from a checkpoint written by --checkpoint.", valueName: "path"))
    var resume: String?

    @Flag(help: "Resume even from a checkpoint holding NaN or infinity.")
    var allowNonFinite = false

    @Flag(help: "When the loss becomes NaN or infinite, run the failing step again in the reference interpreter and name the first instruction that produced NaN or infinity.")
    var checkNumerics = false

    @Option(help: ArgumentHelp("Write the forward, gradient, step and optimized IR and the generated C here.", valueName: "dir"))
    var dumpIR: String?

    @Option(help: ArgumentHelp("Where the Fashion-MNIST files are.", valueName: "dir"))
    var data = FashionMNIST.defaultDirectory

    @Option(parsing: .unconditional, help: "Stop when the test loss has not improved for this many epochs.")
    var patience: Int?

    @Option(parsing: .unconditional, help: "Train on only the first N training examples (a quick run).")
    var limit: Int?

    @Flag(help: "Train data-parallel over MPI (implied when mpirun starts several ranks; --batch-size is per rank; see docs/distributed.md).")
    var distributed = false

    @Option(help: ArgumentHelp("With MPI: how gradients are all-reduced: flat, per-tensor, buckets (1 MiB) or buckets:BYTES (docs/distributed.md).",
                               valueName: "mode"))
    var gradientFusion: String?

    @Option(help: ArgumentHelp("Write TensorBoard logs here (e.g. runs/NAME; see them with tensorboard --logdir runs).", valueName: "dir"))
    var logDir: String?

    @Option(parsing: .unconditional, help: "With --log-dir: log the training loss, learning rate and steps/s every N steps.")
    var logEvery = 10

    /// The most epochs a run may ask for.
    static let maximumEpochs = 1_000_000

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let epochs, !(1...Self.maximumEpochs).contains(epochs) {
            throw ValidationError("--epochs must be in 1...\(Self.maximumEpochs), got \(epochs)")
        }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be positive and finite, got \(lr)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw ValidationError("--weight-decay must be zero or positive and finite, got \(weightDecay)")
        }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) {
            throw ValidationError("--clip-norm must be positive and finite, got \(clipNorm)")
        }
        if let patience, patience < 1 { throw ValidationError("--patience must be at least 1, got \(patience)") }
        if let limit, limit < batchSize { throw ValidationError("--limit must be at least --batch-size (\(batchSize)), got \(limit)") }
        if logEvery < 1 { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
        if let gradientFusion {
            do { _ = try GradientFusion(parsing: gradientFusion) } catch { throw ValidationError("--gradient-fusion: \(error.message)") }
        }
    }

    func run() throws {
        if let checkpoint {
            do { try checkCheckpointPath(checkpoint) } catch { throw error.rephrased { "--checkpoint: \($0)" } }
        }
        manualSeed(seed)
        let parallel = try distributedTraining(requested: distributed, fusion: gradientFusion)
        let layout: FashionMNIST.Layout = model == .cnn ? .channels : .flat
        let fashion: FashionMNIST
        do { fashion = try FashionMNIST.load(directory: data, layout: layout) } catch {
            throw error.rephrased { "--data: \($0); for kiln train, pass --data DIR" }
        }
        let trainSet = try limit.map { try fashion.train.prefix($0) } ?? fashion.train
        guard trainSet.count >= batchSize else {
            throw KilnError("the training set has \(trainSet.count) examples, fewer than one batch of \(batchSize); lower --batch-size")
        }
        let rowShape = model == .cnn ? [1, 28, 28] : [784]
        let loader = try DataLoader(trainSet, batchSize: batchSize, seed: seed, inputRowShape: rowShape)
        let testLoader = try DataLoader(fashion.test, batchSize: 1000, shuffle: false, dropLast: false, inputRowShape: rowShape)
        let epochCount = epochs ?? (model == .cnn ? 4 : 8)
        let network = model == .cnn ? try ModelZoo.fashionCNN(seed: seed) : try ModelZoo.fashionMLP(seed: seed)
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        let stepsPerEpoch = parallel?.steps(rows: trainSet.count, batchSize: batchSize) ?? trainSet.count / batchSize
        guard stepsPerEpoch > 0 else {
            throw KilnError("\(parallel?.size ?? 1) ranks x --batch-size \(batchSize) exceed the \(trainSet.count) training examples; lower --batch-size")
        }
        let totalSteps = epochCount * stepsPerEpoch
        print("kiln train: \(model.rawValue), \(network.parameterCount) parameters, \(trainSet.count) training examples, " +
              "\(epochCount) epochs of \(stepsPerEpoch) steps, \(eager ? "eager" : "compiled")" +
              (parallel.map { ", \($0.size) ranks x \(batchSize) rows per step" } ?? ""))

        let start = monotonicSeconds()
        let trainer = try Trainer(model: network, loss: loss, optimizer: makeOptimizer(totalSteps: totalSteps),
                                  inputType: loader.inputType, labelType: loader.labelType, mode: eager ? .eager : .compiled,
                                  checkNumerics: checkNumerics, dataParallel: parallel)
        if let compiled = trainer.compiledStep {
            print("compiled the training step in \(format((monotonicSeconds() - start) * 1000, 1)) ms: trace + grad " +
                  "\(format(compiled.traceSeconds * 1000, 1)) ms, passes \(format(compiled.passSeconds * 1000, 1)) ms, " +
                  "C + tcc \(format(compiled.compileSeconds * 1000, 1)) ms" +
                  (compiled.gccSeconds.map { ", gcc \(format($0 * 1000, 1)) ms" + (compiled.compiled.isFromCodeCache ? " (from the code cache)" : "") } ?? "") +
                  " (\(compiled.optimized.body.count) instructions, " +
                  "arena \(compiled.compiled.arenaPeakBytes / 1024) KiB)")
            if let dumpIR {
                let files = try compiled.dumpIR(to: dumpIR)
                print("wrote \(files.joined(separator: ", ")) to \(dumpIR)")
            }
        }
        print(try network.summary(input: loader.inputType, step: trainer.compiledStep), terminator: "")
        var log: TrainingLog?
        if let logDir, parallel?.isRoot ?? true {
            do { log = try TrainingLog(directory: logDir, every: logEvery) } catch { throw error.rephrased { "--log-dir: \($0)" } }
            print("logging to \(log?.writer.path ?? logDir)")
        }
        var firstEpoch = 0
        if let resume {
            let metadata = try trainer.loadCheckpoint(from: resume, expecting: ["model": model.rawValue], allowNonFinite: allowNonFinite)
            firstEpoch = try epochsDone(metadata, checkpoint: resume, steps: trainer.stepCount, stepsPerEpoch: stepsPerEpoch)
            if firstEpoch > epochCount {
                throw KilnError("checkpoint '\(resume)' has done \(firstEpoch) epochs, more than --epochs \(epochCount); " +
                                "ask for more epochs to train further")
            }
            if firstEpoch == epochCount {
                print("checkpoint \(resume) has done all \(epochCount) epochs: nothing to do (ask for more with --epochs)")
                finishDistributedTraining(parallel)
                return
            }
            print("resumed from \(resume) at epoch \(firstEpoch + 1), step \(trainer.stepCount)")
        }
        let evaluator = Evaluator(model: network, loss: loss, mode: eager ? .eager : .compiled, dataParallel: parallel)
        var best = Double.infinity, sinceBest = 0
        var tierReported = false, firstStepDone: Double?
        let trainingStart = monotonicSeconds()
        for epoch in firstEpoch..<epochCount {
            var bar = ProgressBar(label: "epoch \(epoch + 1)/\(epochCount)", total: stepsPerEpoch)
            var running = 0.0
            do {
                try trainer.trainEpoch(loader, epoch: epoch, log: log) { done, value in
                    running = done == 1 ? value : 0.98 * running + 0.02 * value
                    if firstStepDone == nil { firstStepDone = monotonicSeconds() }
                    if !tierReported, let switched = trainer.compiledStep?.tierSwitch {
                        bar.interrupt()
                        print("gcc tier ready after \(format(switched.gccSeconds, 2)) s, switched at step \(switched.step)")
                        tierReported = true
                    }
                    bar.update(done: done, loss: running)
                    return false
                }
            } catch {
                bar.interrupt()
                throw error
            }
            let result = try evaluator.evaluate(testLoader)
            print("epoch \(epoch + 1): test loss \(format(result.loss, 4)), test accuracy \(format(100 * (result.accuracy ?? 0), 2))%, " +
                  "elapsed \(clock(monotonicSeconds() - trainingStart))")
            try log?.epochEnded(result, step: trainer.stepCount)
            if let checkpoint, parallel?.isRoot ?? true {
                try trainer.saveCheckpoint(to: checkpoint, metadata: ["epoch": String(epoch + 1), "model": model.rawValue])
            }
            if result.loss < best { (best, sinceBest) = (result.loss, 0) } else { sinceBest += 1 }
            if let patience, sinceBest >= patience {
                print("early stopping: no better test loss for \(patience) epochs")
                break
            }
        }
        if let compiled = trainer.compiledStep, !tierReported {
            switch compiled.compiled.optimizingTierStatus {
            case .unavailable(let reason): print("gcc tier unavailable, trained on tcc's code: \(reason)")
            case .compiling: print("trained on tcc's code: gcc had not finished")
            case .ready(let milliseconds, _) where compiled.gccSeconds == nil:
                print("trained on tcc's code: gcc tier ready after \(format(milliseconds / 1000, 2)) s, after the last step")
            case .notRequested, .ready: break
            }
        }
        let traced = start + (trainer.compiledStep?.traceSeconds ?? 0)
        print("done in \(clock(monotonicSeconds() - start)) (training \(clock(monotonicSeconds() - trainingStart))" +
              (firstStepDone.map { ", first step done \(format(($0 - traced) * 1000, 1)) ms after tracing" } ?? "") + ")")
        finishDistributedTraining(parallel)
    }

    /// The epochs a resumed checkpoint has done: its `epoch` metadata, else its steps in whole epochs.
    private func epochsDone(_ metadata: [String: String], checkpoint: String, steps: Int, stepsPerEpoch: Int) throws(KilnError) -> Int {
        guard let text = metadata["epoch"] else { return steps / max(stepsPerEpoch, 1) }
        guard let epoch = Int(text), (0...Self.maximumEpochs).contains(epoch) else {
            throw KilnError("checkpoint '\(checkpoint)' has epoch \"\(text)\" in its metadata; an epoch count is a whole number in 0...\(Self.maximumEpochs)")
        }
        return epoch
    }

    private func makeOptimizer(totalSteps: Int) -> any Optimizer {
        let base = lr ?? ([.adam, .adamw, .rmsprop].contains(optimizer) ? 0.001 : optimizer == .adagrad ? 0.01 : 0.05)
        let rate: Schedule = switch schedule {
        case .constant: .constant(base)
        case .linear: .linear(initial: base, final: base / 10, steps: totalSteps)
        case .exponential: .exponential(initial: base, rate: 0.1, decaySteps: totalSteps)
        case .step: .step(initial: base, factor: 0.5, every: max(totalSteps / 4, 1))
        case .cosine: .cosine(initial: base, final: base / 10, steps: totalSteps)
        }
        switch optimizer {
        case .adam: return Adam(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        case .adamw: return AdamW(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        case .sgd: return SGD(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        case .momentum: return Momentum(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        case .nesterov: return Momentum(rate, nesterov: true, weightDecay: weightDecay, clipNorm: clipNorm)
        case .rmsprop: return RMSprop(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        case .adagrad: return AdaGrad(rate, weightDecay: weightDecay, clipNorm: clipNorm)
        }
    }
}
