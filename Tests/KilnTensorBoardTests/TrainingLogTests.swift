import Foundation
import Kiln
import KilnTensorBoard
import KilnTestSupport
import Testing

@Suite("TensorBoard training log")
struct TrainingLogTests {
    /// 12 examples of 4 features in 3 classes, in batches of 2: 6 steps an epoch.
    static func data() throws -> DataLoader {
        var rng = SplitMix64(seed: 3)
        let x = try HostTensor(TensorType(.f32, [12, 4]), doubles: (0..<48).map { _ in Double(rng.next() % 1000) / 500 - 1 })
        let y = try HostTensor(TensorType(.i32, [12]), doubles: (0..<12).map { Double($0 % 3) })
        return try DataLoader(Dataset(inputs: x, labels: y), batchSize: 2, seed: 1)
    }

    @Test("the loss, learning rate and speed every N steps and the test metrics per epoch are logged as trained",
          arguments: [ExecutionMode.compiled, .eager])
    func logsTraining(mode: ExecutionMode) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loader = try Self.data()
        let model = try ModelZoo.mlp([4, 8, 3], seed: 2)
        let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
        // Linear decay from 0.1 to 0.01 over 12 steps: rate(s) = min(s / 12, 1) (0.01 - 0.1) + 0.1, in f32 as the
        // schedule computes it in the training step.
        let trainer = try Trainer(model: model, loss: loss, optimizer: SGD(.linear(initial: 0.1, final: 0.01, steps: 12)),
                                  inputType: loader.inputType, labelType: loader.labelType, mode: mode)
        let evaluator = Evaluator(model: model, loss: loss, mode: mode)
        let log = try TrainingLog(directory: directory, every: 4)
        var seen: [(Int, Double)] = [], evaluations: [(Int, Evaluation)] = []
        for epoch in 0..<2 {
            try trainer.trainEpoch(loader, epoch: epoch, every: 3, log: log) { done, value in
                seen.append((done, value))
                return false
            }
            let result = try evaluator.evaluate(loader)
            try log.epochEnded(result, step: trainer.stepCount)
            evaluations.append((trainer.stepCount, result))
        }
        // The caller's callback still sees every third step and the last of each epoch.
        #expect(seen.map(\.0) == [3, 6, 3, 6])

        let read = try decodeTensorBoardEvents(Array(try Data(contentsOf: URL(fileURLWithPath: log.writer.path))))
        let scalars = read.dropFirst().flatMap { event in event.scalars.map { (event.step, $0.tag, $0.value) } }
        // Steps 4, 8 and 12 (the second epoch's second and sixth); test metrics after steps 6 and 12.
        #expect(scalars.map { "\($0.0) \($0.1)" } == [
            "4 train/loss", "4 train/learning_rate", "4 train/steps_per_second", "6 test/loss", "6 test/accuracy",
            "8 train/loss", "8 train/learning_rate", "8 train/steps_per_second",
            "12 train/loss", "12 train/learning_rate", "12 train/steps_per_second", "12 test/loss", "12 test/accuracy",
        ])
        for (step, tag, value) in scalars {
            switch tag {
            case "train/learning_rate": #expect(value == min(Float(step) / 12, 1) * Float(0.01 - 0.1) + Float(0.1), "step \(step)")
            case "train/steps_per_second": #expect(value > 0 && value.isFinite)
            default: break
            }
        }
        // The logged training losses are the trainer's: rerun the same training one step at a time.
        let reference = try Trainer(model: try ModelZoo.mlp([4, 8, 3], seed: 2), loss: loss,
                                    optimizer: SGD(.linear(initial: 0.1, final: 0.01, steps: 12)),
                                    inputType: loader.inputType, labelType: loader.labelType, mode: mode)
        var losses: [Double] = []
        for epoch in 0..<2 {
            let order = loader.order(epoch: epoch)
            for b in 0..<6 {
                let (x, y) = try loader.batch(b, of: order)
                losses.append(try reference.step(x, y))
            }
        }
        #expect(scalars.filter { $0.1 == "train/loss" }.map(\.2) == [Float(losses[3]), Float(losses[7]), Float(losses[11])])
        let tests = scalars.filter { $0.1.hasPrefix("test/") }
        #expect(tests.map(\.2) == evaluations.flatMap { [Float($0.1.loss), Float($0.1.accuracy ?? -1)] })
        #expect(tests.map(\.0) == [6, 6, 12, 12])
    }

    @Test("the example of docs/ecosystem.md runs as written")
    func documentationExample() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loader = try Self.data(), test = loader
        let trainer = try Trainer(model: try ModelZoo.mlp([4, 8, 3]), loss: { try crossEntropy(logits: $0, labels: $1) },
                                  optimizer: SGD(lr: 0.1), inputType: loader.inputType, labelType: loader.labelType)
        let evaluator = Evaluator(model: trainer.model, loss: { try crossEntropy(logits: $0, labels: $1) })

        let log = try TrainingLog(directory: directory + "/runs/mlp", every: 10)
        for epoch in 0..<5 {
            try trainer.trainEpoch(loader, epoch: epoch, log: log)        // train/* every 10 steps
            try log.epochEnded(try evaluator.evaluate(test), step: trainer.stepCount)   // test/*, then sync
        }
        try log.writer.addScalar("my/metric", 0.25, step: trainer.stepCount)
        try log.writer.close()

        let read = try decodeTensorBoardEvents(Array(try Data(contentsOf: URL(fileURLWithPath: log.writer.path))))
        let steps = read.dropFirst().map { "\($0.step) \($0.scalars.map(\.tag).joined(separator: ","))" }
        // Epochs of 6 steps: training records at steps 10, 20 and 30, whatever epoch they fall in.
        let trained = "train/loss,train/learning_rate,train/steps_per_second", tested = "test/loss,test/accuracy"
        #expect(steps == ["6 \(tested)", "10 \(trained)", "12 \(tested)", "18 \(tested)", "20 \(trained)", "24 \(tested)",
                          "30 \(trained)", "30 \(tested)", "30 my/metric"])
    }
}
