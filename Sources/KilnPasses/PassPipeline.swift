import KilnIR
import KilnSupport

/// An ordered list of passes and how to run them: once or to a fixed point, verifying after each
/// pass, recording what each pass did.
///
/// ```swift
/// var pipeline = try PassPipeline(parsing: "fold,cse,dce")
/// pipeline.printAfterAll = true
/// let report = try pipeline.run(on: &module)
/// print(report.log, report.statisticsTable())
/// ```
public struct PassPipeline: Sendable {
    public var passes: [any Pass]
    /// Repeat the whole list until no pass changes anything, at most `maxRounds` times.
    public var fixedPoint: Bool
    public var maxRounds: Int
    /// Verify the function after every pass (always done in debug builds).
    public var verifyEach: Bool
    /// Record the IR before the first pass and a unified diff after each pass that changed it.
    public var printAfterAll: Bool
    /// What the statistics count before and after the pipeline. A backend appends its own
    /// measures (kernels, arena bytes) here.
    public var measures: [Measure]

    public init(passes: [any Pass], fixedPoint: Bool = false, maxRounds: Int = 8, verifyEach: Bool = false,
                printAfterAll: Bool = false, measures: [Measure] = [.instructions]) {
        self.passes = passes
        self.fixedPoint = fixedPoint
        self.maxRounds = maxRounds
        self.verifyEach = verifyEach
        self.printAfterAll = printAfterAll
        self.measures = measures
    }

    /// The pipeline compilation runs: `fold,simplify,cse,dce,fuse` to a fixed point (fusing
    /// leaves nothing for the other passes, so the last round only confirms it).
    public static func standard(options: PassOptions = PassOptions()) -> PassPipeline {
        PassPipeline(passes: [ConstantFolding(limits: options.foldLimits), AlgebraicSimplification(fastMath: options.fastMath),
                              CommonSubexpressionElimination(), DeadCodeElimination(), Fusion()],
                     fixedPoint: true)
    }

    /// The pass list of `standard()`, as `--passes` writes it.
    public static var defaultList: String { standard().passes.map(\.name).joined(separator: ",") }

    /// A pipeline from a comma-separated list of pass names (`"fold,cse,dce"`), `"none"` for no
    /// pass, or `"default"` for the standard pipeline (which runs to a fixed point). Names come
    /// from `available`; an unknown name is an error listing the known ones.
    public init(parsing list: String, options: PassOptions = PassOptions(),
                available: [PassDescriptor] = PassDescriptor.builtin) throws(KilnError) {
        let names = list.split(separator: ",", omittingEmptySubsequences: false)
            .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
        switch names {
        case ["none"]:
            self.init(passes: [])
        case ["default"]:
            self = .standard(options: options)
        default:
            var passes: [any Pass] = []
            for name in names {
                guard let descriptor = available.first(where: { $0.name == name }) else {
                    let known = available.map(\.name).joined(separator: ", ")
                    let shown = name.isEmpty ? "an empty pass name" : "unknown pass '\(name)'"
                    throw KilnError("\(shown) in '\(list)'; known passes: \(known) (or 'none', or 'default' for \(Self.defaultList))")
                }
                passes.append(descriptor.make(options))
            }
            self.init(passes: passes)
        }
    }

    /// Runs the pipeline on every function of `module`.
    public func run(on module: inout IRModule) throws(KilnError) -> PipelineReport {
        var report = PipelineReport(measures: measures.map(\.name))
        for i in module.functions.indices {
            try run(on: &module.functions[i], into: &report)
        }
        return report
    }

    /// Runs the pipeline on `f`.
    public func run(on f: inout Function) throws(KilnError) -> PipelineReport {
        var report = PipelineReport(measures: measures.map(\.name))
        try run(on: &f, into: &report)
        return report
    }

    private var verifiesEachPass: Bool {
        #if DEBUG
        return true
        #else
        return verifyEach
        #endif
    }

    private func run(on f: inout Function, into report: inout PipelineReport) throws(KilnError) {
        let before = measures.map { $0.measure(f) }
        var text = printAfterAll ? printFunction(f) : ""
        if printAfterAll { report.log += "# IR before the passes: @\(f.name)\n" + text }
        for round in 1...max(1, fixedPoint ? maxRounds : 1) {
            var changedInRound = false
            for pass in passes {
                let count = f.body.count
                let start = monotonicSeconds()
                let changed = try pass.run(on: &f)
                let passEnd = monotonicSeconds()
                if verifiesEachPass {
                    do { try verify(f) } catch {
                        throw KilnError.internal("pass '\(pass.name)' produced invalid IR for @\(f.name): \(error.message)")
                    }
                    report.verifySeconds += monotonicSeconds() - passEnd
                }
                report.record(pass: pass.name, changed: changed, removed: count - f.body.count, seconds: passEnd - start)
                guard changed else { continue }
                changedInRound = true
                if printAfterAll {
                    let after = printFunction(f)
                    report.log += "# after \(pass.name) (round \(round)): @\(f.name)\n"
                    report.log += unifiedDiff(from: text, to: after, oldLabel: "@\(f.name) before \(pass.name)",
                                              newLabel: "@\(f.name) after \(pass.name)")
                    text = after
                }
            }
            report.rounds = max(report.rounds, round)
            if !changedInRound { break }
        }
        let after = measures.map { $0.measure(f) }
        for k in measures.indices {
            report.totals[k].before += before[k]
            report.totals[k].after += after[k]
        }
    }
}

/// A number computed from a function for the statistics, such as its instruction count.
public struct Measure: Sendable {
    public var name: String
    public var measure: @Sendable (Function) -> Int

    public init(name: String, measure: @escaping @Sendable (Function) -> Int) {
        self.name = name
        self.measure = measure
    }

    public static let instructions = Measure(name: "instructions") { $0.body.count }
}
