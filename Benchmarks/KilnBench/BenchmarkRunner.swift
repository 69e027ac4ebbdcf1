import Kiln
import KilnIR
import KilnPasses
import KilnRuntime
#if canImport(Glibc)
import Glibc
import KilnSupport
#endif

/// Step times of one workload in both modes, measured in one run.
public struct BenchmarkResult: Sendable, Codable {
    public var name: String
    public var summary: String
    public var compiledMedianMs: Double
    public var compiledMinMs: Double
    public var eagerMedianMs: Double
    public var eagerMinMs: Double
    /// Tracing, differentiation, passes, C generation and tcc, in milliseconds.
    public var compileMs: Double
    /// FLOPs of one training step (forward, backward, update) of the optimized IR.
    public var flopsPerStep: Int
    public var compiledGflops: Double { Double(flopsPerStep) / (compiledMedianMs * 1e6) }
    public var eagerGflops: Double { Double(flopsPerStep) / (eagerMedianMs * 1e6) }
    /// Eager median over compiled median.
    public var speedup: Double { eagerMedianMs / compiledMedianMs }
}

/// Runs `workload`: `compiledSteps` compiled steps (in the C epoch loop, timed step by step, the step
/// optimized by `passes`) and `eagerSteps` eager steps, after one warm-up step each. With `dumpIR`,
/// the compiled step's stages go to `dumpIR/<workload name>` (`CompiledTrainingStep.dumpIR`).
public func runBenchmark(_ workload: Workload, compiledSteps: Int, eagerSteps: Int,
                         passes: PassPipeline = .standard(), dumpIR: String? = nil) throws -> BenchmarkResult {
    let data = try workload.dataset(rows: workload.batchSize * (compiledSteps + 1), seed: 7)
    let loader = try DataLoader(data, batchSize: workload.batchSize, seed: 1)

    let start = monotonicSeconds()
    let compiled = try Trainer(model: try workload.makeModel(), loss: workload.loss, optimizer: workload.makeOptimizer(),
                               inputType: loader.inputType, labelType: loader.labelType, mode: .compiled, passes: passes)
    // Time gcc's code: wait for the optimizing tier that training would switch to.
    compiled.compiledStep?.compiled.waitForOptimizedTier()
    let compileMs = (monotonicSeconds() - start) * 1e3
    if let dumpIR { try compiled.compiledStep?.dumpIR(to: dumpIR + "/" + workload.name) }
    var marks: [Double] = []
    var last = monotonicSeconds()
    try compiled.trainEpoch(loader, epoch: 0) { _, _ in
        let t = monotonicSeconds()
        marks.append((t - last) * 1e3)
        last = t
        return false
    }
    let compiledTimes = Array(marks.dropFirst())

    let eager = try Trainer(model: try workload.makeModel(), loss: workload.loss, optimizer: workload.makeOptimizer(),
                            inputType: loader.inputType, labelType: loader.labelType, mode: .eager)
    let order = loader.order(epoch: 0)
    var eagerTimes: [Double] = []
    for b in 0...eagerSteps {
        let (x, y) = try loader.batch(b % loader.batchCount, of: order)
        let t = monotonicSeconds()
        try eager.step(x, y)
        if b > 0 { eagerTimes.append((monotonicSeconds() - t) * 1e3) }
    }
    guard let optimized = compiled.compiledStep?.optimized else { throw KilnError("internal: no compiled step") }
    return BenchmarkResult(name: workload.name, summary: workload.summary,
                           compiledMedianMs: median(compiledTimes), compiledMinMs: compiledTimes.min() ?? 0,
                           eagerMedianMs: median(eagerTimes), eagerMinMs: eagerTimes.min() ?? 0,
                           compileMs: compileMs, flopsPerStep: flopCount(of: optimized))
}

/// The table `kiln bench` prints.
public func benchmarkTable(_ results: [BenchmarkResult]) -> String {
    let header = ["workload", "compiled median", "compiled min", "eager median", "eager min", "compile", "GFLOP/s compiled", "GFLOP/s eager", "speedup"]
    let rows = results.map { r in
        [r.name, ms(r.compiledMedianMs), ms(r.compiledMinMs), ms(r.eagerMedianMs), ms(r.eagerMinMs), ms(r.compileMs),
         format(r.compiledGflops, 2), format(r.eagerGflops, 2), format(r.speedup, 1) + "x"]
    }
    return markdownTable(header: header, rows: rows)
}

/// `rows` under `header` as an aligned Markdown table.
func markdownTable(header: [String], rows: [[String]]) -> String {
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        "| " + cells.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }
            .joined(separator: " | ") + " |"
    }
    return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func ms(_ value: Double) -> String { format(value, value < 10 ? 3 : 1) + " ms" }
