import Foundation
import Testing
import KilnRuntime

/// `kiln train` on the miniature Fashion-MNIST fixture (6 training and 4 test images).
@Suite("kiln train")
struct TrainCommandTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KilnTests/Fixtures/fashion").path

    @Test("trains compiled and eager, checkpoints, resumes and dumps the IR")
    func trainsCheckpointsAndResumes() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors"), dump = w.path("ir")
        for model in ["mlp", "cnn"] {
            let first = try w.kiln(["train", "--model", model, "--data", Self.fixture, "--batch-size", "2", "--epochs", "2",
                                    "--checkpoint", checkpoint, "--dump-ir", dump])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("compiled the training step in"))
            #expect(first.stdout.contains("epoch 2: test loss"), "\(first.stdout)")
            #expect(first.stdout.contains("test accuracy"))
            for file in ["forward.kir", "gradient.kir", "train_step.kir", "train_step.optimized.kir", "train_step.c"] {
                #expect(FileManager.default.fileExists(atPath: dump + "/" + file), "\(model): \(file)")
            }
            let verified = try w.kiln(["verify", dump + "/train_step.optimized.kir"])
            #expect(verified.status == 0 && verified.stdout == "ok: 1 function\n", "\(verified.stderr)")
            let resumed = try w.kiln(["train", "--model", model, "--data", Self.fixture, "--batch-size", "2", "--epochs", "3",
                                      "--resume", checkpoint])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.contains("resumed from \(checkpoint) at epoch 3, step 6"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains("epoch 3: test loss") && !resumed.stdout.contains("epoch 2: test loss"))
        }
        let eager = try w.kiln(["train", "--eager", "--data", Self.fixture, "--batch-size", "3", "--epochs", "1", "--optimizer", "sgd"])
        #expect(eager.status == 0 && eager.stdout.contains("eager") && eager.stdout.contains("epoch 1: test loss"), "\(eager.stderr)")
    }

    @Test("missing data and bad flags are user errors with the fix")
    func errors() throws {
        let w = try Workspace()
        let missing = try w.kiln(["train", "--data", w.path("nowhere")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("apt-get install dataset-fashion-mnist"), "\(missing.stderr)")
        #expect(missing.stderr.contains("--data: ") && missing.stderr.contains("pass --data DIR"), "\(missing.stderr)")
        let mismatched = try w.kiln(["train", "--model", "mlp", "--data", Self.fixture, "--batch-size", "2", "--epochs", "1",
                                     "--checkpoint", w.path("mlp.safetensors")])
        #expect(mismatched.status == 0)
        let wrongModel = try w.kiln(["train", "--model", "cnn", "--data", Self.fixture, "--batch-size", "2", "--resume", w.path("mlp.safetensors")])
        #expect(wrongModel.status == 1 && wrongModel.stderr.contains(#"has model = "mlp" in its metadata, but this run has model = "cnn""#),
                "\(wrongModel.stderr)")
        for flags in [["--batch-size", "0"], ["--epochs", "0"], ["--lr", "-1"], ["--model", "rnn"], ["--optimizer", "lbfgs"]] {
            let bad = try w.kiln(["train"] + flags)
            #expect(bad.status == 1, "\(flags)")
        }
    }
}
