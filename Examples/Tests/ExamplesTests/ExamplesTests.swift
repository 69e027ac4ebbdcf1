import Foundation
import Testing

/// Every example, run with `--small`, shows what it is for: the loss falls by a stated factor,
/// accuracy clears a stated floor, frozen weights stay bit-identical, pictures are written.
@Suite(.serialized) struct ExamplesTests {
    @Test func linearRegression() throws {
        let r = try runExample("linear-regression")
        #expect(r["sgd_loss_after"]! < r["sgd_loss_before"]! / 20)
        #expect(r["gd_loss_after"]! < r["gd_loss_before"]! / 100)
        #expect(r["gd_weight_error"]! < 0.05)      // full-batch GD finds w = (3, -2), b = 0.5
    }

    @Test func mlp() throws {
        let r = try runExample("mlp")
        #expect(r["loss_after"]! < r["loss_before"]! / 5)
        #expect(r["accuracy"]! > 0.95)
        #expect(r["best_epoch"]! >= 1 && r["best_epoch"]! <= r["epochs"]!)
    }

    @Test func fashionMNIST() throws {
        let out = try temporaryOutputDirectory("fashion-mnist")
        let r = try runExample("fashion-mnist", outputDirectory: out)
        #expect(r["loss_after"]! < r["loss_before"]! / 3)
        #expect(r["accuracy"]! > 0.7)
        let shown = min(16, Int(r["wrong_of_first_100"]!)), columns = min(8, shown)
        let size = try pngSize(out + "/fashion-mnist-wrong.png")
        #expect(size == (columns * 29 - 1, (shown + columns - 1) / columns * 29 - 1))   // 28x28 tiles, 1-pixel gaps
    }

    @Test func cnn() throws {
        let out = try temporaryOutputDirectory("cnn")
        let r = try runExample("cnn", outputDirectory: out)
        #expect(r["loss_after"]! < r["loss_before"]! / 3)
        #expect(r["accuracy"]! > 0.65)
        #expect(try pngSize(out + "/cnn-filters.png") == (8 * 4 - 1, 3))
    }

    @Test func charLSTM() throws {
        let r = try runExample("char-lstm")
        #expect(r["loss_after"]! < r["loss_before"]! / 2)
        #expect(r["sampled_characters"]! == 80)
    }

    @Test func distillation() throws {
        let r = try runExample("distillation")
        #expect(r["loss_after"]! < r["loss_before"]! / 10)
        #expect(r["teacher_accuracy"]! > 0.7)
        #expect(r["accuracy"]! > 0.65)
        #expect(r["teacher_max_abs_change"]! == 0)
    }

    @Test func transferLearning() throws {
        let r = try runExample("transfer-learning")
        #expect(r["frozen_max_abs_change"]! == 0)
        #expect(r["pretrain_accuracy"]! > 0.7)
        #expect(r["loss_after"]! < r["loss_before"]! / 2)
        #expect(r["accuracy"]! > 0.7)
    }

    @Test func saliency() throws {
        let out = try temporaryOutputDirectory("saliency")
        let r = try runExample("saliency", outputDirectory: out)
        #expect(r["loss_after"]! < r["loss_before"]! / 2)
        #expect(r["accuracy"]! > 0.7)
        #expect(r["completeness_error"]! < 0.05)   // integrated gradients add up to the score's change
        #expect(try pngSize(out + "/saliency.png") == (3 * 29 - 1, Int(r["images"]!) * 29 - 1))
    }

    @Test func transformer() throws {
        let r = try runExample("transformer")
        #expect(r["loss_after"]! < r["loss_before"]! / 10)
        #expect(r["token_accuracy"]! > 0.9)
    }

    @Test func optimizers() throws {
        let r = try runExample("optimizers")
        for name in ["rmsprop_linear", "rmsprop_exponential", "adagrad_linear", "adagrad_exponential"] {
            #expect(r[name + "_loss_after"]! < r[name + "_loss_before"]! / 10, "\(name)")
        }
    }
}
