import Kiln
import KilnIR
import KilnSupport
import KilnPasses
#if canImport(Glibc)
import Glibc
#endif

/// Compiled step times of one workload at several thread counts of generated code, measured
/// interleaved in one run (rounds of steps alternating between the counts), so that a busy
/// machine slows every count alike.
public struct ThreadComparisonResult: Sendable, Codable {
    public var name: String
    /// The thread counts compared, and the median and minimum step time at each, in milliseconds.
    public var threads: [Int]
    public var medianMs: [Double]
    public var minMs: [Double]
    /// Kernels of the step's C that call the pool (`kiln_parallel_for`), at each count.
    public var parallelKernels: [Int]
}

/// Runs `workload` compiled once per count of `threads` (`KILN_NUM_THREADS` set while each step
/// compiles), then `rounds` rounds of `stepsPerRound` steps on each in turn; the first step of
/// each round is not timed.
public func runThreadComparison(_ workload: Workload, threads: [Int], rounds: Int, stepsPerRound: Int,
                                passes: PassPipeline = .standard()) throws -> ThreadComparisonResult {
    let data = try workload.dataset(rows: workload.batchSize * (stepsPerRound + 1), seed: 7)
    let loader = try DataLoader(data, batchSize: workload.batchSize, seed: 1)
    let saved = getenv("KILN_NUM_THREADS").map { String(cString: $0) }
    defer {
        if let saved { setenv("KILN_NUM_THREADS", saved, 1) } else { unsetenv("KILN_NUM_THREADS") }
    }
    var trainers: [Trainer] = []
    for count in threads {
        setenv("KILN_NUM_THREADS", String(count), 1)
        trainers.append(try Trainer(model: try workload.makeModel(), loss: workload.loss, optimizer: workload.makeOptimizer(),
                                    inputType: loader.inputType, labelType: loader.labelType, mode: .compiled, passes: passes))
    }
    var times = threads.map { _ in [Double]() }
    for round in 0..<rounds {
        for (k, trainer) in trainers.enumerated() {
            var last = monotonicSeconds()
            var marks: [Double] = []
            _ = try trainer.trainEpoch(loader, epoch: round) { _, _ in
                let t = monotonicSeconds()
                marks.append((t - last) * 1e3)
                last = t
                return false
            }
            times[k] += marks.dropFirst()
        }
    }
    // Each call of the pool is one kernel; the pool's own definition is not a call.
    let parallel = trainers.map { trainer in
        (trainer.compiledStep?.compiled.cSource.split(separator: "\n") ?? []).filter { $0.contains("; kiln_parallel_for(") }.count
    }
    return ThreadComparisonResult(name: workload.name, threads: threads, medianMs: times.map(median), minMs: times.map { $0.min() ?? 0 },
                                  parallelKernels: parallel)
}

/// The table `kiln bench --threads` prints: per workload, the median (and minimum) step at each
/// thread count and the first count's median over each other's.
public func threadComparisonTable(_ results: [ThreadComparisonResult]) -> String {
    guard let threads = results.first?.threads else { return "" }
    let header = ["workload"] + threads.map { "\($0) thread\($0 == 1 ? "" : "s") median (min)" }
        + threads.dropFirst().map { "speedup \(threads[0])→\($0)" } + ["parallel kernels"]
    let rows = results.map { r in
        [r.name] + zip(r.medianMs, r.minMs).map { "\(ms($0)) (\(ms($1)))" }
            + r.medianMs.dropFirst().map { format(r.medianMs[0] / $0, 2) + "x" }
            + [r.parallelKernels.map(String.init).joined(separator: " / ")]
    }
    return markdownTable(header: header, rows: rows)
}
