import ArgumentParser
import KilnFormats
import KilnIR
import KilnSupport
import KilnPasses

/// `kiln graph FILE.kir`: a function as a Graphviz DOT graph.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Write a function as a Graphviz DOT graph: one node per instruction, fused kernels as clusters (render with dot -Tsvg).")

    @Argument(help: "The .kir file.")
    var file: String

    @Option(name: [.customLong("function"), .customLong("func")], help: ArgumentHelp("The function (default: the first one).", valueName: "name"))
    var function: String?

    @Option(help: ArgumentHelp("Optimization passes before drawing: a comma-separated list, 'default' (\(PassPipeline.defaultList); it fuses kernels) or 'none'.", valueName: "list"))
    var passes = "none"

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the graph here (default: standard output).", valueName: "file.dot"))
    var output: String?

    func run() throws {
        let module = try parseModule(bytes: try readModuleFile(file), file: file)
        try verify(module)
        var f = try selectFunction(function, in: module, file: file)
        _ = try PassPipeline(parsing: passes).run(on: &f)
        let dot = graphvizDOT(f)
        guard let output else { return print(dot, terminator: "") }
        do { try writeFileAtomically(Array(dot.utf8), path: output) } catch { throw error.rephrased { "-o: \($0)" } }
    }
}
