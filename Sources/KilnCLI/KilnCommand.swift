import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The root `kiln` command: only dispatches to its subcommands.
struct KilnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Train models, and check, print, run, compile, differentiate and optimize Kiln IR programs (.kir files).",
        subcommands: [VerifyCommand.self, PrintCommand.self, RunCommand.self, GradCommand.self, OptCommand.self, EmitCCommand.self, TrainCommand.self, BenchCommand.self, ImportONNXCommand.self, GraphCommand.self])

    func run() throws {
        throw ValidationError("choose a subcommand: train, bench, verify, print, run, emit-c, grad, opt, import-onnx or graph")
    }
}

@main
enum Entry {
    static func main() {
        exit(runKiln(Array(CommandLine.arguments.dropFirst())).rawValue)
    }
}
