import Kiln
import KilnCodegen
import KilnIR
import KilnPasses
import Testing

/// Fusion on a whole training step: an MLP's forward, backward and Adam update.
@Suite struct FusionTrainingTests {
    @Test func fusionAtLeastHalvesTheKernelsOfAnMLPTrainingStep() throws {
        let model = try ModelZoo.mlp([12, 16, 4])
        let step = try TrainingStep(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.01),
                                    inputType: TensorType(.f32, [8, 12]), labelType: TensorType(.i32, [8]))
        var unfused = step.function, fused = step.function
        _ = try PassPipeline(parsing: "fold,simplify,cse,dce").run(on: &unfused)
        _ = try PassPipeline.standard().run(on: &fused)
        let before = kernelCount(of: unfused), after = kernelCount(of: fused)
        #expect(after * 2 <= before, "kernels: \(before) -> \(after)")
        #expect(fused.body.contains { if case .fused = $0.op { return true } else { return false } })
        #expect(try emitC(fused).plan.peakBytes < emitC(unfused).plan.peakBytes)
    }
}
