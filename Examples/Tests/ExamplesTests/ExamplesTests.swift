import Foundation
import Testing

/// Every example, run with `--small`, shows what it is for: the loss falls by a stated factor,
/// accuracy clears a stated floor, frozen weights stay bit-identical, pictures are written.
@Suite(.serialized) struct ExamplesTests {
    @Test func linearRegression() throws {
        let r = try runExample("linear-regression")
        #expect(try r.value("sgd_loss_after") < r.value("sgd_loss_before") / 20)
        #expect(try r.value("gd_loss_after") < r.value("gd_loss_before") / 100)
        #expect(try r.value("gd_weight_error") < 0.05)      // full-batch GD finds w = (3, -2), b = 0.5
    }

    @Test func mlp() throws {
        let r = try runExample("mlp")
        #expect(try r.value("loss_after") < r.value("loss_before") / 5)
        #expect(try r.value("accuracy") > 0.95)
        #expect(try r.value("best_epoch") >= 1 && r.value("best_epoch") <= r.value("epochs"))
    }

    @Test func fashionMNIST() throws {
        let out = try temporaryOutputDirectory("fashion-mnist")
        let r = try runExample("fashion-mnist", outputDirectory: out)
        #expect(try r.value("loss_after") < r.value("loss_before") / 3)
        #expect(try r.value("accuracy") > 0.7)
        let shown = try min(16, Int(r.value("wrong_of_first_100"))), columns = min(8, shown)
        let size = try pngSize(out + "/fashion-mnist-wrong.png")
        #expect(size == (columns * 29 - 1, (shown + columns - 1) / columns * 29 - 1))   // 28x28 tiles, 1-pixel gaps
    }

    @Test func cnn() throws {
        let out = try temporaryOutputDirectory("cnn")
        let r = try runExample("cnn", outputDirectory: out)
        #expect(try r.value("loss_after") < r.value("loss_before") / 3)
        #expect(try r.value("accuracy") > 0.65)
        #expect(try pngSize(out + "/cnn-filters.png") == (8 * 4 - 1, 3))
    }

    @Test func charLSTM() throws {
        let r = try runExample("char-lstm")
        #expect(try r.value("loss_after") < r.value("loss_before") / 2)
        #expect(try r.value("sampled_characters") == 80)
    }

    @Test func distillation() throws {
        let r = try runExample("distillation")
        #expect(try r.value("loss_after") < r.value("loss_before") / 10)
        #expect(try r.value("teacher_accuracy") > 0.7)
        #expect(try r.value("accuracy") > 0.65)
        #expect(try r.value("teacher_max_abs_change") == 0)
    }

    @Test func transferLearning() throws {
        let r = try runExample("transfer-learning")
        #expect(try r.value("frozen_max_abs_change") == 0)
        #expect(try r.value("pretrain_accuracy") > 0.7)
        #expect(try r.value("loss_after") < r.value("loss_before") / 2)
        #expect(try r.value("accuracy") > 0.7)
    }

    @Test func saliency() throws {
        let out = try temporaryOutputDirectory("saliency")
        let r = try runExample("saliency", outputDirectory: out)
        #expect(try r.value("loss_after") < r.value("loss_before") / 2)
        #expect(try r.value("accuracy") > 0.7)
        #expect(try r.value("completeness_error") < 0.05)   // integrated gradients add up to the score's change
        #expect(try pngSize(out + "/saliency.png") == (3 * 29 - 1, Int(r.value("images")) * 29 - 1))
    }

    @Test func transformer() throws {
        let r = try runExample("transformer")
        #expect(try r.value("loss_after") < r.value("loss_before") / 10)
        #expect(try r.value("token_accuracy") > 0.9)
    }

    @Test func optimizers() throws {
        let r = try runExample("optimizers")
        for name in ["rmsprop_linear", "rmsprop_exponential", "adagrad_linear", "adagrad_exponential"] {
            #expect(try r.value(name + "_loss_after") < r.value(name + "_loss_before") / 10, "\(name)")
        }
    }
}
