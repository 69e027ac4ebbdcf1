import Foundation
import KilnTestSupport
import Testing

/// `kiln train --log-dir` (TensorBoard event files) and the model summary it prints at start.
@Suite("kiln train --log-dir and the model summary")
struct TrainLogTests {
    static let fixture = TrainCommandTests.fixture

    /// The scalars of the one event file in `directory`: (step, tag, value), in file order.
    static func scalars(in directory: String) throws -> [(step: Int64, tag: String, value: Float)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(files.count == 1, "\(files)")
        let events = try decodeTensorBoardEvents(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + files[0]))))
        #expect(events.first?.fileVersion == "brain.Event:2")
        return events.flatMap { event in event.scalars.map { (event.step, $0.tag, $0.value) } }
    }

    /// The numbers printed after `prefix` on the lines that have it, e.g. "test loss ".
    static func printed(_ stdout: String, after prefix: String) -> [Double] {
        stdout.components(separatedBy: prefix).dropFirst().compactMap { Double($0.prefix { "0123456789.".contains($0) }) }
    }

    @Test("the run's losses, learning rates and test metrics are logged at the trainer's steps, across a resume")
    func logsTheRun() throws {
        let w = try Workspace()
        let checkpoint = w.path("ck.safetensors")
        let flags = ["train", "--data", Self.fixture, "--batch-size", "2", "--log-every", "2", "--checkpoint", checkpoint]
        let first = try w.kiln(flags + ["--epochs", "2", "--log-dir", "runs/a"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\nlogging to runs/a/events.out.tfevents."), "\(first.stdout)")
        let logged = try Self.scalars(in: w.path("runs/a"))
        // Three steps an epoch, logged at every second step: steps 2, 4 and 6; test metrics after 3 and 6.
        #expect(logged.map { "\($0.step) \($0.tag)" } == [
            "2 train/loss", "2 train/learning_rate", "2 train/steps_per_second", "3 test/loss", "3 test/accuracy",
            "4 train/loss", "4 train/learning_rate", "4 train/steps_per_second",
            "6 train/loss", "6 train/learning_rate", "6 train/steps_per_second", "6 test/loss", "6 test/accuracy",
        ])
        // What kiln printed, to its 4 and 2 decimals.
        let tests = logged.filter { $0.tag.hasPrefix("test/") }.map { Double($0.value) }
        let losses = Self.printed(first.stdout, after: "test loss "), accuracies = Self.printed(first.stdout, after: "test accuracy ")
        #expect(losses.count == 2 && accuracies.count == 2)
        for (k, (loss, accuracy)) in zip(losses, accuracies).enumerated() {
            #expect(abs(tests[2 * k] - loss) <= 0.00005 && abs(100 * tests[2 * k + 1] - accuracy) <= 0.005, "\(tests) \(losses) \(accuracies)")
        }
        // The default schedule, cosine from --lr 0.001 to a tenth of it over the run's 6 steps, computed here in
        // double: the run computes it in f32, so within 1e-6 relative.
        for (step, tag, value) in logged where tag == "train/learning_rate" {
            let expected = (cos(Double.pi * Double(step) / 6) + 1) * 0.5 * (0.001 - 0.0001) + 0.0001
            #expect(abs(Double(value) - expected) <= 1e-6 * expected, "step \(step): \(value) vs \(expected)")
        }
        #expect(logged.filter { $0.tag == "train/steps_per_second" }.allSatisfy { $0.value > 0 && $0.value.isFinite })

        // Resumed for a third epoch into another log: its steps go on from the checkpoint's.
        let resumed = try w.kiln(flags + ["--epochs", "3", "--resume", checkpoint, "--log-dir", "runs/b"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.scalars(in: w.path("runs/b")).map { "\($0.step) \($0.tag)" } == [
            "8 train/loss", "8 train/learning_rate", "8 train/steps_per_second", "9 test/loss", "9 test/accuracy",
        ])
    }

    @Test("kiln train prints the model summary: layers, output types, parameter counts and arenas")
    func printsTheSummary() throws {
        let w = try Workspace()
        let run = try w.kiln(["train", "--data", Self.fixture, "--batch-size", "2", "--epochs", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        // 784-256-128-10: weights and biases, 784*256 + 256 = 200,960, 256*128 + 128 = 32,896, 128*10 + 10 = 1,290.
        #expect(run.stdout.contains("""
            model on f32[2,784] -> f32[2,10]
            layer     type        output      parameters  trainable
            -------------------------------------------------------
            layers.0  Linear      f32[2,256]     200,960    200,960
            layers.1  Activation  f32[2,256]           0          0
            layers.2  Linear      f32[2,128]      32,896     32,896
            layers.3  Activation  f32[2,128]           0          0
            layers.4  Linear      f32[2,10]        1,290      1,290
            -------------------------------------------------------
            parameters: 235,146 (235,146 trainable, 0 non-trainable), 918.5 KiB
            arena: forward
            """), "\(run.stdout)")
        // The training step's arena is the one the compile line reports (in whole KiB there; in KiB
        // or MiB to a tenth here).
        let kib = Self.printed(run.stdout, after: "arena ").first ?? -1, summary = Self.printed(run.stdout, after: ", training step ").first ?? -1
        let inMiB = run.stdout.contains(" MiB\n"), inKiB = run.stdout.contains(" KiB\nepoch 1/1")
        #expect(inMiB || inKiB, "\(run.stdout)")
        let summaryKiB = inMiB ? summary * 1024 : summary
        #expect(abs(summaryKiB - kib) < (inMiB ? 52 : 1.05), "\(summary) \(inMiB ? "MiB" : "KiB") vs \(kib) KiB")
    }

    @Test("bad --log-every and an unwritable --log-dir are errors naming the flag")
    func errors() throws {
        let w = try Workspace()
        let every = try w.kiln(["train", "--data", Self.fixture, "--log-every", "0"])
        #expect(every.status == 1 && every.stderr.contains("--log-every must be at least 1, got 0"), "\(every.stderr)")
        let file = try w.write("file", "")
        let blocked = try w.kiln(["train", "--data", Self.fixture, "--batch-size", "2", "--epochs", "1", "--log-dir", file + "/run"])
        #expect(blocked.status == 1 && blocked.stderr.contains("error: --log-dir: cannot create directory '\(file)/run'"), "\(blocked.stderr)")
    }
}
