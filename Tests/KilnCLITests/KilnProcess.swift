import Foundation
import KilnFormats
import KilnRuntime

/// The `kiln` binary, built beside the test bundle.
let kilnBinary: URL = {
    let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("kiln")
}()

/// What one run of `kiln` did.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// A fresh directory for one test, removed when the test ends.
final class Workspace {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Writes `t` as `name` and returns its path.
    func write(_ name: String, _ t: HostTensor) throws -> String {
        try writeNPY(t, path: path(name))
        return path(name)
    }

    func kiln(_ arguments: String...) throws -> Outcome { try kiln(arguments) }

    /// Starts `kiln` with `arguments` in this directory, its output discarded, and returns at once.
    func startKiln(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = kilnBinary
        process.arguments = arguments
        process.currentDirectoryURL = url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `kiln` with `arguments` in this directory, with `environment` added to this process's.
    func kiln(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        try run(kilnBinary.path, arguments, environment: environment)
    }

    /// Runs the program at `executable` with `arguments` in this directory, with `environment`
    /// added to this process's.
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = url
        // Files rather than pipes, so that no amount of output can block the child.
        let out = url.appendingPathComponent(".stdout"), err = url.appendingPathComponent(".stderr")
        try Data().write(to: out)
        try Data().write(to: err)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        defer { try? outHandle.close(); try? errHandle.close() }
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: try String(contentsOf: out, encoding: .utf8),
                       stderr: try String(contentsOf: err, encoding: .utf8))
    }
}
