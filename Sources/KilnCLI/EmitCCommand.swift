import ArgumentParser
import KilnCodegen

/// `kiln emit-c FILE.kir`: the C that the jit backend compiles for a function.
struct EmitCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emit-c",
        abstract: "Print the C translation unit generated for a function (after the passes).")

    @OptionGroup var options: FunctionOptions

    func run() throws {
        print(try emitC(try options.load().function).source, terminator: "")
    }
}
