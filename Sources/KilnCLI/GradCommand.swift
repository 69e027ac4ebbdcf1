import ArgumentParser
import KilnAutodiff
import KilnIR
import KilnSupport

/// `kiln grad FILE.kir --wrt a,b`: the function and its reverse-mode gradient, as IR.
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Differentiate a function: print a module with it and @NAME_grad, which also returns the gradients.")

    @Argument(help: "The .kir file.")
    var file: String

    @Option(name: .customLong("func"), help: ArgumentHelp("The function (default: the first one); its first result must be a scalar float.", valueName: "name"))
    var function: String?

    @Option(help: ArgumentHelp("Parameters to differentiate with respect to, without '%', separated by commas.", valueName: "a,b"))
    var wrt: String

    @Option(help: ArgumentHelp("Write the module here instead of printing it.", valueName: "out.kir"))
    var out: String?

    func run() throws {
        let names = wrt.split(separator: ",").map { String($0.filter { $0 != " " }) }
        let text = printModule(try gradientModule(try loadModule(path: file), function: function, wrt: names))
        if let out {
            try writeFileAtomically(Array(text.utf8), path: out)
        } else {
            print(text, terminator: "")
        }
    }
}
