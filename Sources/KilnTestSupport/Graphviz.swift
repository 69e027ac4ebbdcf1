import Foundation

/// What Graphviz's `dot` made of a graph.
public struct GraphvizOutcome: Sendable {
    public var status: Int32
    public var output: String
    /// Errors and warnings; empty when `dot` had nothing to say.
    public var messages: String
}

/// Runs `dot -T<format>` (Debian's `graphviz`, from scripts/setup.sh) on the DOT text `source`.
public func runGraphviz(_ source: String, format: String = "svg") throws -> GraphvizOutcome {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-dot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("graph.dot"), output = directory.appendingPathComponent("graph.out")
    let messages = directory.appendingPathComponent("messages")
    try Data(source.utf8).write(to: input)
    for file in [output, messages] { try Data().write(to: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["dot", "-T\(format)", input.path, "-o", output.path]
    let errors = try FileHandle(forWritingTo: messages)
    defer { try? errors.close() }
    process.standardError = errors
    process.standardOutput = errors
    try process.run()
    process.waitUntilExit()
    return GraphvizOutcome(status: process.terminationStatus, output: try String(contentsOf: output, encoding: .utf8),
                           messages: try String(contentsOf: messages, encoding: .utf8))
}
