import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The root `kiln` command: only dispatches to its subcommands.
struct Kiln: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Check, print, run and differentiate Kiln IR programs (.kir files).",
        subcommands: [VerifyCommand.self, PrintCommand.self, RunCommand.self, GradCommand.self])

    func run() throws {
        throw ValidationError("choose a subcommand: verify, print, run or grad")
    }
}

@main
enum Entry {
    static func main() {
        exit(runKiln(Array(CommandLine.arguments.dropFirst())).rawValue)
    }
}
