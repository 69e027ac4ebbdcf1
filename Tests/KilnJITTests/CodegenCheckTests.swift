import Foundation
import KilnCodegen
import KilnIR
import KilnTestSupport
import Testing

/// Runs every `ir-examples/codegen/*.kir` check file: each case's functions lowered to C as
/// written (no passes), the units joined, then the case's CHECK lines on that text.
@Suite struct CodegenCheckTests {
    static let directory = IRExamples.directory("codegen")
    static let files = IRExamples.files(in: "codegen")

    @Test(arguments: files)
    func example(_ file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let spec = try CheckFile(parsing: try String(contentsOfFile: path, encoding: .utf8))
        guard case let .emitC(accumulators, threads) = spec.command else {
            Issue.record("\(file): the RUN line of a codegen check file is 'emit-c'")
            return
        }
        let options = CodegenOptions(reductionAccumulators: accumulators ?? CodegenOptions().reductionAccumulators, threads: threads)
        for checkCase in spec.cases {
            let module = try parseModule(checkCase.input, file: path)
            let output = try module.functions.map { try emitC($0, options: options).source }.joined(separator: "\n")
            do {
                try checkCase.check(output)
            } catch {
                Issue.record("\(file): \(error)\n--- output ---\n\(output)")
            }
        }
    }
}
