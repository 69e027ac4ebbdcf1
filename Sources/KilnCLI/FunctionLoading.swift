import ArgumentParser
import KilnIR
import KilnPasses
import KilnSupport

/// A function read from a `.kir` file, optimized, with how long each stage took.
struct LoadedFunction {
    var function: Function
    /// The function as written, before the passes.
    var written: Function
    /// (stage, milliseconds) in order: parse, verify, passes.
    var timings: [(String, Double)]
}

/// The options every command that runs or compiles one function shares.
struct FunctionOptions: ParsableArguments {
    @Argument(help: "The .kir file.")
    var file: String

    @Option(name: .customLong("func"), help: ArgumentHelp("The function (default: the first one).", valueName: "name"))
    var function: String?

    @Option(help: ArgumentHelp("Optimization passes before running: a comma-separated list, 'default' (\(PassPipeline.defaultList)) or 'none'.", valueName: "list"))
    var passes = "default"

    /// Parses and verifies the file, picks the function and runs the passes on it.
    func load() throws -> LoadedFunction {
        var timings: [(String, Double)] = []
        let clock = ContinuousClock()
        var start = clock.now
        func lap(_ stage: String) {
            let now = clock.now
            timings.append((stage, (now - start).milliseconds))
            start = now
        }
        let module = try parseModule(bytes: try readModuleFile(file), file: file)
        lap("parse")
        try verify(module)
        lap("verify")
        let written = try select(in: module)
        var f = written
        _ = try PassPipeline(parsing: passes).run(on: &f)
        lap("passes")
        return LoadedFunction(function: f, written: written, timings: timings)
    }

    private func select(in module: IRModule) throws(KilnError) -> Function {
        try selectFunction(function, in: module, file: file)
    }
}

/// The function of `module` (read from `file`) named `name` (with or without `@`), or its first
/// one when `name` is nil.
func selectFunction(_ name: String?, in module: IRModule, file: String) throws(KilnError) -> Function {
    guard let name else {
        guard let first = module.functions.first else { throw KilnError("\(file) defines no function") }
        return first
    }
    let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
    guard let f = module.function(named: bare) else {
        let names = module.functions.map { "@" + $0.name }.joined(separator: ", ")
        throw KilnError("\(file) has no function @\(bare); pass --func with one of: \(names)")
    }
    return f
}
