import Foundation
import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// Eager training (tape + VJP rules on tensors) and the traced training step (grad transform +
/// optimizer IR, interpreted) give the same parameters after K steps.
@Suite struct TrainingTests {
    /// Tolerance: the two modes run the same kernels and rules, but the traced loss also
    /// differentiates through softmax's max shift (which cancels mathematically) and sums fan-out
    /// gradients in a different order, so f32 results differ by rounding: |a-b| <= 1e-5 (1 + |b|).
    static let tolerance = 1e-5

    private func batch(_ shape: [Int], seed: UInt64) throws -> HostTensor {
        try HostTensor(TensorType(.f32, shape), doubles: (0..<shape.reduce(1, *)).map { 2 * unitUniform(seed, $0) - 1 })
    }

    private func labels(_ n: Int, classes: Int, seed: UInt64) throws -> HostTensor {
        try HostTensor(TensorType(.i32, [n]), doubles: (0..<n).map { Double(Int(unitUniform(seed, $0) * Double(classes))) })
    }

    /// Trains two copies of a model (built by `make` with the same seeds) for `steps` steps in
    /// each mode and returns the largest parameter difference.
    private func compareModes(steps: Int = 3, make: () throws -> any Kiln.Module, optimizer: () -> any Optimizer,
                              x: HostTensor, y: HostTensor, loss: @escaping LossFunction) throws -> Double {
        let eagerModel = try make(), tracedModel = try make()
        let eager = try Trainer(model: eagerModel, loss: loss, optimizer: optimizer(), inputType: x.type, labelType: y.type, mode: .eager)
        let traced = try Trainer(model: tracedModel, loss: loss, optimizer: optimizer(), inputType: x.type, labelType: y.type,
                                 mode: .interpreted)
        var worst = 0.0
        for _ in 0..<steps {
            let a = try eager.step(x, y), b = try traced.step(x, y)
            worst = max(worst, Swift.abs(a - b) / (1 + Swift.abs(b)))
        }
        for (p, q) in zip(eagerModel.parameters, tracedModel.parameters) {
            for (a, b) in zip(p.value.doubles, q.value.doubles) { worst = max(worst, Swift.abs(a - b) / (1 + Swift.abs(b))) }
        }
        return worst
    }

    static let optimizers: [(String, @Sendable () -> any Optimizer)] = [
        ("sgd", { SGD(lr: 0.1) }),
        ("momentum", { Momentum(.constant(0.05), momentum: 0.9) }),
        ("nesterov", { Momentum(.constant(0.05), momentum: 0.9, nesterov: true) }),
        ("adam", { Adam(lr: 0.01) }),
        ("adamw", { AdamW(.exponential(initial: 0.01, rate: 0.5, decaySteps: 2)) }),
        ("rmsprop", { RMSprop(.linear(initial: 0.01, final: 0.001, steps: 3)) }),
        ("adagrad", { AdaGrad(.cosine(initial: 0.1, final: 0.01, steps: 3), weightDecay: 0.01, clipNorm: 0.5) }),
    ]

    @Test(arguments: optimizers.map(\.0))
    func everyOptimizerAgreesAcrossModes(_ name: String) throws {
        let make = { Sequential(try Linear(5, 7, seed: 1), Activation(tanh), try Linear(7, 3, seed: 2)) as any Kiln.Module }
        let optimizer = Self.optimizers.first { $0.0 == name }!.1
        let worst = try compareModes(make: make, optimizer: optimizer, x: try batch([6, 5], seed: 1),
                                     y: try labels(6, classes: 3, seed: 2)) { try crossEntropy(logits: $0, labels: $1) }
        #expect(worst <= Self.tolerance, "\(name): \(worst)")
    }

    @Test func convolutionalModelAgreesAcrossModes() throws {
        let make = {
            Sequential(try Conv2D(1, 3, kernelSize: 3, padding: 1, seed: 3), Activation(relu), try MaxPool2D(2),
                       try ConvTranspose2D(3, 2, kernelSize: 2, stride: 2, seed: 4), try AvgPool2D(2),
                       Flatten(), try Linear(2 * 2 * 2, 2, seed: 5)) as any Kiln.Module
        }
        let worst = try compareModes(make: make, optimizer: { Momentum(.constant(0.05)) }, x: try batch([2, 1, 4, 4], seed: 3),
                                     y: try labels(2, classes: 2, seed: 4)) { try crossEntropy(logits: $0, labels: $1) }
        #expect(worst <= Self.tolerance, "\(worst)")
    }

