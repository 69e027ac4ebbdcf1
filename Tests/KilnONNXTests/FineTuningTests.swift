import Foundation
import Kiln
import KilnONNX
import Testing

/// An imported model trained further in Kiln: its ONNX initializers are the parameters.
@Suite("Fine-tuning imported ONNX models")
struct FineTuningTests {
    /// The CNN with batch norm, its running statistics frozen (buffers), its other weights trained.
    static func cnn() throws -> (ImportedModel, FunctionModule) {
        let imported = try ONNXFixtures.load("cnn_bn")
        let statistics = Set(imported.onnxNames.filter { $0.value.hasSuffix("running_mean") || $0.value.hasSuffix("running_var") }.map(\.key))
        #expect(statistics.count == 2)
        return (imported, try FunctionModule(imported.function, weights: imported.weights, frozen: statistics))
    }

    @Test("the module computes what the import computes, eagerly")
    func eagerForward() throws {
        let (_, model) = try Self.cnn()
        let x = try ONNXFixtures.inputs("cnn_bn", count: 1)[0]
        let y = try model(Tensor(x)).host()
        #expect(ONNXFixtures.maxError(y, try ONNXFixtures.outputs("cnn_bn")[0]) <= PyTorchParityTests.tolerance)
    }

    @Test("compiled and eager training lower the loss; frozen weights stay; the checkpoint reloads", arguments: [ExecutionMode.compiled, .eager])
    func fineTune(mode: ExecutionMode) throws {
        let (imported, model) = try Self.cnn()
        let x = try ONNXFixtures.inputs("cnn_bn", count: 1)[0]
        let labels = try HostTensor(TensorType(.i32, [2]), scalars: [.int(4), .int(1)])
        let frozenBefore = try model.weights.filter { !$0.trainable }.map { try $0.value.copy() }
        let trainer = try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.01),
                                  inputType: x.type, labelType: labels.type, mode: mode)
        #expect(trainer.parameters.count == imported.weights.count - 2)
        var losses: [Double] = []
        for _ in 0..<6 { losses.append(try trainer.step(x, labels)) }
        #expect(losses.last! < losses.first! * 0.7, "losses \(losses)")
        for (before, p) in zip(frozenBefore, model.weights.filter { !$0.trainable }) {
            #expect(before.doubles == p.value.doubles, "\(p.name) is frozen but changed")
        }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-onnx-ft-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let (_, reloaded) = try Self.cnn()
        try reloaded.load(from: path)
        for (a, b) in zip(model.weights, reloaded.weights) { #expect(a.value.doubles == b.value.doubles, "\(a.name)") }
        let tuned = try model(Tensor(x)).host(), again = try reloaded(Tensor(x)).host()
        #expect(tuned.doubles == again.doubles)
        #expect(ONNXFixtures.maxError(tuned, try ONNXFixtures.outputs("cnn_bn")[0]) > 1e-3, "training changed the outputs")
    }
}
