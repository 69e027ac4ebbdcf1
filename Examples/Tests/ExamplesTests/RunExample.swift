import Foundation

/// Why running an example failed.
struct ExampleFailure: Error, CustomStringConvertible {
    let description: String
}

/// The directory of the built examples: `KILN_EXAMPLES_BIN`, or the one holding this test binary
/// (`swift build` puts every product of the package there).
func examplesDirectory() -> URL {
    if let directory = ProcessInfo.processInfo.environment["KILN_EXAMPLES_BIN"] { return URL(fileURLWithPath: directory) }
    return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
}

/// A fresh, empty directory for one example's output.
func temporaryOutputDirectory(_ name: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-example-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Runs the built example `name` with `--small --out outputDirectory` and returns the figures of
/// its last line, `RESULT {...}` (a `null` becomes NaN); a non-zero exit or a missing RESULT line
/// is an error holding the example's output.
func runExample(_ name: String, outputDirectory: String? = nil) throws -> [String: Double] {
    let executable = examplesDirectory().appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw ExampleFailure(description: "\(executable.path) is missing: build the examples first (swift build --package-path Examples)")
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = ["--small", "--out", try outputDirectory ?? temporaryOutputDirectory(name)]
    let pipe = Pipe()
    (process.standardOutput, process.standardError) = (pipe, pipe)
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ExampleFailure(description: "\(name) exited with status \(process.terminationStatus):\n\(output)")
    }
    guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }),
          let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any] else {
        throw ExampleFailure(description: "\(name) printed no RESULT line:\n\(output)")
    }
    return object.mapValues { ($0 as? NSNumber)?.doubleValue ?? .nan }
}

/// The width and height in the IHDR chunk of the PNG at `path`, after checking the PNG signature.
func pngSize(_ path: String) throws -> (width: Int, height: Int) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard bytes.count >= 24, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
          bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else {
        throw ExampleFailure(description: "\(path) is not a PNG file (no signature and IHDR chunk)")
    }
    let bigEndian = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (bigEndian(16), bigEndian(20))
}

extension Dictionary where Key == String, Value == Double {
    /// The figure `key` of an example's RESULT line; a missing one is an error naming it.
    func value(_ key: String) throws -> Double {
        guard let value = self[key] else { throw ExampleFailure(description: "the RESULT line has no '\(key)'; it has \(keys.sorted())") }
        return value
    }
}
