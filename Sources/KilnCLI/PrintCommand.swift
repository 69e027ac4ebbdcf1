import ArgumentParser
import KilnIR

/// `kiln print FILE.kir`: the canonical text of a verified file.
struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Verify a .kir file and print its canonical text.")

    @Argument(help: "The .kir file.")
    var file: String

    func run() throws {
        print(printModule(try loadModule(path: file)), terminator: "")
    }
}
