import Foundation
import KilnFormats
import KilnIR
import KilnRuntime
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `.npy` file put together by hand: magic, version, little-endian header length, header, data.
private func npyBytes(header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
    let text = Array(header.utf8)
    let lengthBytes = version == 1 ? 2 : 4
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    out += (0..<lengthBytes).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return out + text + data
}

/// The error `decodeNPY` gives for `bytes`, or nil when it decodes.
private func decodeError(_ bytes: [UInt8]) -> KilnError? {
    do {
        _ = try decodeNPY(bytes, source: "t.npy")
        return nil
    } catch {
        return error
    }
}

/// The message of the error `body` throws, or nil.
private func thrownMessage(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? KilnError)?.message ?? "\(error)"
    }
}

/// Element `i` of the round-trip tensors: distinct, signed and (for floats) fractional values.
private func sample(_ dtype: DType, _ i: Int) -> Scalar {
    switch dtype {
    case .f32, .f64: return .float(Double(i) * 0.75 - 3)
    case .i32: return .int(Int64(i * 7919 % 201) - 100)
    case .i64: return .int(Int64(i - 5) << 40)
    case .bool: return .bool(i % 3 == 1)
    }
}

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/npy")

private func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

@Suite("NPY")
struct NPYTests {
    static let shapes: [[Int]] = [[], [5], [2, 3], [2, 1, 3], [1, 2, 3, 2]]

