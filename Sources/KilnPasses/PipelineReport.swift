import KilnSupport

/// What a pipeline run did: the printed IR (with `printAfterAll`) and statistics.
public struct PipelineReport: Sendable, Hashable {
    /// The IR before the first pass, then a unified diff after each pass that changed it, each
    /// under a `# ...` header line. Empty without `printAfterAll`.
    public var log = ""
    /// One entry per pass name, in the order they first ran.
    public var passes: [PassStatistics] = []
    /// The most rounds any function needed (the last one changes nothing under a fixed point).
    public var rounds = 0
    /// Each measure of the pipeline, summed over the functions, before and after.
    public var totals: [MeasureTotal]
    /// Seconds spent verifying after passes (with `verifyEach`, and always in debug builds).
    public var verifySeconds = 0.0

    init(measures: [String]) {
        totals = measures.map { MeasureTotal(name: $0) }
    }

    mutating func record(pass name: String, changed: Bool, removed: Int, seconds: Double) {
        if let k = passes.firstIndex(where: { $0.name == name }) {
            passes[k].runs += 1
            passes[k].changes += changed ? 1 : 0
            passes[k].instructionsRemoved += removed
            passes[k].seconds += seconds
        } else {
            passes.append(PassStatistics(name: name, runs: 1, changes: changed ? 1 : 0, instructionsRemoved: removed,
                                         seconds: seconds))
        }
    }

    /// The statistics as an aligned table, one row per pass, then the rounds and the totals:
    ///
    ///     pass      runs  changed  removed
    ///     fold         2        1        0
    ///     ...
    ///     rounds: 2
    ///     instructions: 14 -> 7
    public func statisticsTable() -> String {
        let header = ["pass", "runs", "changed", "removed"]
        let rows = passes.map { [$0.name, String($0.runs), String($0.changes), String($0.instructionsRemoved)] }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let pad = String(repeating: " ", count: widths[column] - cells[column].count)
                return column == 0 ? cells[column] + pad : pad + cells[column]
            }.joined(separator: "  ") + "\n"
        }
        var out = ([header] + rows).map(line).joined()
        out += "rounds: \(rounds)\n"
        for total in totals { out += "\(total.name): \(total.before) -> \(total.after)\n" }
        return out
    }
}

/// How often a pass ran and what it did.
public struct PassStatistics: Sendable, Hashable {
    public var name: String
    public var runs: Int
    /// Runs that changed the function.
    public var changes: Int
    /// Instructions removed over all runs (negative when the pass added some).
    public var instructionsRemoved: Int
    /// Wall-clock seconds spent in the pass over all runs (verification excluded).
    public var seconds: Double
}

/// One measure summed over the functions a pipeline ran on.
public struct MeasureTotal: Sendable, Hashable {
    public var name: String
    public var before = 0
    public var after = 0
}
