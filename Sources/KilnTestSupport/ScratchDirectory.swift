import Foundation

/// A private directory for one test, removed at the end of the test (by `deinit`).
public final class ScratchDirectory {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-scratch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// An executable shell script `name` holding `body`, written through a close-on-exec
    /// descriptor (a process spawned meanwhile by another test must not keep it open for
    /// writing, which would make running it fail with ETXTBSY).
    public func script(_ name: String, _ body: String) throws -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        let written = fd >= 0 && write(fd, bytes, bytes.count) == bytes.count
        guard fd >= 0, close(fd) == 0, written else { throw CocoaError(.fileWriteUnknown) }
        return file
    }

    /// The names in `subdirectory` ("" for the directory itself).
    public func contents(_ subdirectory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/" + subdirectory)
    }

    /// Makes `subdirectory` and returns its path.
    public func makeSubdirectory(_ subdirectory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path + "/" + subdirectory, withIntermediateDirectories: false)
        return path + "/" + subdirectory
    }
}
