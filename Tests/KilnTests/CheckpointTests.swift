import Foundation
import KilnIR
import KilnRuntime
import Testing
@testable import Kiln
@testable import KilnFormats

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/safetensors")

private func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// Element `i` of the round-trip tensors: distinct, signed and (for floats) fractional values.
private func sample(_ dtype: DType, _ i: Int) -> Scalar {
    switch dtype {
    case .f32: return .float(Double(i) * 0.75 - 3)
    case .f64: return .float(Double(i) / 3 - 1e10)
    case .i32: return .int(Int64(i * 7919 % 201) - 100)
    case .i64: return .int(Int64(i - 5) << 40)
    case .bool: return .bool(i % 3 == 1)
    }
}

private func sampleTensor(_ dtype: DType, _ shape: [Int]) throws -> HostTensor {
    let type = TensorType(dtype, shape)
    return try HostTensor(type, scalars: (0..<type.count).map { sample(dtype, $0) })
}

/// Whether `t` has `type` and holds `sample(type.dtype, i)` at every `i`.
private func holdsSamples(_ t: HostTensor?, _ type: TensorType) -> Bool {
    guard let t, t.type == type else { return false }
    return (0..<type.count).allSatisfy { t[$0] == sample(type.dtype, $0).cast(to: type.dtype) }
}

/// A safetensors file put together by hand: little-endian header length, header text, data.
private func safetensorsBytes(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let text = Array(header.utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) } + text + data
}

private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite("Checkpoints (safetensors)")
struct CheckpointTests {
    static let shapes: [[Int]] = [[], [0], [5], [2, 3], [1, 2, 3]]

    @Test("round trip for every dtype and rank 0...3", arguments: DType.allCases)
    func roundTrip(dtype: DType) throws {
        let tensors = try Self.shapes.enumerated().map { ("t\($0.offset)", try sampleTensor(dtype, $0.element)) }
        let encoded = try encodeSafetensors(tensors)
        let headerLength = (0..<8).reduce(0) { $0 | Int(encoded[$1]) << (8 * $1) }
        #expect(headerLength % 8 == 0)
        #expect(encoded.count == 8 + headerLength + tensors.map { $0.1.type.byteCount }.reduce(0, +))
        let (back, metadata) = try decodeSafetensors(encoded, source: "t")
        #expect(metadata.isEmpty)
        #expect(back.map(\.0) == tensors.map(\.0))
        for ((_, t), shape) in zip(back, Self.shapes) { #expect(holdsSamples(t, TensorType(dtype, shape))) }
    }

    @Test("save and load a file holding every dtype, with metadata")
    func fileRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        let tensors = try DType.allCases.map { ("layers.\($0.rawValue)", try sampleTensor($0, [2, 3])) }
        let metadata = ["epoch": "12", "text": "quote \" backslash \\ newline \n tab \t \u{1} café 😀", "": "empty key"]
        try saveCheckpoint(tensors, metadata: metadata, path: path)
        let (loaded, loadedMetadata) = try loadCheckpoint(path: path)
        #expect(loadedMetadata == metadata)
        #expect(Set(loaded.keys) == Set(tensors.map(\.0)))
        for dtype in DType.allCases { #expect(holdsSamples(loaded["layers.\(dtype.rawValue)"], TensorType(dtype, [2, 3]))) }
    }

    /// Written by `make_fixtures.py`: from the specification with the header keys in another order
    /// than the data, and by the reference implementation (the `safetensors` package).
    @Test("reads files written by Python",
          arguments: ["python_sorted_header.safetensors", "reference_library.safetensors"])
    func pythonFile(name: String) throws {
        let (tensors, metadata) = try loadCheckpoint(path: fixture(name))
        #expect(metadata == ["format": "pt", "epoch": "3", "note": "café \"quoted\"\n"])
        #expect(tensors["layers.0.weight"]?.type == TensorType(.f32, [2, 3]))
        #expect(tensors["layers.0.weight"]?.doubles == [1.5, -2, 0.25, 3, 4.5, -6])
        #expect(tensors["layers.0.bias"]?.type == TensorType(.f64, []) && tensors["layers.0.bias"]?.doubles == [-0.125])
        #expect(tensors["step"]?.type == TensorType(.i32, [4]) && tensors["step"]?.doubles == [7, -1, 2_147_483_647, -2_147_483_648])
        #expect(tensors["ids"]?.type == TensorType(.i64, [2, 2]))
        #expect(tensors["ids"].map { t in (0..<4).map { t[$0].asInt64 } } == [1 << 40, -3, 0, 5])
        #expect(tensors["mask"]?.type == TensorType(.bool, [3]) && tensors["mask"]?.doubles == [1, 0, 1])
        #expect(tensors["empty"]?.type == TensorType(.f32, [0, 2]))
        #expect(tensors.count == 6)
    }

    @Test("writes what the Python script writes, byte for byte")
    func byteForByte() throws {
        let expected = try bytes(fixture("python_data_order.safetensors"))
        let (tensors, metadata) = try decodeSafetensors(expected, source: "python")
        #expect(tensors.map(\.0) == ["layers.0.weight", "layers.0.bias", "step", "ids", "mask", "empty"])
        #expect(try encodeSafetensors(tensors, metadata: metadata) == expected)
    }

    @Test("bytes of a BOOL tensor other than 0 and 1 read as true")
    func boolBytes() throws {
        let file = safetensorsBytes(#"{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#, data: [0, 2, 255])
        #expect(try decodeSafetensors(file, source: "t").tensors.first?.1.doubles == [0, 1, 1])
    }

    @Test("writes are atomic: no temporary file is left, a failed write leaves the old file")
    func atomicity() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ckpt.safetensors"
        try saveCheckpoint([("a", try sampleTensor(.f32, [3]))], path: path)
        try saveCheckpoint([("b", try sampleTensor(.i64, [2]))], metadata: ["v": "2"], path: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["ckpt.safetensors"])
        let saved = try bytes(path)
        #expect(try loadCheckpoint(path: path).tensors.keys.sorted() == ["b"])

        let duplicate = caughtKilnError { try saveCheckpoint([("a", try sampleTensor(.f32, [1])), ("a", try sampleTensor(.f32, [1]))], path: path) }
        #expect(duplicate?.message == "cannot save tensor 'a': the name is used twice")
        #expect(caughtKilnError { try saveCheckpoint([("__metadata__", try sampleTensor(.f32, [1]))], path: path) }?.message.contains("reserved") == true)
        let missing = directory + "/no/such/dir/ckpt.safetensors"
        #expect(caughtKilnError { try saveCheckpoint([("a", try sampleTensor(.f32, [1]))], path: missing) }?.message.contains("cannot write '\(missing)'") == true)
        // Renaming over a directory fails after the temporary file was written: it is removed.
        let occupied = directory + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied + "/inner", withIntermediateDirectories: true)
        #expect(caughtKilnError { try saveCheckpoint([("a", try sampleTensor(.f32, [1]))], path: occupied) }?.message.contains("renaming") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["ckpt.safetensors", "occupied"])
        #expect(try bytes(path) == saved)
    }

