import Foundation
import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// A NaN or infinite loss stops training with an error that leaves the trainer as it was before
/// the failing step, names the culprit with `checkNumerics`, and never reaches a checkpoint.
@Suite struct NonFiniteTrainingTests {
    /// 12 examples of 4 features in batches of 3, unshuffled; row 7 (in batch 2, the third step)
    /// holds 3e38, so the first layer's product overflows to infinity there and the loss is NaN.
    static func data() throws -> DataLoader {
        var inputs = (0..<48).map { 2 * unitUniform(11, $0) - 1 }
        for k in 28..<32 { inputs[k] = 3e38 }
        let dataset = try Dataset(inputs: try HostTensor(TensorType(.f32, [12, 4]), doubles: inputs),
                                  labels: try HostTensor(TensorType(.i32, [12]), doubles: (0..<12).map { Double($0 % 3) }))
        return try DataLoader(dataset, batchSize: 3, shuffle: false)
    }

    /// The first layer's weights are all 1, so 4 x 3e38 overflows in its product.
    static func model() throws -> Sequential {
        let model = Sequential(try Linear(4, 8, seed: 1), Activation(relu), try Linear(8, 3, seed: 2))
        let weight = model.parameters[0].value
        for i in 0..<weight.count { weight[i] = .float(1) }
        return model
    }

    static func trainer(_ model: Sequential, _ loader: DataLoader, _ mode: ExecutionMode, checkNumerics: Bool = false) throws -> Trainer {
        try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.01),
                    inputType: loader.inputType, labelType: loader.labelType, mode: mode, checkNumerics: checkNumerics)
    }

    @Test("a NaN loss stops the epoch and keeps the state from before the failing step", arguments: ExecutionMode.allCases)
    func stopsAndKeepsState(mode: ExecutionMode) throws {
        let loader = try Self.data()
        let model = try Self.model()
        let trainer = try Self.trainer(model, loader, mode)
        var observed: [Int] = []
        let error = caughtKilnError { try trainer.trainEpoch(loader, epoch: 0, every: 4) { done, _ in observed.append(done); return false } }
        #expect(error?.message.hasPrefix("the loss became nan at step 3; training stopped without that update") == true, "\(String(describing: error))")
        #expect(trainer.stepCount == 2 && observed.isEmpty)

        // An independent run of the two good steps, one `step` at a time, reaches the same state.
        let referenceModel = try Self.model()
        let reference = try Self.trainer(referenceModel, loader, mode)
        let order = loader.order(epoch: 0)
        for b in 0..<2 {
            let (x, y) = try loader.batch(b, of: order)
            try reference.step(x, y)
        }
        for (p, q) in zip(model.parameters, referenceModel.parameters) { #expect(p.value.doubles == q.value.doubles) }
        #expect(zip(trainer.states, reference.states).allSatisfy { zip($0, $1).allSatisfy { $0.doubles == $1.doubles } })
        #expect(model.parameters.allSatisfy { $0.value.nonFiniteElements == nil })

        // `step` on the bad batch fails the same way and changes nothing either.
        let (x, y) = try loader.batch(2, of: order)
        #expect(caughtKilnError { try reference.step(x, y) }?.message.hasPrefix("the loss became nan at step 3") == true)
        #expect(reference.stepCount == 2)
        for (p, q) in zip(model.parameters, referenceModel.parameters) { #expect(p.value.doubles == q.value.doubles) }
    }

    @Test("checkNumerics names the first non-finite instruction and the layer it reads", arguments: ExecutionMode.allCases)
    func namesTheInstruction(mode: ExecutionMode) throws {
        let loader = try Self.data()
        let trainer = try Self.trainer(try Self.model(), loader, mode, checkNumerics: true)
        let message = caughtKilnError { try trainer.trainEpoch(loader, epoch: 0) }?.message ?? ""
        #expect(message.contains("\ncheck numerics: instruction "), "\(message)")
        #expect(message.contains("'matmul', produced inf"), "\(message)")
        #expect(!message.contains("Kiln/"), "no place inside Kiln (a Sequential called by the trainer has no user line): \(message)")
        #expect(message.contains("\n  nearest parameters: layers.0.weight"), "\(message)")
        #expect(trainer.stepCount == 2)
    }

    @Test("a checkpoint keeps only finite values: the last good file stays")
    func checkpointsRefuseNonFinite() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ck.safetensors"
        let model = try Self.model()
        let trainer = try Self.trainer(model, try Self.data(), .compiled)
        try trainer.saveCheckpoint(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        model.parameters[1].value[2] = .float(.nan)
        let refused = caughtKilnError { try trainer.saveCheckpoint(to: path) }
        #expect(refused?.message.hasPrefix("cannot save checkpoint '\(path)': tensor 'model.layers.0.bias' holds nan at element 2 (1 of 8 elements") == true,
                "\(String(describing: refused))")
        #expect(caughtKilnError { try model.save(to: path) } != nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["ck.safetensors"])

        // Saved on purpose, it loads only when asked for.
        try trainer.saveCheckpoint(to: path, allowNonFinite: true)
        let fresh = try Self.trainer(try Self.model(), try Self.data(), .compiled)
        let loadError = caughtKilnError { try fresh.loadCheckpoint(from: path) }
        #expect(loadError?.message.contains("tensor 'model.layers.0.bias' holds nan at element 2") == true, "\(String(describing: loadError))")
        #expect(loadError?.message.contains("allowNonFinite: true") == true)
        #expect(fresh.stepCount == 0 && fresh.model.parameters[1].value.nonFiniteElements == nil)
        #expect(caughtKilnError { try fresh.model.load(from: path) } != nil)
        try fresh.loadCheckpoint(from: path, allowNonFinite: true)
        #expect(fresh.model.parameters[1].value[2].asDouble.isNaN)
    }

    @Test("checkpoint metadata is validated: the expected model, step counts in range")
    func metadataIsValidated() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ck.safetensors"
        let trainer = try Self.trainer(try Self.model(), try Self.data(), .interpreted)
        try trainer.saveCheckpoint(to: path, metadata: ["model": "mlp"])
        let wrong = caughtKilnError { try trainer.loadCheckpoint(from: path, expecting: ["model": "cnn"]) }
        #expect(wrong?.message == "checkpoint '\(path)' has model = \"mlp\" in its metadata, but this run has model = \"cnn\"; resume it with model mlp, or from another checkpoint")
        #expect(try trainer.loadCheckpoint(from: path, expecting: ["model": "mlp", "absent": "x"])["model"] == "mlp")

        let tensors = try loadCheckpoint(path: path).tensors.sorted { $0.key < $1.key }
        for step in ["9223372036854775808", "9007199254740993", "-1", "3.5"] {
            try saveCheckpoint(tensors, metadata: ["step": step], path: path)
            let error = caughtKilnError { try trainer.loadCheckpoint(from: path) }
            #expect(error?.message == "checkpoint '\(path)' has step \"\(step)\" in its metadata; a step count is a whole number in 0...9007199254740992")
        }
        #expect(caughtKilnError { try trainer.restore(states: trainer.states, stepCount: -1) } != nil)
        // The largest step count restores, and then no epoch fits: an error, not an overflow.
        try trainer.restore(states: trainer.states, stepCount: Trainer.maximumStepCount)
        let full = caughtKilnError { try trainer.trainEpoch(try Self.data(), epoch: 0) }
        #expect(full?.message == "4 more steps after step 9007199254740992 exceed the largest step count, 9007199254740992")
    }
}
