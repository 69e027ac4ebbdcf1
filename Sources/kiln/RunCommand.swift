import ArgumentParser
import KilnIR
import KilnRuntime

/// Where `kiln run` executes a function.
enum Backend: String, CaseIterable, ExpressibleByArgument {
    /// The reference interpreter.
    case interp
    /// Compiled code (not part of this build).
    case jit
}

/// `kiln run FILE.kir`: runs one function on `.npy` (or random) inputs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a function of a .kir file and summarize (or save) its results.")

    @Argument(help: "The .kir file.")
    var file: String

    @Option(name: .customLong("func"), help: ArgumentHelp("The function to run (default: the first one).", valueName: "name"))
    var function: String?

    @Option(name: .customLong("input"),
            help: ArgumentHelp("An input: a parameter name without '%', '=', and a .npy file. Repeat for each parameter.",
                               valueName: "name=path.npy"))
    var inputs: [String] = []

    @Flag(help: "Generate the inputs not given with --input: floats uniform in [-1, 1), integers in [0, 8), bools 50/50.")
    var randomInputs = false

    @Option(parsing: .unconditional, help: "The seed of --random-inputs (any 64-bit integer, negative ones too).")
    var seed: Int64 = 0

    @Option(help: ArgumentHelp("Write the results to <dir>/out0.npy, <dir>/out1.npy, ... (<dir> is created if needed).", valueName: "dir"))
    var out: String?

    @Option(help: "The backend that runs the function.")
    var backend: Backend = .interp

    func validate() throws {
        if out?.isEmpty == true { throw ValidationError("--out needs a directory name, e.g. --out results") }
    }

    func run() throws {
        let module = try loadModule(path: file)
        let f = try selectFunction(in: module)
        let arguments = try bindInputs(of: f, specs: inputs, random: randomInputs ? seed : nil)
        let results: [HostTensor]
        switch backend {
        case .interp:
            results = try interpret(f, inputs: arguments)
        case .jit:
            throw KilnError("the jit backend is not available in this build; use --backend interp")
        }
        if let out { try writeResults(results, to: out) }
        for (i, t) in results.enumerated() { print("out\(i): \(summary(of: t))") }
    }

    private func selectFunction(in module: Module) throws(KilnError) -> Function {
        guard let name = function else {
            guard let first = module.functions.first else { throw KilnError("\(file) defines no function to run") }
            return first
        }
        guard let f = module.function(named: name) else {
            let names = module.functions.map { "@" + $0.name }.joined(separator: ", ")
            throw KilnError("\(file) has no function @\(name); pass --func with one of: \(names)")
        }
        return f
    }
}