    /// SGD, not Adam: some gradient components of this stack are zero up to rounding (softmax and
    /// layer norm are invariant to shifts), and Adam's `m / sqrt(v)` turns rounding noise of either
    /// sign into a full step, so the modes would differ by `lr` there while agreeing everywhere else.
    /// The traced LSTM sums its weight gradients as one product over all steps where eager mode adds
    /// one product per step; through layer norm and attention that rounding reaches 2e-5.
    @Test func sequenceModelsAgreeAcrossModes() throws {
        let make = {
            Sequential(try LSTM(3, 4, seed: 6), try LayerNorm(4), try MultiHeadAttention(dimension: 4, heads: 2, seed: 7),
                       Flatten(), try Linear(3 * 4, 1, seed: 8)) as any Kiln.Module
        }
        let worst = try compareModes(make: make, optimizer: { SGD(lr: 0.1) }, x: try batch([2, 3, 3], seed: 5),
                                     y: try batch([2, 1], seed: 6)) { try mse($0, $1) }
        #expect(worst <= 2 * Self.tolerance, "\(worst)")
    }

    @Test(arguments: ["lstm", "norm", "attention"])
    func sequenceLayersAgreeAcrossModes(_ layer: String) throws {
        let make = {
            let inner: any Kiln.Module = switch layer {
            case "lstm": try LSTM(3, 4, seed: 6)
            case "norm": Sequential(try Linear(3, 4, seed: 1), try LayerNorm(4))
            default: Sequential(try Linear(3, 4, seed: 1), try MultiHeadAttention(dimension: 4, heads: 2, seed: 7))
            }
            return Sequential(inner, Flatten(), try Linear(3 * 4, 1, seed: 8)) as any Kiln.Module
        }
        let worst = try compareModes(make: make, optimizer: { SGD(lr: 0.1) }, x: try batch([2, 3, 3], seed: 5),
                                     y: try batch([2, 1], seed: 6)) { try mse($0, $1) }
        #expect(worst <= Self.tolerance, "\(layer): \(worst)")
    }

    @Test(arguments: optimizers.map(\.0))
    func compiledTrainingMatchesInterpretedTraining(_ name: String) throws {
        let optimizer = Self.optimizers.first { $0.0 == name }!.1
        let x = try batch([8, 1, 4, 4], seed: 7), y = try labels(8, classes: 3, seed: 8)
        let make = {
            Sequential(try Conv2D(1, 2, kernelSize: 3, padding: 1, seed: 1), Activation(relu), try MaxPool2D(2), Flatten(),
                       try Linear(8, 3, seed: 2)) as any Kiln.Module
        }
        let a = try make(), b = try make()
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        let compiled = try Trainer(model: a, loss: loss, optimizer: optimizer(), inputType: x.type, labelType: y.type)
        let interpreted = try Trainer(model: b, loss: loss, optimizer: optimizer(), inputType: x.type, labelType: y.type, mode: .interpreted)
        let worst = try worstTrainingDifference(compiled, a, interpreted, b, x, y)
        // Compiled code reassociates reductions (4 accumulators) and the passes rewrite exactly: 1e-5.
        #expect(worst <= Self.tolerance, "\(name): \(worst)")
    }

