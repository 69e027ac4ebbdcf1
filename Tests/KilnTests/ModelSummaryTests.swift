import Foundation
import Testing
import KilnCodegen
import KilnIR
import KilnPasses
@testable import Kiln

/// A module that is not a `Sequential`: `norm(x + body(x))`.
private final class Residual: Kiln.Module {
    let body: Sequential
    let norm: BatchNorm
    init(_ body: Sequential, _ norm: BatchNorm) { (self.body, self.norm) = (body, norm) }
    func forward(_ x: Tensor) throws -> Tensor { try norm(x + body(x)) }
}

@Suite("model summary")
struct ModelSummaryTests {
    /// (path, type, output, parameters, trainable) of every row.
    static func rows(_ s: ModelSummary) -> [String] {
        s.layers.map { "\($0.path) \($0.type) \($0.outputType?.description ?? "-") \($0.parameters) \($0.trainable)" }
    }

    @Test("the CNN: output types by the convolution and pooling formulas, parameters by the layer sizes")
    func cnn() throws {
        let summary = try ModelZoo.fashionCNN(seed: 1).summary(input: TensorType(.f32, [8, 1, 28, 28]))
        // conv k3 p1 keeps 28 (28 + 2 - 3 + 1), pool 2 halves; a conv has out*in*k*k + out parameters, a linear in*out + out.
        let (c1, c2) = (32 * 1 * 9 + 32, 64 * 32 * 9 + 64)
        let (l1, l2) = (64 * 7 * 7 * 128 + 128, 128 * 10 + 10)
        #expect(Self.rows(summary) == [
            "layers.0 Conv2D f32[8,32,28,28] \(c1) \(c1)", "layers.1 Activation f32[8,32,28,28] 0 0", "layers.2 MaxPool2D f32[8,32,14,14] 0 0",
            "layers.3 Conv2D f32[8,64,14,14] \(c2) \(c2)", "layers.4 Activation f32[8,64,14,14] 0 0", "layers.5 MaxPool2D f32[8,64,7,7] 0 0",
            "layers.6 Flatten f32[8,3136] 0 0", "layers.7 Linear f32[8,128] \(l1) \(l1)", "layers.8 Activation f32[8,128] 0 0",
            "layers.9 Linear f32[8,10] \(l2) \(l2)",
        ])
        #expect(summary.totalParameters == c1 + c2 + l1 + l2 && summary.totalParameters == 421_642)
        #expect(summary.trainableParameters == summary.totalParameters && summary.parameterBytes == 4 * 421_642)
        #expect(summary.outputType == TensorType(.f32, [8, 10]) && summary.trainingStepArenaBytes == nil)
        #expect(summary.description.contains("\nparameters: 421,642 (421,642 trainable, 0 non-trainable), 1.6 MiB\n"))
    }

    @Test("modules inside a non-Sequential module are listed under their paths, buffers counted as not trainable")
    func nestedModules() throws {
        let model = Sequential(try Linear(3, 8, seed: 1),
                               Residual(Sequential(try Linear(8, 8, seed: 2), Activation(relu), try Linear(8, 8, seed: 3)), try BatchNorm(8)),
                               try Linear(8, 2, seed: 4))
        let summary = try model.summary(input: TensorType(.f32, [4, 3]))
        // BatchNorm(8): scale and shift (8 each, trained), running mean and variance (8 each, buffers).
        #expect(Self.rows(summary) == [
            "layers.0 Linear f32[4,8] 32 32",
            "layers.1 Residual f32[4,8] \(72 + 72 + 32) \(72 + 72 + 16)",
            "layers.1.body Sequential - 144 144", "layers.1.body.layers.0 Linear - 72 72", "layers.1.body.layers.1 Activation - 0 0",
            "layers.1.body.layers.2 Linear - 72 72", "layers.1.norm BatchNorm - 32 16",
            "layers.2 Linear f32[4,2] 18 18",
        ])
        #expect(summary.totalParameters == 32 + 176 + 18 && summary.trainableParameters == 32 + 160 + 18)
        // The paths are those of namedParameters: every parameter lies under the row of its module.
        for (name, _) in model.namedParameters {
            let owner = summary.layers.filter { name.hasPrefix($0.path + ".") }.max { $0.path.count < $1.path.count }
            #expect(owner != nil && name.dropFirst((owner?.path.count ?? 0) + 1).contains(".") == false, "\(name)")
        }
        #expect(summary.description.contains("\nlayers.1.body.layers.1  Activation  -         "), "\(summary)")
    }

    @Test("the arenas are the memory planner's: the forward pass's and the compiled training step's")
    func arenas() throws {
        let model = try ModelZoo.fashionMLP(seed: 3)
        let input = TensorType(.f32, [16, 784])
        let trainer = try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: SGD(lr: 0.1),
                                  inputType: input, labelType: TensorType(.i32, [16]))
        let summary = try model.summary(input: input, step: trainer.compiledStep)
        #expect(summary.trainingStepArenaBytes == trainer.compiledStep?.compiled.arenaPeakBytes)
        var forward = try trace(name: "forward", inputs: [("x", input)]) { [try model($0[0])] }.function
        _ = try PassPipeline.standard().run(on: &forward)
        let planned = try emitC(forward).plan.peakBytes
        #expect(summary.forwardArenaBytes == planned)
        #expect(summary.forwardArenaBytes > 0 && summary.forwardArenaBytes < (summary.trainingStepArenaBytes ?? 0))
    }
}

@Suite("docs/ecosystem.md")
struct EcosystemDocumentationTests {
    @Test("the summary shown is the real one (the arena line but for its numbers)")
    func summaryExample() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/ecosystem.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        guard let start = text.range(of: "```text\nmodel on "), let end = text.range(of: "\n```", range: start.upperBound..<text.endIndex) else {
            Issue.record("no summary block in docs/ecosystem.md")
            return
        }
        let shown = text[text.index(start.lowerBound, offsetBy: 8)..<end.lowerBound].split(separator: "\n").map(String.init)
        let real = try ModelZoo.fashionMLP().summary(input: TensorType(.f32, [64, 784])).description.split(separator: "\n").map(String.init)
        #expect(shown.dropLast() == real.dropLast())
        #expect(shown.last?.hasPrefix("arena: forward ") == true && shown.last?.contains(", training step ") == true)
    }
}
