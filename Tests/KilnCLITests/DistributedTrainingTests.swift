import Foundation
import KilnFormats
import KilnRuntime
import Testing

/// `mpirun`, when Open MPI is installed (`openmpi-bin`).
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `mpirun --allow-run-as-root --oversubscribe` with `arguments` (`-n 2 <kiln> train ...`).
private func mpirun(_ w: Workspace, _ arguments: [String]) throws -> Outcome {
    try w.run(mpirunPath ?? "mpirun", ["--allow-run-as-root", "--oversubscribe"] + arguments)
}

/// The tensors of a checkpoint, by name.
private func tensors(_ path: String) throws -> [String: HostTensor] {
    Dictionary(uniqueKeysWithValues: try readSafetensors(path: path).tensors)
}

/// Data-parallel `kiln train` under mpirun (docs/distributed.md), on the miniature Fashion-MNIST
/// fixture (6 training images). Skipped when mpirun is not installed.
@Suite(.enabled(if: mpirunPath != nil, "mpirun not found: install openmpi-bin libopenmpi-dev to run the distributed tests"))
struct DistributedTrainingTests {
    static let fixture = TrainCommandTests.fixture

    /// Without Open MPI's library, asking for distributed training is an error naming the packages.
    @Test func missingOpenMPIIsAnErrorNamingThePackages() throws {
        let w = try Workspace()
        let process = try w.run("/usr/bin/env", ["KILN_MPI_LIBRARY=libmpi-missing.so.40", kilnBinary.path, "train", "--distributed",
                                                 "--data", Self.fixture, "--epochs", "1"])
        #expect(process.status == 1)
        #expect(process.stderr.contains("--distributed: distributed training needs Open MPI, but libmpi-missing.so.40 could not be loaded")
                && process.stderr.contains("apt-get install openmpi-bin libopenmpi-dev"), "\(process.stderr)")
    }

    /// K = 6 steps (2 epochs of 3) with 2 ranks x 1 row give the parameters and optimizer state
    /// of 6 steps with 1 rank x 2 rows over the same rows. Tolerance: |a - b| <= 1e-4 (1 + |b|)
    /// per element, since the two sum the batch's gradient in another order (measured here:
    /// 4e-8 for the MLP, 9e-6 for the CNN). Summing instead of averaging would double every
    /// momentum update of the CNN, far beyond the bound. Both with one flat all-reduce and with
    /// 4 KiB buckets, started during the backward pass.
    @Test(arguments: [("mlp", "adam"), ("cnn", "momentum")], ["flat", "buckets:4096"])
    func twoRanksMatchOneRankWithTheDoubleBatch(setup: (model: String, optimizer: String), fusion: String) throws {
        let (model, optimizer) = setup
        let w = try Workspace()
        let common = ["train", "--model", model, "--optimizer", optimizer, "--data", Self.fixture, "--epochs", "2", "--seed", "3",
                      "--gradient-fusion", fusion]
        let one = try w.kiln(common + ["--batch-size", "2", "--checkpoint", w.path("one.safetensors")])
        #expect(one.status == 0, "\(one.stderr)")
        let two = try mpirun(w, ["-n", "2", kilnBinary.path] + common + ["--batch-size", "1", "--checkpoint", w.path("two.safetensors")])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stdout.contains("2 ranks x 1 rows per step") && two.stdout.contains("epoch 2: test loss"), "\(two.stdout)")
        // Rank 0 alone prints.
        #expect(two.stdout.components(separatedBy: "epoch 2: test loss").count == 2, "\(two.stdout)")
        let (a, b) = (try tensors(w.path("two.safetensors")), try tensors(w.path("one.safetensors")))
        #expect(Set(a.keys) == Set(b.keys) && !a.isEmpty)
        var worst = 0.0
        for (name, t) in a {
            guard let r = b[name], r.type == t.type else { Issue.record("\(name) differs in type"); continue }
            for i in 0..<t.count {
                let (x, y) = (t[i].asDouble, r[i].asDouble)
                worst = max(worst, abs(x - y) / (1 + abs(y)))
            }
        }
        print("\(model) \(optimizer) \(fusion): largest difference 2 ranks x 1 vs 1 rank x 2 after 6 steps: \(worst) (relative to 1 + |value|)")
        #expect(worst <= 1e-4, "\(model) \(fusion): largest difference \(worst)")
        // The checkpoint of rank 0 resumes on one rank and on two.
        for (launch, epochs) in [([kilnBinary.path], "3"), (["-n", "2", kilnBinary.path], "4")] {
            let resumed = launch.count == 1
                ? try w.kiln(common.map { $0 == "2" ? epochs : $0 } + ["--batch-size", "1", "--resume", w.path("two.safetensors"), "--checkpoint", w.path("two.safetensors")])
                : try mpirun(w, launch + common.map { $0 == "2" ? epochs : $0 } + ["--batch-size", "1", "--resume", w.path("two.safetensors"),
                                                                                  "--checkpoint", w.path("two.safetensors")])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.contains("epoch \(epochs): test loss"), "\(resumed.stdout)")
        }
    }

    /// Ranks that traced different steps (here: other batch sizes) stop at start, naming the line.
    @Test func ranksWithDifferentStepsFailNamingTheDifference() throws {
        let w = try Workspace()
        let train = [kilnBinary.path, "train", "--data", Self.fixture, "--epochs", "1"]
        let outcome = try mpirun(w, ["-n", "1"] + train + ["--batch-size", "1", ":", "-n", "1"] + train + ["--batch-size", "2", "--distributed"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("rank 1 traced another training step than rank 0: line 1 is `func @train_step(%x: f32[1,784]"),
                "\(outcome.stderr)")
        #expect(outcome.stderr.contains("f32[2,784]"), "\(outcome.stderr)")
    }

    /// A rank killed mid-run makes mpirun end the others and exit non-zero within 10 s.
    @Test func aDeadRankEndsTheJobWithinTenSeconds() throws {
        let w = try Workspace()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirunPath ?? "mpirun")
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-n", "2", kilnBinary.path, "train", "--data", Self.fixture,
                             "--batch-size", "1", "--epochs", "100000"]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        // Rank 1 is the child of mpirun whose environment says so; wait until it trains.
        var victim: Int32?
        for _ in 0..<600 where victim == nil {
            Thread.sleep(forTimeInterval: 0.1)
            victim = rankProcess(1, childOf: process.processIdentifier)
        }
        guard let victim else {
            process.terminate()
            Issue.record("rank 1 never started")
            return
        }
        Thread.sleep(forTimeInterval: 3)  // past compilation, into the epochs
        #expect(process.isRunning, "the job ended before the kill")
        let killed = Date()
        kill(victim, SIGKILL)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(killed)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(seconds < 10, "mpirun took \(seconds) s after the kill")
        #expect(message.contains("rank 1") && message.contains("signal 9"), "\(message)")
    }
}

/// The pid of the process of MPI rank `rank` among the children of `parent`.
private func rankProcess(_ rank: Int, childOf parent: Int32) -> Int32? {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    for entry in entries {
        guard let pid = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == parent,
              let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
    }
    return nil
}
