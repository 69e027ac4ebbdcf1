import ArgumentParser
import KilnIR

/// `kiln verify FILE.kir`: parses and verifies a file.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Parse and verify a .kir file; prints 'ok: N functions' or the first error.")

    @Argument(help: "The .kir file.")
    var file: String

    func run() throws {
        let count = try loadModule(path: file).functions.count
        print("ok: \(count) function\(count == 1 ? "" : "s")")
    }
}
