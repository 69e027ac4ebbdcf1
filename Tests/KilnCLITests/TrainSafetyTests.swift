import Foundation
import Testing
import Kiln
import KilnRuntime

/// `kiln train` on diverging runs, bad checkpoints and bad flags: exit 1 with a message naming
/// the flag or the file, and the last good checkpoint kept.
@Suite("kiln train safety")
struct TrainSafetyTests {
    static let fixture = TrainCommandTests.fixture

    /// `kiln train` on the fixture, two examples per step (three steps per epoch).
    func train(_ w: Workspace, _ flags: [String]) throws -> Outcome {
        try w.kiln(["train", "--data", Self.fixture, "--batch-size", "2"] + flags)
    }

    /// The reproducer: `--optimizer sgd --lr 1e6` used to train on to NaN, exit 0 and save NaN
    /// weights over the last good checkpoint.
    @Test("a run diverging to NaN stops with exit 1 and keeps the last good checkpoint")
    func divergingRun() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors")
        let good = try train(w, ["--optimizer", "sgd", "--epochs", "1", "--checkpoint", checkpoint])
        #expect(good.status == 0, "\(good.stderr)")
        let saved = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        for numerics in [false, true] {
            try saved.write(to: URL(fileURLWithPath: checkpoint))
            let diverged = try train(w, ["--optimizer", "sgd", "--lr", "1e6", "--epochs", "20", "--resume", checkpoint, "--checkpoint", checkpoint]
                                     + (numerics ? ["--check-numerics"] : []))
            #expect(diverged.status == 1)
            #expect(diverged.stderr.hasPrefix("error: the loss became nan at step "), "\(diverged.stderr)")
            #expect(diverged.stderr.contains("\ncheck numerics: instruction ") == numerics, "\(diverged.stderr)")
            if numerics {
                #expect(!diverged.stderr.contains("Kiln/"), "the built-in models have no user line to name: \(diverged.stderr)")
                #expect(diverged.stderr.contains("\n  nearest parameters: layers."), "\(diverged.stderr)")
            }
            // Epochs that ended with a finite loss were saved; the checkpoint is the last of them.
            let finished = diverged.stdout.components(separatedBy: "test accuracy").count - 1
            #expect(finished < 19, "\(diverged.stdout)")
            let (tensors, metadata) = try loadCheckpoint(path: checkpoint)
            #expect(metadata["epoch"] == String(1 + finished))
            #expect(tensors.values.allSatisfy { $0.nonFiniteElements == nil })
            if finished == 0 { #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == saved) }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: w.url.path).filter { !$0.hasPrefix(".") }
        #expect(files == ["ck.safetensors"])
    }

    /// Each writer is killed while its temporary file exists (a write is under way); the next
    /// writer removes it before writing its own, so there is never more than one.
    @Test("kill -9 during checkpoint writes leaves at most one temporary file and never a torn checkpoint")
    func killedWriters() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors")
        func temporaries() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: w.url.path).filter { $0.hasPrefix("ck.safetensors.tmp-") }
        }
        #expect(try train(w, ["--epochs", "1", "--checkpoint", checkpoint]).status == 0)
        var caughtWriting = 0
        for _ in 0..<3 {
            let writer = try w.startKiln(["train", "--data", Self.fixture, "--batch-size", "2", "--epochs", "1000000", "--checkpoint", checkpoint])
            let own = "ck.safetensors.tmp-\(writer.processIdentifier)-"
            let deadline = Date().addingTimeInterval(60)
            var writing = false
            while !writing && writer.isRunning && Date() < deadline {
                writing = try temporaries().contains { $0.hasPrefix(own) }
                if !writing { usleep(200) }
            }
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            if writing { caughtWriting += 1 }
            let left = try temporaries()
            #expect(left.count <= 1, "\(left)")
            #expect(try loadCheckpoint(path: checkpoint).metadata["model"] == "mlp")
        }
        #expect(caughtWriting > 0, "no kill landed during a write")
        #expect(try train(w, ["--epochs", "1", "--checkpoint", checkpoint]).status == 0)
        #expect(try temporaries().isEmpty)
    }

    @Test("resuming names the checkpoint's epochs: fewer --epochs is an error, as many is nothing to do")
    func resumeEpochs() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors")
        #expect(try train(w, ["--epochs", "2", "--checkpoint", checkpoint]).status == 0)
        let fewer = try train(w, ["--epochs", "1", "--resume", checkpoint])
        #expect(fewer.status == 1)
        #expect(fewer.stderr == "error: checkpoint '\(checkpoint)' has done 2 epochs, more than --epochs 1; ask for more epochs to train further\n")
        let same = try train(w, ["--epochs", "2", "--resume", checkpoint])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.contains("checkpoint \(checkpoint) has done all 2 epochs: nothing to do"), "\(same.stdout)")
        #expect(!same.stdout.contains("test loss"))
    }

    @Test("checkpoint metadata out of range and non-finite values are errors naming the file")
    func badCheckpoints() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors")
        #expect(try train(w, ["--epochs", "1", "--checkpoint", checkpoint]).status == 0)
        let (tensors, metadata) = try loadCheckpoint(path: checkpoint)
        let sorted = tensors.sorted { $0.key < $1.key }
        let crafted = w.path("crafted.safetensors")
        for (key, value, message) in [
            ("epoch", "99999999999999999999", "has epoch \"99999999999999999999\" in its metadata; an epoch count is a whole number in 0...1000000"),
            ("step", "9223372036854775807", "has step \"9223372036854775807\" in its metadata; a step count is a whole number in 0...9007199254740992"),
        ] {
            var changed = metadata
            changed[key] = value
            try saveCheckpoint(sorted, metadata: changed, path: crafted)
            let resumed = try train(w, ["--epochs", "3", "--resume", crafted])
            #expect(resumed.status == 1)
            #expect(resumed.stderr == "error: checkpoint '\(crafted)' \(message)\n", "\(resumed.stderr)")
        }

        let weights = try #require(tensors["model.layers.0.weight"])
        weights[5] = .float(.nan)
        try saveCheckpoint(sorted, metadata: metadata, path: crafted, allowNonFinite: true)
        let refused = try train(w, ["--epochs", "3", "--resume", crafted])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("checkpoint '\(crafted)': tensor 'model.layers.0.weight' holds nan at element 5"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-non-finite"))
        let allowed = try train(w, ["--epochs", "3", "--resume", crafted, "--allow-non-finite"])
        #expect(allowed.stdout.contains("resumed from \(crafted)"), "\(allowed.stderr)")
        #expect(allowed.status == 1 && allowed.stderr.hasPrefix("error: the loss became nan"), "\(allowed.stdout) \(allowed.stderr)")

        let start = Date()
        let zero = try train(w, ["--resume", "/dev/zero"])
        #expect(zero.status == 1 && zero.stderr == "error: /dev/zero: malformed JSON header: unexpected end of JSON at byte 0\n")
        #expect(Date().timeIntervalSince(start) < 60)
    }

    @Test("an unwritable --checkpoint is reported before training")
    func unwritableCheckpoint() throws {
        let w = try Workspace()
        let missing = w.path("no/such/dir/ck.safetensors")
        let outcome = try train(w, ["--epochs", "1", "--checkpoint", missing])
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "error: --checkpoint: cannot write checkpoint '\(missing)': No such file or directory; create its directory or choose another path\n")
        #expect(outcome.stdout.isEmpty)
        let directory = try train(w, ["--epochs", "1", "--checkpoint", w.url.path])
        #expect(directory.status == 1 && directory.stderr.contains("it is a directory") && directory.stdout.isEmpty)
    }

    @Test("numeric flags take negative values and are checked against their range", arguments: [
        (["train", "--lr", "-1"], "--lr must be positive and finite, got -1.0"),
        (["train", "--lr=inf"], "--lr must be positive and finite, got inf"),
        (["train", "--lr", "0"], "--lr must be positive and finite, got 0.0"),
        (["train", "--weight-decay", "nan"], "--weight-decay must be zero or positive and finite, got nan"),
        (["train", "--weight-decay", "-0.5"], "--weight-decay must be zero or positive and finite, got -0.5"),
        (["train", "--clip-norm", "-1"], "--clip-norm must be positive and finite, got -1.0"),
        (["train", "--clip-norm", "inf"], "--clip-norm must be positive and finite, got inf"),
        (["train", "--patience", "-1"], "--patience must be at least 1, got -1"),
        (["train", "--batch-size", "-3"], "--batch-size must be at least 1, got -3"),
        (["train", "--epochs", "9223372036854775807"], "--epochs must be in 1...1000000, got 9223372036854775807"),
        (["train", "--epochs", "-2"], "--epochs must be in 1...1000000, got -2"),
        (["train", "--limit", "-5"], "--limit must be at least --batch-size (64), got -5"),
        (["bench", "--steps", "-1"], "--steps must be at least 2, got -1"),
        (["bench", "--eager-steps", "0"], "--eager-steps must be at least 1, got 0"),
    ])
    func numericFlags(arguments: [String], message: String) throws {
        let outcome = try Workspace().kiln(arguments)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("Error: \(message)\n"), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }
}
