import Foundation
import KilnTestSupport
import Testing

/// The fixture is a `kiln train` run and what TensorBoard's own reader made of it:
///
///     kiln train --data Tests/KilnTests/Fixtures/fashion --batch-size 2 --epochs 2 --log-every 1 --log-dir DIR
///     PYTHON=/path/to/python-with-tensorboard scripts/tensorboard-scalars.sh DIR > Fixtures/scalars.txt
///
/// with the event file copied to Fixtures/run/.
@Suite("TensorBoard's reader on a kiln train run")
struct TensorBoardReaderFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The output format of scripts/tensorboard_scalars.py, from the tests' own decoder.
    static func scalarListing(_ directory: URL) throws -> String {
        var lines: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).filter({ $0.contains("tfevents") }).sorted() {
            let events = try decodeTensorBoardEvents(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
            lines.append("file \(name) records \(events.count) version \(events.compactMap(\.fileVersion).first ?? "-")")
            var byTag: [String: [String]] = [:]
            for event in events {
                for (tag, value) in event.scalars {
                    let bits = String(value.bitPattern, radix: 16)
                    byTag[tag, default: []].append("\(tag) \(event.step) \(Double(value)) \(String(repeating: "0", count: 8 - bits.count) + bits) \(event.wallTime)")
                }
            }
            for tag in byTag.keys.sorted() { lines += byTag[tag] ?? [] }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    @Test("the tests' decoder reads every scalar TensorBoard's reader read, with the same step, value and wall time")
    func decoderReproducesTensorBoard() throws {
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("scalars.txt"), encoding: .utf8)
        #expect(try Self.scalarListing(Self.fixtures.appendingPathComponent("run")) == expected)
        // Two epochs of three steps, logged every step: 3 series of 6 and 2 series of 2, plus the version record.
        #expect(expected.split(separator: "\n").count == 1 + 3 * 6 + 2 * 2)
        #expect(expected.hasPrefix("file events.out.tfevents.") && expected.contains(" records 9 version brain.Event:2\n"))
    }
}
