import Foundation
import KilnCodegen
import KilnFormats
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// Every function of `ir-examples/*.kir`, compiled and run on its recorded inputs
/// (`ir-examples/data/<example>/<function>/in_<param>.npy`), against the interpreter: bit-exact
/// with one accumulator per reduction; with the default four, within 1e-4 (f32) / 1e-10 (f64)
/// relative to `1 + |result|` (the reassociated float sums feed softmax, norms and means).
@Suite struct ExampleJITTests {
    static let directory = IRExamples.root
    static let examples = IRExamples.files()

    @Test func examplesArePresent() {
        #expect(Self.examples.count >= 20)
    }

    @Test(arguments: examples)
    func example(file: String) throws {
        for (f, inputs) in try exampleFunctions(file) {
            try expectMatchesInterpreter(f, inputs, .exact, options: exactOptions)
            let loose: Tolerance = f.paramTypes.contains { $0.dtype == .f32 } ? .relative(1e-4) : .relative(1e-10)
            try expectMatchesInterpreter(f, inputs, loose, options: CodegenOptions())
        }
    }
}

/// The functions of `ir-examples/<file>`, each with its recorded inputs
/// (`ir-examples/data/<example>/<function>/in_<param>.npy`).
func exampleFunctions(_ file: String) throws -> [(function: Function, inputs: [HostTensor])] {
    let module = try loadModule(path: ExampleJITTests.directory.appendingPathComponent(file).path)
    let data = ExampleJITTests.directory.appendingPathComponent("data").appendingPathComponent(String(file.dropLast(4)))
    return try module.functions.map { f in
        let folder = data.appendingPathComponent(f.name)
        return (f, try f.params.map { try readNPY(path: folder.appendingPathComponent("in_\(f.name(of: $0)).npy").path) })
    }
}
