import ArgumentParser
import Foundation
import KilnBench
import KilnPasses

/// `kiln bench`: training-step time compiled vs eager for the standard workloads, in one run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps compiled and eager on the standard workloads (see docs/benchmarks.md).")

    @Argument(help: "Workloads to run (default: all of \(Workload.all.map(\.name).joined(separator: ", "))).")
    var workloads: [String] = []

    @Option(parsing: .unconditional, help: "Compiled steps timed per workload.")
    var steps = 50

    @Option(parsing: .unconditional, help: "Eager steps timed per workload.")
    var eagerSteps = 10

    @Option(help: ArgumentHelp("Passes for the compiled step: a comma-separated list, 'default' or 'none'.", valueName: "list"))
    var passes = "default"

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
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
        var results: [BenchmarkResult] = []
        for w in chosen {
            if !json { writeToStandardError("running \(w.name): \(w.summary)") }
            results.append(try runBenchmark(w, compiledSteps: steps, eagerSteps: eagerSteps, passes: pipeline))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(benchmarkTable(results))
        }
    }
}
