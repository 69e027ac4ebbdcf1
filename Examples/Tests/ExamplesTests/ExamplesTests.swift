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
        #expect(try r.value("cross_entropy_after") < r.value("cross_entropy_before") / 3)   // the true labels, mixed in
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

    @Test func gan() throws {
        let out = try temporaryOutputDirectory("gan")
        let r = try runExample("gan", outputDirectory: out)
        for key in ["d_loss_first", "g_loss_first", "d_loss_last", "g_loss_last"] { #expect(try r.value(key).isFinite, "\(key)") }
        #expect(try r.value("d_accuracy_after") > 0.7)        // held-out real vs fresh fakes: off chance (0.5)
        #expect(try r.value("mean_distance_after") < r.value("mean_distance_before") * 0.7)   // fakes' mean image nears the data's
        for name in ["gan-before.png", "gan-after.png"] { #expect(try pngSize(out + "/" + name) == (8 * 29 - 1, 4 * 29 - 1)) }
    }

    @Test func vae() throws {
        let out = try temporaryOutputDirectory("vae")
        let r = try runExample("vae", outputDirectory: out)
        #expect(try r.value("elbo_loss_after") < r.value("elbo_loss_before") / 1.6)   // test set; at init BCE is ~784 log 2
        #expect(try r.value("reconstruction_mse_after") < r.value("mean_image_mse") / 2)  // far better than the mean image
        #expect(try r.value("kl_last") > 0)
        #expect(try pngSize(out + "/vae-reconstructions.png") == (8 * 29 - 1, 4 * 29 - 1))  // 16 original / reconstruction pairs
        #expect(try pngSize(out + "/vae-samples.png") == (8 * 29 - 1, 4 * 29 - 1))
    }
}
