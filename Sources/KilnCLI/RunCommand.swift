import ArgumentParser
import KilnFormats
import KilnIR
import KilnJIT
import KilnRuntime
import KilnSupport

/// Where `kiln run` executes a function.
enum Backend: String, CaseIterable, ExpressibleByArgument {
    /// C generated from the IR, compiled in memory by libtcc.
    case jit
    /// The reference interpreter.
    case interp
}

extension JITTier: ExpressibleByArgument {}

/// `kiln run FILE.kir`: runs one function on `.npy` (or random) inputs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a function of a .kir file and summarize (or save) its results.")

    @OptionGroup var options: FunctionOptions

    @Option(name: .customLong("input"),
            help: ArgumentHelp("An input: a parameter name without '%', '=', and a .npy file. Repeat for each parameter.",
                               valueName: "name=path.npy"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("A safetensors file of values for parameters by name (e.g. the weights `kiln import-onnx` writes); --input takes precedence.", valueName: "file.safetensors"))
    var weights: String?

    @Flag(help: "Generate the inputs not given with --input: floats uniform in [-1, 1), integers in [0, 8), bools 50/50.")
    var randomInputs = false

    @Option(parsing: .unconditional, help: "The seed of --random-inputs (any 64-bit integer, negative ones too).")
    var seed: Int64 = 0

    @Option(help: ArgumentHelp("Write the results to <dir>/out0.npy, <dir>/out1.npy, ... (<dir> is created if needed).", valueName: "dir"))
    var out: String?

    @Option(help: "The backend that runs the function.")
    var backend: Backend = .jit

    @Option(help: "The JIT tier: libtcc only (baseline), gcc -O3 before running (optimizing), or gcc in the background (adaptive).")
    var tier: JITTier = .baseline

    @Flag(help: "First run the function as written (before the passes) in the reference interpreter, instruction by instruction, and fail naming the first instruction whose result holds NaN or infinity.")
    var checkNumerics = false

    @Flag(help: "Print the time of each stage (parse, verify, passes, codegen, tcc compile, gcc compile, run) and the arena's peak bytes.")
    var timings = false

    func validate() throws {
        if out?.isEmpty == true { throw ValidationError("--out needs a directory name, e.g. --out results") }
    }

    func run() throws {
        var loaded = try options.load()
        let f = loaded.function
        let named = try weights.map { path throws(KilnError) in
            Dictionary(try readSafetensors(path: path).tensors, uniquingKeysWith: { first, _ in first })
        } ?? [:]
        let arguments = try bindInputs(of: f, specs: inputs, weights: named, weightsSource: weights ?? "", random: randomInputs ? seed : nil)
        let clock = ContinuousClock()
        if checkNumerics {
            let start = clock.now
            if case .failure(let found) = try interpretCheckingNumerics(loaded.written, inputs: arguments) {
                throw KilnError("--check-numerics: \(found)", at: found.location)
            }
            loaded.timings.append(("check numerics", (clock.now - start).milliseconds))
        }
        let results: [HostTensor]
        var arenaBytes: Int?
        switch backend {
        case .interp:
            let start = clock.now
            results = try interpret(f, inputs: arguments)
            loaded.timings.append(("run", (clock.now - start).milliseconds))
        case .jit:
            let compiled = try JITCompiler.shared.compile(f, tier: tier)
            loaded.timings.append(("codegen", compiled.timings.codegenMilliseconds))
            loaded.timings.append(("tcc compile", compiled.timings.compileMilliseconds))
            let start = clock.now
            results = try compiled.run(arguments)
            loaded.timings.append(("run", (clock.now - start).milliseconds))
            // Let a background compile finish rather than leave gcc running after exit.
            compiled.waitForOptimizedTier()
            if let gcc = compiled.optimizingCompileMilliseconds { loaded.timings.append(("gcc compile", gcc)) }
            if timings, case .unavailable(let reason) = compiled.optimizingTierStatus { print("gcc tier unavailable: \(reason)") }
            arenaBytes = compiled.arenaPeakBytes
        }
        if let out { try writeResults(results, to: out) }
        for (i, t) in results.enumerated() { print("out\(i): \(summary(of: t))") }
        if timings {
            for (stage, ms) in loaded.timings { print("time \(stage): \(format(ms, 3)) ms") }
            if let arenaBytes { print("arena peak: \(arenaBytes) bytes") }
        }
    }
}