    static let f32Pair = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#

    /// Malformed files made by hand, each with (part of) the error it must give.
    static let malformed: [(String, [UInt8], String)] = [
        ("short", [1, 2, 3], "truncated safetensors file: 3 bytes, the header length alone needs 8"),
        ("header past the end", [100, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), "the header claims 100 bytes but only 2 follow"),
        ("huge header length", [0, 0, 0, 0, 0, 1, 0, 0], "header length 1099511627776 exceeds the limit"),
        ("bad JSON", safetensorsBytes(#"{"a":"#), "malformed JSON header: unexpected end of JSON at byte 5"),
        ("text after JSON", safetensorsBytes("{} x"), "malformed JSON header: unexpected text after the JSON value at byte 3"),
        ("not an object", safetensorsBytes("[]"), "the header is not a JSON object"),
        ("duplicate name", safetensorsBytes("{\(f32Pair),\(f32Pair)}", data: [UInt8](repeating: 0, count: 8)), "duplicate key \"a\""),
        ("unsupported dtype", safetensorsBytes(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         "tensor 'h': dtype F16 is not supported; Kiln reads F32, F64, I32, I64, BOOL"),
        ("truncated data", safetensorsBytes("{\(f32Pair)}", data: [0, 0, 0, 0]),
         "tensor 'a': data_offsets [0, 8] go past the 4 bytes of data"),
        ("size mismatch", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         "tensor 'a': data_offsets [0, 4] hold 4 bytes, f32[2] needs 8"),
        ("reversed offsets", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
         "data_offsets [4, 0] must be [begin, end] with 0 <= begin <= end"),
        ("overlap", safetensorsBytes("{\(f32Pair),\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                                     data: [UInt8](repeating: 0, count: 12)),
         "tensor 'b' (bytes 4..<12) overlaps tensor 'a' (which ends at byte 8)"),
        ("hole", safetensorsBytes(#"{"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}"#,
                                  data: [UInt8](repeating: 0, count: 12)),
         "bytes 4..<8 of the data belong to no tensor"),
        ("trailing data", safetensorsBytes("{\(f32Pair)}", data: [UInt8](repeating: 0, count: 10)),
         "bytes 8..<10 of the data belong to no tensor"),
        ("metadata value", safetensorsBytes(#"{"__metadata__":{"epoch":3}}"#), "__metadata__: value of 'epoch' is not a string"),
        ("unknown field", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}}"#, data: [0, 0, 0, 0]),
         "tensor 'a': unexpected field \"x\""),
        ("missing field", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[]}}"#), "tensor 'a': expected an object with \"dtype\", \"shape\" and \"data_offsets\""),
        ("negative dim", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), "shape must be an array of non-negative integers"),
        ("fractional offset", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4.0]}}"#, data: [0, 0, 0, 0]),
         "data_offsets must be an array of non-negative integers"),
        ("huge dim", safetensorsBytes(#"{"a":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,0]}}"#), "dimension 4294967296 exceeds the limit"),
    ]

    @Test("malformed files give errors naming the file and the problem")
    func malformedFiles() {
        for (name, file, problem) in Self.malformed {
            let error = caughtKilnError { try decodeSafetensors(file, source: "f.safetensors") }
            #expect(error?.message.hasPrefix("f.safetensors: ") == true, "\(name): \(String(describing: error))")
            #expect(error?.message.contains(problem) == true, "\(name): \(String(describing: error))")
        }
        #expect(caughtKilnError { try loadCheckpoint(path: "/nonexistent/x.safetensors") }?.message.contains("cannot open '/nonexistent/x.safetensors'") == true)
    }

    @Test("files on disk give the same errors, reading no more than the header describes")
    func malformedFilesOnDisk() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/f.safetensors"
        for (name, file, problem) in Self.malformed {
            try Data(file).write(to: URL(fileURLWithPath: path))
            let error = caughtKilnError { try loadCheckpoint(path: path) }
            #expect(error?.message.hasPrefix(path + ": ") == true, "\(name): \(String(describing: error))")
            #expect(error?.message.contains(problem) == true, "\(name): \(String(describing: error))")
        }
        // An endless device: 8 zero bytes say the header is empty, and nothing more is read.
        let start = Date()
        let zero = caughtKilnError { try loadCheckpoint(path: "/dev/zero") }
        #expect(zero?.message == "/dev/zero: malformed JSON header: unexpected end of JSON at byte 0")
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// The temporary files of writes whose process was killed: the process ran and is gone.
    @Test("a write removes temporary files that killed writers left, and keeps live writers' ones")
    func staleTemporaryFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ck.safetensors"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        let live = "ck.safetensors.tmp-\(child.processIdentifier)-live"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/" + live))
        var stale: [String] = []
        for k in 0..<3 {
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sleep")
            writer.arguments = ["60"]
            try writer.run()
            stale.append("ck.safetensors.tmp-\(writer.processIdentifier)-\(k)")
            try Data(count: 2_000_000).write(to: URL(fileURLWithPath: directory + "/" + stale[k]))
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
        }
        let unrelated = ["other.safetensors.tmp-1-x", "ck.safetensors.tmp-notapid-x"]
        for name in unrelated { try Data().write(to: URL(fileURLWithPath: directory + "/" + name)) }
        try saveCheckpoint([("a", try sampleTensor(.f32, [3]))], path: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == (["ck.safetensors", live] + unrelated).sorted())
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        try saveCheckpoint([("a", try sampleTensor(.f32, [3]))], path: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == (["ck.safetensors"] + unrelated).sorted())
        #expect(holdsSamples(try loadCheckpoint(path: path).tensors["a"], TensorType(.f32, [3])))
    }

    @Test("checkpoint paths are checked before any training")
    func checkpointPaths() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try checkCheckpointPath(directory + "/ck.safetensors")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        let missing = caughtKilnError { try checkCheckpointPath(directory + "/no/ck.safetensors") }
        #expect(missing?.message == "cannot write checkpoint '\(directory)/no/ck.safetensors': No such file or directory; create its directory or choose another path")
        let isDirectory = caughtKilnError { try checkCheckpointPath(directory) }
        #expect(isDirectory?.message.hasPrefix("cannot write checkpoint '\(directory)': it is a directory") == true)
    }
}