    @Test("round trip for every dtype and rank 0...4", arguments: DType.allCases)
    func roundTrip(dtype: DType) throws {
        for shape in Self.shapes {
            let type = TensorType(dtype, shape)
            let t = try HostTensor(type, scalars: (0..<type.count).map { sample(dtype, $0) })
            let bytes = encodeNPY(t)
            #expect(bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]))
            let headerEnd = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
            #expect(headerEnd % 64 == 0)
            #expect(bytes[headerEnd - 1] == 0x0A)
            #expect(bytes.count == headerEnd + type.byteCount)
            let back = try decodeNPY(bytes, source: "t.npy")
            #expect(back.type == type)
            for i in 0..<type.count { #expect(back[i] == sample(dtype, i).cast(to: dtype)) }
        }
    }

    @Test("the header is numpy's dict, padded to 64 bytes")
    func headerText() throws {
        func header(_ type: TensorType) throws -> String {
            let bytes = encodeNPY(try HostTensor(zeros: type))
            return String(decoding: bytes[10..<bytes.count - type.byteCount], as: UTF8.self)
        }
        // Each of these files is 128 bytes up to the data: 10 bytes of prefix, then the header.
        func padded(_ dict: String) -> String { dict + String(repeating: " ", count: 128 - 10 - dict.count - 1) + "\n" }
        #expect(try header(TensorType(.f32, [2, 3])) == padded("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(try header(TensorType(.i64, [7])) == padded("{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }"))
        #expect(try header(.scalar(.bool)) == padded("{'descr': '|b1', 'fortran_order': False, 'shape': (), }"))
        #expect(try header(TensorType(.f64, [0, 4])) == padded("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }"))
        let rank16 = try header(TensorType(.i32, [Int](repeating: 1, count: 16)))
        #expect(rank16.utf8.count == 128 - 10)
        #expect(rank16.hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }"))
    }

    @Test("arrays written by numpy decode to their values")
    func numpyFixtures() throws {
        let cases: [(String, TensorType, [Scalar])] = [
            ("f32_2x3.npy", TensorType(.f32, [2, 3]), [-1, -0.5, 0, 0.5, 1, 1.5].map { .float($0) }),
            ("f64_scalar.npy", .scalar(.f64), [.float(3.25)]),
            ("i32_vector.npy", TensorType(.i32, [5]), [-2_147_483_648, -1, 0, 7, 2_147_483_647].map { .int($0) }),
            ("i64_2x3x4.npy", TensorType(.i64, [2, 3, 4]), (0..<24).map { .int(Int64($0 - 12) * 1_000_000_000_000) }),
            ("bool_2x2.npy", TensorType(.bool, [2, 2]), [true, false, false, true].map { .bool($0) }),
            ("f32_empty_0x3.npy", TensorType(.f32, [0, 3]), []),
            ("f64_v2.npy", TensorType(.f64, [3]), [1.5, -2.0, 1e300].map { .float($0) }),
            ("i32_v3.npy", TensorType(.i32, [2, 2]), [1, 2, 3, 4].map { .int($0) }),
        ]
        for (name, type, values) in cases {
            let t = try readNPY(path: fixture(name))
            #expect(t.type == type, "\(name)")
            #expect((0..<t.count).map { t[$0] } == values, "\(name)")
        }
    }

    @Test("arrays numpy writes in unsupported layouts are errors naming what was found")
    func unsupportedNumpyFixtures() {
        let cases = [
            ("f32_big_endian.npy", "'>f4' is big-endian"),
            ("f32_fortran.npy", "fortran_order is True"),
            ("object.npy", "dtype '|O' is not supported"),
            ("i16.npy", "dtype '<i2' is not supported"),
            ("structured.npy", "structured dtype"),
        ]
        for (name, expected) in cases {
            do {
                _ = try readNPY(path: fixture(name))
                Issue.record("\(name) decoded")
            } catch {
                #expect(error.message.hasPrefix(fixture(name) + ": "), "\(error)")
                #expect(error.message.contains(expected), "\(error)")
            }
        }
    }

    @Test("native-order and '<' bools, '=' floats, format 2.0 and bytes other than 0/1 as true")
    func acceptedVariants() throws {
        let bools = try decodeNPY(npyBytes(header: "{'descr': '<b1', 'fortran_order': False, 'shape': (3,), }\n", data: [0, 1, 2]), source: "b.npy")
        #expect(bools.type == TensorType(.bool, [3]))
        #expect(bools.doubles == [0, 1, 1])
        let native = try decodeNPY(npyBytes(header: "{\"shape\": (1, 1), \"fortran_order\": False, \"descr\": \"=f4\"}", data: [0, 0, 0xC0, 0x3F], version: 2), source: "n.npy")
        #expect(native.type == TensorType(.f32, [1, 1]))
        #expect(native[0] == .float(1.5))
        let nativeBool = try decodeNPY(npyBytes(header: "{'descr':'=b1','fortran_order':False,'shape':()}", data: [1]), source: "s.npy")
        #expect(nativeBool[0] == .bool(true))
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: String
        var testDescription: String { name }
    }

    static let floatHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"

    static let malformed: [Malformed] = [
        Malformed(name: "empty", bytes: [], expected: "does not start with the magic"),
        Malformed(name: "bad magic", bytes: Array("PK\u{3}\u{4}NUMPY".utf8), expected: "not a .npy file"),
        Malformed(name: "magic only", bytes: [0x93] + Array("NUMPY".utf8), expected: "truncated .npy file"),
        Malformed(name: "version 4.0", bytes: npyBytes(header: floatHeader, version: 4), expected: "version 4.0 is not supported"),
        Malformed(name: "no header length", bytes: [0x93] + Array("NUMPY".utf8) + [1, 0, 10], expected: "the header length needs 10"),
        Malformed(name: "header over the limit", bytes: [0x93] + Array("NUMPY".utf8) + [2, 0, 0, 0, 0, 0x80], expected: "the header claims 2147483648 bytes, more than the 65536 Kiln reads"),
        Malformed(name: "header longer than file", bytes: Array(npyBytes(header: floatHeader).dropLast(5)), expected: "header claims"),
        Malformed(name: "not a dict", bytes: npyBytes(header: "['descr', '<f4']"), expected: "expected '{'"),
        Malformed(name: "missing key", bytes: npyBytes(header: "{'descr': '<f4', 'shape': (2,)}"), expected: "missing key"),
        Malformed(name: "extra key", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), expected: "unexpected key 'x'"),
        Malformed(name: "repeated key", bytes: npyBytes(header: "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}"), expected: "'descr' is repeated"),
        Malformed(name: "shape of strings", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}"), expected: "shape entries must be integers"),
        Malformed(name: "shape not a tuple", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': 2}"), expected: "'shape' is repeated or has a value of the wrong kind"),
        Malformed(name: "fortran_order not a bool", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': None, 'shape': ()}"), expected: "'fortran_order' is repeated or has a value of the wrong kind"),
        Malformed(name: "unterminated string", bytes: npyBytes(header: "{'descr': '<f4"), expected: "malformed .npy header (unterminated string"),
        Malformed(name: "missing comma", bytes: npyBytes(header: "{'descr': '<f4' 'fortran_order': False, 'shape': ()}"), expected: "expected ','"),
        Malformed(name: "text after the dict", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x"), expected: "after the closing '}'"),
        Malformed(name: "unknown word", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': false, 'shape': ()}"), expected: "expected a string, number"),
        Malformed(name: "deep nesting", bytes: npyBytes(header: "{'descr': " + String(repeating: "[", count: 5000)), expected: "nesting deeper than"),
        Malformed(name: "huge integer", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"), expected: "integer too large"),
        Malformed(name: "negative dimension", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2)}"), expected: "dimension -1 is negative"),
        Malformed(name: "dimension over the limit", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,)}"), expected: "exceeds the limit"),
        Malformed(name: "too many elements", bytes: npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647)}"), expected: "elements"),
        Malformed(name: "rank 17", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(Array(repeating: "1", count: 17).joined(separator: ", ")))}", data: [0, 0, 0, 0]), expected: "rank 17 exceeds"),
        Malformed(name: "truncated data", bytes: npyBytes(header: floatHeader, data: [0, 0, 0x80, 0x3F, 0, 0]), expected: "truncated data: f32[2] needs 8 bytes, the file holds 6"),
        Malformed(name: "bytes after the data", bytes: npyBytes(header: floatHeader, data: [UInt8](repeating: 0, count: 9)), expected: "unexpected bytes after the data"),
        Malformed(name: "big-endian i8", bytes: npyBytes(header: "{'descr': '>i8', 'fortran_order': False, 'shape': ()}"), expected: "big-endian"),
        Malformed(name: "unsigned dtype", bytes: npyBytes(header: "{'descr': '<u4', 'fortran_order': False, 'shape': ()}"), expected: "'<u4' is not supported; Kiln reads '<f4' (f32)"),
        Malformed(name: "fortran order", bytes: npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1)}", data: [0, 0, 0, 0]), expected: "C-order arrays only"),
    ]

