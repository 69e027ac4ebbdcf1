import ArgumentParser
import KilnIR
import KilnPasses
import KilnSupport

/// `kiln opt FILE.kir`: runs optimization passes and prints the optimized IR.
struct OptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opt",
        abstract: "Optimize a .kir file with a pass pipeline and print (or write) the result.")

    @Argument(help: "The .kir file.")
    var file: String

    @Option(help: ArgumentHelp("Comma-separated passes (\(PassDescriptor.builtin.map(\.name).joined(separator: ", "))), 'none', or 'default' (\(PassPipeline.defaultList)).", valueName: "list"))
    var passes = "default"

    @Flag(help: "Print the IR after each pass that changed it (a diff against the previous text) to stderr.")
    var printAfterAll = false

    @Flag(help: "Print statistics (instructions, C kernels and arena bytes before and after; per pass) to stderr.")
    var stats = false

    @Flag(help: "Verify the IR after every pass.")
    var verifyEach = false

    @Flag(help: "Allow rewrites that are not exact in IEEE arithmetic (e.g. x + 0 -> x).")
    var fastMath = false

    @Option(help: ArgumentHelp("Write the optimized module here instead of printing it.", valueName: "out.kir"))
    var out: String?

    func run() throws {
        var module = try loadModule(path: file)
        var pipeline = try PassPipeline(parsing: passes, options: PassOptions(fastMath: fastMath))
        pipeline.printAfterAll = printAfterAll
        pipeline.verifyEach = verifyEach
        pipeline.measures += [.kernels, .arenaBytes]
        let report = try pipeline.run(on: &module)
        if printAfterAll { writeToStandardError(report.log) }
        if stats { writeToStandardError(report.statisticsTable()) }
        let text = printModule(module)
        if let out {
            try writeFileAtomically(Array(text.utf8), path: out)
        } else {
            print(text, terminator: "")
        }
    }
}
