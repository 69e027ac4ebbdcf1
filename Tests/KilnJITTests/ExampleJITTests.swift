import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import Testing

/// Every function of `ir-examples/*.kir`, compiled and run on its recorded inputs
/// (`ir-examples/data/<example>/<function>/in_<param>.npy`), against the interpreter: bit-exact
/// with one accumulator per reduction; with the default four, within 1e-4 (f32) / 1e-10 (f64)
/// relative to `1 + |result|` (the reassociated float sums feed softmax, norms and means).
@Suite struct ExampleJITTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ir-examples")

    static let examples: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".kir") }.sorted()

    @Test func examplesArePresent() {
        #expect(Self.examples.count >= 20)
    }

    @Test(arguments: examples)
    func example(file: String) throws {
        let module = try loadModule(path: Self.directory.appendingPathComponent(file).path)
        let data = Self.directory.appendingPathComponent("data").appendingPathComponent(String(file.dropLast(4)))
        for f in module.functions {
            let folder = data.appendingPathComponent(f.name)
            let inputs = try f.params.map { try readNPY(path: folder.appendingPathComponent("in_\(f.name(of: $0)).npy").path) }
            try expectMatchesInterpreter(f, inputs, .exact, options: exactOptions)
            let loose: Tolerance = f.paramTypes.contains { $0.dtype == .f32 } ? .relative(1e-4) : .relative(1e-10)
            try expectMatchesInterpreter(f, inputs, loose, options: CodegenOptions())
        }
    }
}