    @Test("malformed files are errors that say what is wrong", arguments: malformed)
    func malformedInput(_ m: Malformed) {
        let error = decodeError(m.bytes)
        #expect(error?.message.hasPrefix("t.npy: ") == true, "\(String(describing: error))")
        #expect(error?.message.contains(m.expected) == true, "\(String(describing: error))")
    }

    @Test("every truncation of a valid file is an error, never a crash")
    func everyTruncation() throws {
        let bytes = encodeNPY(try HostTensor([2, 2], floats: [1, 2, 3, 4]))
        for length in 0..<bytes.count {
            #expect(decodeError(Array(bytes[..<length])) != nil, "length \(length)")
        }
    }

    @Test("writeNPY replaces the file atomically and readNPY reads it back")
    func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.npy").path
        try writeNPY(try HostTensor([3], floats: [9, 9, 9]), path: path)
        try writeNPY(try HostTensor(TensorType(.i64, [2]), scalars: [.int(-4), .int(1 << 40)]), path: path)
        let back = try readNPY(path: path)
        #expect(back.type == TensorType(.i64, [2]))
        #expect(back[0] == .int(-4) && back[1] == .int(1 << 40))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["a.npy"])
        do {
            try writeNPY(back, path: directory.appendingPathComponent("missing/b.npy").path)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect(error.message.contains("missing/b.npy"))
        }
        do {
            _ = try readNPY(path: directory.appendingPathComponent("none.npy").path)
            Issue.record("reading a missing file succeeded")
        } catch {
            #expect(error.message.contains("cannot open"))
        }
    }

    @Test("a file's header is read before its data: its type is known first, and a regular file's size is checked before allocating")
    func headerBeforeData() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Declares 1 GiB of floats, holds 8 bytes.
        let path = directory.appendingPathComponent("huge.npy").path
        try Data(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (16384, 16384), }\n", data: [0, 0, 0, 0, 0, 0, 0, 0]))
            .write(to: URL(fileURLWithPath: path))
        let file = try NPYFile(path: path)
        #expect(file.type == TensorType(.f32, [16384, 16384]))
        #expect(thrownMessage { try file.read() } == "\(path): truncated data: f32[16384,16384] needs 1073741824 bytes, the file holds 8")
        #expect(thrownMessage { try readNPY(path: "/dev/zero") }
            == "/dev/zero: not a .npy file: it does not start with the magic \\x93NUMPY (save it with numpy.save)")
    }

    /// Through a FIFO, whose size is unknown until its end: exactly the declared data is read,
    /// then one byte more to find the end.
    @Test("a pipe holds exactly the declared data, or the error says what it held",
          arguments: [(8, nil), (4, "truncated data: f32[2] needs 8 bytes, the file holds 4"),
                      (9, "unexpected bytes after the data: f32[2] needs 8 bytes, the file holds more")])
    func pipe(dataBytes: Int, expected: String?) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("pipe.npy").path
        #expect(mkfifo(path, 0o600) == 0)
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 7]  // 1.0, -2.0, then a stray byte
        let bytes = npyBytes(header: Self.floatHeader, data: Array(data[0..<dataBytes]))
        // One write of fewer than PIPE_BUF bytes: all of it is in the pipe before the reader can
        // close it, so the writer never meets a closed pipe.
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        do {
            let t = try readNPY(path: path)
            #expect(expected == nil)
            #expect(t.type == TensorType(.f32, [2]) && t.doubles == [1, -2])
        } catch {
            #expect(error.message == "\(path): \(expected ?? "")")
        }
    }
}
