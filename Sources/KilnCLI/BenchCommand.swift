import ArgumentParser
import Foundation
import KilnBench
import KilnCodegen
import KilnPasses
import KilnRuntime

/// `kiln bench`: benchmarks; training steps by default (`kiln bench steps`), or pass times (`kiln bench passes`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: training steps compiled vs eager (default), or pass time vs function size (see docs/benchmarks.md).",
        subcommands: [BenchStepsCommand.self, BenchPassesCommand.self],
        defaultSubcommand: BenchStepsCommand.self)
}

/// `kiln bench [steps]`: training-step time compiled vs eager for the standard workloads, in one run.
struct BenchStepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "Time training steps compiled and eager on the standard workloads (see docs/benchmarks.md).")

    @Argument(help: "Workloads to run (default: all of \(Workload.all.map(\.name).joined(separator: ", "))).")
    var workloads: [String] = []

    @Option(parsing: .unconditional, help: "Compiled steps timed per workload.")
    var steps = 50

    @Option(parsing: .unconditional, help: "Eager steps timed per workload.")
    var eagerSteps = 10

    @Option(help: ArgumentHelp("Passes for the compiled step: a comma-separated list, 'default' or 'none'.", valueName: "list"))
    var passes = "default"

    @Option(help: ArgumentHelp("Compare these thread counts of generated code instead (compiled only, interleaved rounds): a comma-separated list such as 1,2.", valueName: "list"))
    var threads: String?

    @Option(parsing: .unconditional, help: "Rounds of --steps steps per thread count with --threads.")
    var rounds = 5

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Write each workload's compiled step (IR stages and C, as train --dump-ir) to DIR/<workload>.", valueName: "dir"))
    var dumpIR: String?

    /// The thread counts of `--threads`, empty without it.
    func threadCounts() throws -> [Int] {
        guard let threads else { return [] }
        return try threads.split(separator: ",", omittingEmptySubsequences: false).map { text in
            guard let n = Int(text), (1...maxThreads).contains(n) else {
                throw ValidationError("--threads: '\(text)' is not a thread count from 1 to \(maxThreads)")
            }
            return n
        }
    }

    func validate() throws {
        _ = try threadCounts()
        if rounds < 1 { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
        let known = Set(Workload.all.map(\.name))
        if let unknown = workloads.first(where: { !known.contains($0) }) {
            throw ValidationError("unknown workload '\(unknown)'; choose from \(Workload.all.map(\.name).joined(separator: ", "))")
        }
        if steps < 2 { throw ValidationError("--steps must be at least 2, got \(steps)") }
        if eagerSteps < 1 { throw ValidationError("--eager-steps must be at least 1, got \(eagerSteps)") }
    }

    func run() throws {
        let chosen = workloads.isEmpty ? Workload.all : Workload.all.filter { workloads.contains($0.name) }
        let pipeline = try PassPipeline(parsing: passes)
        let counts = try threadCounts()
        if !json, let core = openBLASCoreName { writeToStandardError("OpenBLAS kernels: \(core)") }
        if !counts.isEmpty {
            var results: [ThreadComparisonResult] = []
            for w in chosen {
                if !json { writeToStandardError("running \(w.name) on \(threads ?? "") threads: \(w.summary)") }
                results.append(try runThreadComparison(w, threads: counts, rounds: rounds, stepsPerRound: steps, passes: pipeline))
            }
            print(json ? try prettyJSON(results) : threadComparisonTable(results))
            return
        }
        var results: [BenchmarkResult] = []
        for w in chosen {
            if !json { writeToStandardError("running \(w.name): \(w.summary)") }
            results.append(try runBenchmark(w, compiledSteps: steps, eagerSteps: eagerSteps, passes: pipeline, dumpIR: dumpIR))
        }
        print(json ? try prettyJSON(results) : benchmarkTable(results))
    }
}

/// `kiln bench passes`: time of each pass against the size of generated functions of several shapes.
struct BenchPassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes",
        abstract: "Time each pass of a pipeline on generated functions of growing size (see docs/benchmarks.md).")

    @Option(help: ArgumentHelp("Comma-separated shapes (\(GraphShape.all.map(\.name).joined(separator: ", "))).", valueName: "list"))
    var shapes = GraphShape.all.map(\.name).joined(separator: ",")

    @Option(help: ArgumentHelp("Comma-separated instruction counts.", valueName: "list"))
    var sizes = "1000,2000,5000,10000,20000,50000,100000"

    @Option(help: ArgumentHelp("Passes: a comma-separated list, 'default' or 'none'.", valueName: "list"))
    var passes = "default"

    @Flag(inversion: .prefixedNo, help: "Verify after every pass (timed in its own column).")
    var verifyEach = true

    @Flag(help: "Print the results as JSON.")
    var json = false

    /// The largest size accepted, so that a typo cannot ask for gigabytes of IR.
    static let maxSize = 10_000_000

    func run() throws {
        let known = GraphShape.all.map(\.name)
        var chosen: [GraphShape] = []
        for name in shapes.split(separator: ",").map(String.init) {
            guard let shape = GraphShape.all.first(where: { $0.name == name }) else {
                throw ValidationError("--shapes: unknown shape '\(name)'; choose from \(known.joined(separator: ", "))")
            }
            chosen.append(shape)
        }
        var counts: [Int] = []
        for text in sizes.split(separator: ",") {
            guard let n = Int(text), n >= 1, n <= Self.maxSize else {
                throw ValidationError("--sizes: '\(text)' is not an instruction count from 1 to \(Self.maxSize)")
            }
            counts.append(n)
        }
        let pipeline = try PassPipeline(parsing: passes)
        var results: [PassScalingResult] = []
        for shape in chosen {
            for n in counts {
                if !json { writeToStandardError("running \(shape.name) at \(n) instructions") }
                results.append(try runPassScaling(shape, instructions: n, pipeline: pipeline, verifyEach: verifyEach))
            }
        }
        print(json ? try prettyJSON(results) : passScalingTable(results))
    }
}

/// `value` as indented JSON with sorted keys.
private func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
