import Foundation
import KilnIR
@testable import KilnPasses
import Testing

/// The examples of docs/passes.md are real output: each block fenced as
/// ```` ```kir passes=LIST [fast-math] [print-after-all] [stats] ```` is run through LIST, and the
/// next block must be exactly the result: the printed IR, or with `print-after-all` and `stats`
/// the log and the statistics table.
@Suite struct DocumentationTests {
    struct Example: CustomTestStringConvertible, Sendable {
        var line: Int
        var words: [String]
        var input: String
        var expected: String
        var testDescription: String { "docs/passes.md:\(line)" }
    }

    static let examples: [Example] = {
        let url = PassExampleTests.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/passes.md")
        let lines = ((try? String(contentsOf: url, encoding: .utf8)) ?? "").components(separatedBy: "\n")
        // Fenced blocks: line of the opening fence, its info words, the body.
        var blocks: [(line: Int, words: [String], body: String)] = []
        var open: (line: Int, words: [String])?
        var body = ""
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("```") {
                if let current = open {
                    blocks.append((current.line, current.words, body))
                    open = nil
                } else {
                    open = (index + 1, line.dropFirst(3).split(separator: " ").map(String.init))
                    body = ""
                }
            } else if open != nil {
                body += line + "\n"
            }
        }
        return zip(blocks, blocks.dropFirst()).compactMap { input, output in
            guard input.words.first == "kir", input.words.contains(where: { $0.hasPrefix("passes=") }) else { return nil }
            return Example(line: input.line, words: input.words, input: input.body, expected: output.body)
        }
    }()

    /// The rule table of docs/passes.md lists exactly the rules of `simplify`, in order.
    @Test func ruleTableListsEveryRule() throws {
        let url = PassExampleTests.directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/passes.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let table = text.components(separatedBy: "\n").drop { $0 != "| rule | rewrite | exact |" }
        let names = table.prefix { $0.hasPrefix("|") }.compactMap { row -> String? in
            guard row.hasPrefix("| `") else { return nil }
            return row.dropFirst(3).prefix { $0 != "`" }.description
        }
        #expect(names == SimplifyRule.all.map(\.name))
    }

    @Test func theDocumentHasExamples() {
        #expect(Self.examples.count >= 7)
    }

    @Test(arguments: examples)
    func exampleIsRealOutput(_ example: Example) throws {
        let list = example.words.first { $0.hasPrefix("passes=") }.map { String($0.dropFirst(7)) } ?? ""
        var pipeline = try PassPipeline(parsing: list, options: PassOptions(fastMath: example.words.contains("fast-math")))
        pipeline.printAfterAll = example.words.contains("print-after-all")
        var module = try parseModule(example.input, file: example.testDescription)
        try verify(module)
        let report = try pipeline.run(on: &module)
        var actual = pipeline.printAfterAll ? report.log : printModule(module)
        if example.words.contains("stats") { actual += report.statisticsTable() }
        #expect(actual == example.expected, "\(example.testDescription): actual output:\n\(actual)")
    }
}
