import Foundation
import Kiln
@testable import KilnTensorBoard
import KilnTestSupport
import Testing

/// A fresh directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tb-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// The events of the file `writer` writes, read back from disk by the tests' own decoder.
func events(of writer: SummaryWriter) throws -> [TensorBoardEvent] {
    try decodeTensorBoardEvents(Array(try Data(contentsOf: URL(fileURLWithPath: writer.path))))
}

@Suite("TensorBoard event files")
struct EventFileTests {
    @Test("CRC-32C matches the standard check value and RFC 3720's test vectors")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map(UInt8.init)) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
        // The table-driven code against the tests' bit-by-bit one, on seeded random bytes.
        var rng = SplitMix64(seed: 7)
        for length in [1, 3, 17, 255, 1000] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(CRC32C.checksum(bytes) == bitwiseCRC32C(bytes), "length \(length)")
        }
    }

    @Test("scalars are read back with their tags, steps, wall times and f32 values")
    func scalarsRoundTrip() throws {
        let root = try temporaryDirectory(), directory = root + "/runs/a"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try SummaryWriter(logDirectory: directory)
        #expect(writer.path.hasPrefix(directory + "/events.out.tfevents."))
        try writer.addScalar("train/loss", 2.302585092994046, step: 1, wallTime: 1_700_000_000.25)
        try writer.addScalars([("test/loss", 0.5), ("test/accuracy", 0.875), ("odd \"tag\"/ü", -1e-30)], step: 4_294_967_296,
                              wallTime: 1_700_000_001.5)
        try writer.addScalar("zero", 0, step: 0, wallTime: 3)
        try writer.close()
        let read = try events(of: writer)
        #expect(read.count == 4)
        #expect(read[0].fileVersion == "brain.Event:2" && read[0].scalars.isEmpty && read[0].wallTime > 1.7e9)
        #expect(read.dropFirst().elementsEqual([
            TensorBoardEvent(wallTime: 1_700_000_000.25, step: 1, fileVersion: nil, scalars: [("train/loss", Float(2.302585092994046))]),
            TensorBoardEvent(wallTime: 1_700_000_001.5, step: 4_294_967_296, fileVersion: nil,
                             scalars: [("test/loss", 0.5), ("test/accuracy", 0.875), ("odd \"tag\"/ü", Float(-1e-30))]),
            TensorBoardEvent(wallTime: 3, step: 0, fileVersion: nil, scalars: [("zero", 0)]),
        ]))
    }

    @Test("every record is on disk as soon as it is added: a crash loses at most the one being written")
    func recordsAreWrittenAtOnce() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try SummaryWriter(logDirectory: directory)
        for step in 1...5 {
            try writer.addScalar("x", Double(step), step: step)
            let read = try events(of: writer)
            #expect(read.count == step + 1 && read.last?.scalars.first?.value == Float(step))
        }
        // A record cut short (a crash in the middle of a write) leaves every earlier one readable.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        let cut = try decodeTensorBoardEvents(Array(bytes.dropLast(3)), allowTruncatedEnd: true)
        #expect(cut.count == 5 && cut.last?.scalars.first?.value == 4)
    }

    @Test("two writers in one directory write two files")
    func twoWriters() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = try SummaryWriter(logDirectory: directory), b = try SummaryWriter(logDirectory: directory)
        #expect(a.path != b.path)
        try a.addScalar("a", 1, step: 1)
        try b.addScalar("b", 2, step: 1)
        #expect(try events(of: a).last?.scalars.first?.tag == "a" && events(of: b).last?.scalars.first?.tag == "b")
    }

    @Test("bad steps, empty tags, writes after close and unwritable directories are errors naming the fix")
    func errors() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try SummaryWriter(logDirectory: directory)
        let negative = #expect(throws: KilnError.self) { try writer.addScalar("loss", 1, step: -1) }
        #expect(negative?.message == "TensorBoard step -1 is negative; steps count from 0")
        let empty = #expect(throws: KilnError.self) { try writer.addScalar("", 1, step: 1) }
        #expect(empty?.message.contains("has an empty tag; name the series") == true)
        try writer.close()
        let closed = #expect(throws: KilnError.self) { try writer.addScalar("loss", 1, step: 1) }
        #expect(closed?.message.contains("is closed; create a new SummaryWriter") == true)
        #expect(try events(of: writer).count == 1, "nothing was written by the failed calls")
        #expect(FileManager.default.createFile(atPath: directory + "/file", contents: Data()))
        let blocked = #expect(throws: KilnError.self) { try SummaryWriter(logDirectory: directory + "/file/run") }
        #expect(blocked?.message.hasPrefix("cannot create directory '\(directory)/file/run'") == true, "\(String(describing: blocked))")
        let badEvery = #expect(throws: KilnError.self) { try TrainingLog(directory: directory, every: 0) }
        #expect(badEvery?.message == "a training log records every N steps with N at least 1, got 0")
    }
}