@Suite("JSON")
struct JSONTests {
    @Test("parses every kind of value and writes it back compactly")
    func values() throws {
        let json = try JSON.parse(Array(#" { "a" : [1, -20, 3.5, 1e3, -0, true, false, null, "x"], "b": {}, "c": [] } "#.utf8))
        #expect(json.text == #"{"a":[1,-20,3.5,1000.0,0,true,false,null,"x"],"b":{},"c":[]}"#)
        #expect(try JSON.parse(Array(json.text.utf8)).text == json.text)
    }

    @Test("escapes and Unicode")
    func strings() throws {
        let parsed = try JSON.parse(Array(#""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 é""#.utf8))
        guard case .string(let s) = parsed else { Issue.record("not a string: \(parsed.text)"); return }
        #expect(s == "\"\\/\u{8}\u{C}\n\r\té😀 é")
        let tricky = "\u{1}\u{1F}\"\\\n😀"
        #expect(JSON.string(tricky).text == #""\u0001\u001f\"\\\n😀""#)
        guard case .string(let back) = try JSON.parse(Array(JSON.string(tricky).text.utf8)) else { Issue.record("not a string"); return }
        #expect(back == tricky)
    }

    @Test("rejects malformed text")
    func errors() {
        let cases: [([UInt8], String)] = [
            (Array(#"{"a":1,"a":2}"#.utf8), "duplicate key \"a\""),
            (Array("01".utf8), "leading zero"),
            (Array("[1,]".utf8), "expected a JSON value"),
            (Array("[1 2]".utf8), "expected ','"),
            (Array(#"{"a" 1}"#.utf8), "expected ':'"),
            (Array(#"{1:2}"#.utf8), "expected a string key"),
            (Array(#""\ud800""#.utf8), "unpaired surrogate"),
            (Array(#""\x""#.utf8), "invalid escape"),
            (Array(#""\u12g4""#.utf8), "expected four hex digits"),
            (Array("\"abc".utf8), "unterminated string"),
            ([0x22, 0x0A, 0x22], "unescaped control character"),
            ([0x22, 0xFF, 0x22], "invalid UTF-8"),
            (Array("99999999999999999999".utf8), "does not fit in 64 bits"),
            (Array("1.".utf8), "expected digits after '.'"),
            (Array("tru".utf8), "expected 'true'"),
            (Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8), "nesting deeper than 64"),
            ([], "unexpected end of JSON"),
        ]
        for (text, problem) in cases {
            let error = caughtKilnError { try JSON.parse(text) }
            #expect(error?.message.contains(problem) == true, "\(String(decoding: text, as: UTF8.self)): \(String(describing: error))")
        }
    }
}

@Suite("Module checkpoints")
struct ModuleCheckpointTests {
    private func model(seed: UInt64, hidden: Int = 3) throws -> Sequential {
        Sequential(try Linear(4, hidden, seed: seed), Activation(relu), try Linear(hidden, 2, seed: seed + 1))
    }

    @Test("save and load restore every parameter by name")
    func roundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        let source = try model(seed: 1), target = try model(seed: 10)
        try source.save(to: path, metadata: ["epoch": "4"])
        let names = try loadCheckpoint(path: path).tensors.keys.sorted()
        #expect(names == ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"])
        let storage = target.parameters.map(\.value)
        #expect(source.parameters.map(\.value.doubles) != target.parameters.map(\.value.doubles))
        #expect(try target.load(from: path) == ["epoch": "4"])
        #expect(source.parameters.map(\.value.doubles) == target.parameters.map(\.value.doubles))
        #expect(zip(storage, target.parameters).allSatisfy { $0 === $1.value })
        let x = try Tensor(shape: [1, 4], [0.5, -1, 2, 0.25])
        #expect(try source(x).scalars() == target(x).scalars())
    }

    @Test("a checkpoint of another architecture is rejected with every mismatch, and nothing changes")
    func mismatches() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try model(seed: 1).save(to: path)
        let wider = try model(seed: 5, hidden: 6)
        let before = wider.parameters.map(\.value.doubles)
        let error = caughtKilnError { try wider.load(from: path) }
        #expect(error?.message.hasPrefix("checkpoint '\(path)' does not fit the model (nothing was loaded):") == true)
        for problem in ["layers.0.weight: the file has f32[4,3], the model needs f32[4,6]",
                        "layers.0.bias: the file has f32[3], the model needs f32[6]",
                        "layers.2.weight: the file has f32[3,2], the model needs f32[6,2]"] {
            #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
        }
        #expect(error?.message.contains("layers.2.bias") == false)
        #expect(wider.parameters.map(\.value.doubles) == before)

        let deeper = Sequential(try Linear(4, 3, seed: 1), Activation(relu), try Linear(3, 2, seed: 2), try Linear(2, 2, seed: 3))
        let missing = caughtKilnError { try deeper.load(from: path) }
        #expect(missing?.message.contains("missing layers.3.weight (f32[2,2])") == true && missing?.message.contains("missing layers.3.bias (f32[2])") == true)
        let shallower = Sequential(try Linear(4, 3, seed: 1))
        let unexpected = caughtKilnError { try shallower.load(from: path) }
        #expect(unexpected?.message.contains("unexpected layers.2.weight (f32[3,2]), which the model does not have") == true)
    }
}