    /// The C epoch loop (batches gathered by a permutation, double-buffered parameters) gives the
    /// same losses and parameters as stepping the compiled function from Swift batch by batch.
    @Test func compiledEpochLoopMatchesSteppingFromSwift() throws {
        let data = try Dataset(inputs: try batch([26, 5], seed: 11), labels: try labels(26, classes: 3, seed: 12))
        let loader = try DataLoader(data, batchSize: 4, seed: 5)
        let make = { Sequential(try Linear(5, 6, seed: 1), try Dropout(rate: 0.2, seed: 4), Activation(relu), try Linear(6, 3, seed: 2)) }
        let a = try make(), b = try make()
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        let looped = try Trainer(model: a, loss: loss, optimizer: Adam(lr: 0.01), inputType: loader.inputType, labelType: loader.labelType)
        let stepped = try Trainer(model: b, loss: loss, optimizer: Adam(lr: 0.01), inputType: loader.inputType, labelType: loader.labelType)
        var loopLosses: [Double] = []
        let done = try looped.trainEpoch(loader, epoch: 0) { _, l in loopLosses.append(l); return false }
        #expect(done == 6 && looped.stepCount == 6, "26 rows in batches of 4: the last 2 are dropped")
        var stepLosses: [Double] = []
        let order = loader.order(epoch: 0)
        for s in 0..<6 {
            let (x, y) = try loader.batch(s, of: order)
            stepLosses.append(try stepped.step(x, y))
        }
        #expect(loopLosses == stepLosses)
        for (p, q) in zip(a.parameters, b.parameters) { #expect(p.value.doubles == q.value.doubles) }
        // A second epoch continues from the updated parameters and step count; stopping early works.
        let stopped = try looped.trainEpoch(loader, epoch: 1) { done, _ in done == 2 }
        #expect(stopped == 2 && looped.stepCount == 8)
        // With `every: 4`, Swift hears of steps 4 and 6 (the last) only.
        var heard: [Int] = []
        try looped.trainEpoch(loader, epoch: 2, every: 4) { done, _ in heard.append(done); return false }
        #expect(heard == [4, 6] && looped.stepCount == 14)
    }

    /// Saving after one epoch and resuming in a fresh trainer gives exactly the parameters of
    /// training two epochs straight (parameters, optimizer state and step count are all saved).
    @Test func resumingFromACheckpointIsExact() throws {
        let data = try Dataset(inputs: try batch([12, 5], seed: 21), labels: try labels(12, classes: 3, seed: 22))
        let loader = try DataLoader(data, batchSize: 4, seed: 3)
        let make = { Sequential(try Linear(5, 6, seed: 1), Activation(relu), try Linear(6, 3, seed: 2)) }
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        func trainer(_ m: Sequential) throws -> Trainer {
            try Trainer(model: m, loss: loss, optimizer: Adam(lr: 0.01), inputType: loader.inputType, labelType: loader.labelType)
        }
        let straight = try make()
        let t1 = try trainer(straight)
        for epoch in 0..<2 { try t1.trainEpoch(loader, epoch: epoch) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-resume-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try make()
        let t2 = try trainer(first)
        try t2.trainEpoch(loader, epoch: 0)
        try t2.saveCheckpoint(to: path)
        let resumed = try make()
        let t3 = try trainer(resumed)
        try t3.loadCheckpoint(from: path)
        #expect(t3.stepCount == 3)
        try t3.trainEpoch(loader, epoch: 1)
        for (p, q) in zip(straight.parameters, resumed.parameters) { #expect(p.value.doubles == q.value.doubles) }
    }

    @Test func evaluatorMeasuresLossAndAccuracy() throws {
        // A linear model whose logits are the inputs: accuracy is the fraction of rows whose
        // largest input sits at the label.
        let identity = try Linear(3, 3, bias: false, initializer: .zeros)
        for i in 0..<3 { identity.weight.value[i * 3 + i] = .float(1) }
        let x = try HostTensor(TensorType(.f32, [5, 3]), doubles: [3, 1, 0, 0, 2, 1, 0, 0, 5, 1, 4, 0, 2, 0, 0])
        let y = try HostTensor(TensorType(.i32, [5]), doubles: [0, 1, 2, 0, 0])
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        let loader = try DataLoader(try Dataset(inputs: x, labels: y), batchSize: 2, shuffle: false, dropLast: false)
        for mode in [ExecutionMode.compiled, .interpreted, .eager] {
            let result = try Evaluator(model: identity, loss: loss, mode: mode).evaluate(loader)
            #expect(result.accuracy == 0.8, "\(mode): rows 0, 1, 2 and 4 are right")
            let expected = try crossEntropy(logits: Tensor(x), labels: Tensor(y)).item()
            #expect(Swift.abs(result.loss - expected) < 1e-6, "\(mode): \(result.loss) vs \(expected)")
            #expect(try Evaluator(model: identity, loss: loss, mode: mode).predict(x).doubles == x.doubles, "\(mode)")
        }
    }

    /// Dropout draws the same masks in both modes: eagerly keyed by its call count, traced by the
    /// step number, which agree when it is called once per step.
    @Test func embeddingBatchNormAndDropoutAgreeAcrossModes() throws {
        let make = {
            Sequential(try Embedding(10, 4, seed: 1), Flatten(), try BatchNorm(8), try Dropout(rate: 0.3, seed: 2),
                       try Linear(8, 1, seed: 3)) as any Kiln.Module
        }
        let ids = try HostTensor(TensorType(.i32, [4, 2]), doubles: [1, 2, 3, 4, 5, 6, 7, 1])
        let worst = try compareModes(make: make, optimizer: { SGD(lr: 0.1) }, x: ids, y: try batch([4, 1], seed: 8)) { try mse($0, $1) }
        #expect(worst <= Self.tolerance, "\(worst)")
    }

    /// Batch norm's running statistics are buffers: the compiled step returns their new values,
    /// which match eager training's, and compiled evaluation reads their current values.
    @Test func batchNormRunningStatisticsTrackInCompiledTraining() throws {
        let make = { Sequential(try Conv2D(1, 2, kernelSize: 3, padding: 1, seed: 1), try BatchNorm(2), Activation(relu),
                                Flatten(), try Linear(2 * 4 * 4, 3, seed: 2)) }
        let x = try batch([6, 1, 4, 4], seed: 31), y = try labels(6, classes: 3, seed: 32)
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        let eagerModel = try make(), compiledModel = try make()
        let eager = try Trainer(model: eagerModel, loss: loss, optimizer: SGD(lr: 0.05), inputType: x.type, labelType: y.type, mode: .eager)
        let compiled = try Trainer(model: compiledModel, loss: loss, optimizer: SGD(lr: 0.05), inputType: x.type, labelType: y.type)
        #expect(compiled.buffers.map(\.name) == ["running_mean", "running_variance"])
        for _ in 0..<3 { try eager.step(x, y); try compiled.step(x, y) }
        let norms = try [eagerModel, compiledModel].map { try #require($0.layers[1] as? BatchNorm) }
        #expect(norms[1].runningMean.value.doubles != [0, 0], "the running mean moved")
        for (a, b) in [(norms[0].runningMean, norms[1].runningMean), (norms[0].runningVariance, norms[1].runningVariance)] {
            for (u, v) in zip(a.value.doubles, b.value.doubles) { #expect(Swift.abs(u - v) <= Self.tolerance * (1 + Swift.abs(v))) }
        }
        let loader = try DataLoader(try Dataset(inputs: x, labels: y), batchSize: 3, shuffle: false, dropLast: false)
        let eagerEval = try Evaluator(model: eagerModel, loss: loss, mode: .eager).evaluate(loader)
        let compiledEval = try Evaluator(model: compiledModel, loss: loss).evaluate(loader)
        #expect(Swift.abs(eagerEval.loss - compiledEval.loss) <= 1e-5, "\(eagerEval) vs \(compiledEval)")
    }

    @Test func embeddingBatchNormAndDropoutTrain() throws {
        let model = Sequential(try Embedding(10, 4, seed: 1), Flatten(), try BatchNorm(8), try Dropout(rate: 0.5, seed: 2),
                               try Linear(8, 1, seed: 3))
        let ids = try HostTensor(TensorType(.i32, [4, 2]), doubles: [1, 2, 3, 4, 5, 6, 7, 8])
        let traced = try Trainer(model: model, loss: { try binaryCrossEntropy(logits: $0, targets: $1) },
                                 optimizer: Adam(lr: 0.05), inputType: ids.type, labelType: TensorType(.f32, [4, 1]), mode: .interpreted)
        let targets = try HostTensor(TensorType(.f32, [4, 1]), doubles: [0, 1, 0, 1])
        let first = try traced.step(ids, targets)
        var last = first
        for _ in 0..<30 { last = try traced.step(ids, targets) }
        #expect(last < first, "loss \(first) -> \(last)")
    }

    @Test func eagerTrainingReducesTheLoss() throws {
        let model = Sequential(try Linear(2, 8, seed: 1), Activation(relu), try Linear(8, 1, seed: 2))
        let x = try batch([16, 2], seed: 9)
        let trainer = try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: Adam(lr: 0.05), inputType: x.type,
                                  labelType: TensorType(.f32, [16, 1]), mode: .eager)
        let y = try HostTensor(TensorType(.f32, [16, 1]), doubles: (0..<16).map { x[2 * $0].asDouble - 2 * x[2 * $0 + 1].asDouble })
        let first = try trainer.step(x, y)
        var last = first
        for _ in 0..<100 { last = try trainer.step(x, y) }
        #expect(last < first / 20, "loss \(first) -> \(last)")
    }

    @Test func saliencyIsTheInputGradient() throws {
        // d/dx sum(w * x) = w.
        let w = try Tensor(shape: [3], [0.5, -2, 4])
        let g = try gradient(at: try Tensor(shape: [3], [1, 1, 1])) { try ($0 * w).sum() }
        #expect(try g.scalars() == [0.5, -2, 4])
    }
}
