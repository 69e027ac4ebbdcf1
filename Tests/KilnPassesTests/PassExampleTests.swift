import Foundation
import KilnIR
import KilnPasses
import KilnTestSupport
import Testing

/// Runs every `ir-examples/passes/*.kir` file: its RUN passes on the IR, then its CHECK lines on
/// the printed result, which must also parse back and verify.
@Suite struct PassExampleTests {
    static let directory = IRExamples.directory("passes")
    static let files = IRExamples.files(in: "passes")

    @Test func everyPassHasAtLeastThreeExamples() throws {
        for pass in PassDescriptor.builtin.map(\.name) {
            let count = try Self.files.filter { file in
                let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
                return try CheckFile(parsing: text).passes.split(separator: ",").contains { $0 == pass }
            }.count
            #expect(count >= 3, "\(pass) has \(count) example files")
        }
    }

    @Test(arguments: files)
    func example(_ file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let spec = try CheckFile(parsing: text)
        for checkCase in spec.cases {
            var module = try parseModule(checkCase.input, file: path)
            var pipeline = try PassPipeline(parsing: spec.passes, options: PassOptions(fastMath: spec.fastMath))
            pipeline.verifyEach = true
            _ = try pipeline.run(on: &module)
            let output = printModule(module)
            do {
                try checkCase.check(output)
            } catch {
                Issue.record("\(file): \(error)\n--- output ---\n\(output)")
            }
            try verify(try parseModule(output, file: file + " (output)"))
        }
    }
}
