import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
import KilnSupport
#endif

// NumPy's .npy format: the magic "\x93NUMPY", a major and a minor version byte, the header length
// (little-endian u16 in version 1.0, u32 in 2.0 and 3.0), a header that is a Python dict literal
// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and ended by
// '\n', then the elements in row-major order. Tensors are stored as the host holds them, so the
// raw copies below assume a little-endian host.
#if _endian(big)
#error("Kiln's .npy support assumes a little-endian host")
#endif

private let npyMagic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
private let supportedDtypes = "'<f4' (f32), '<f8' (f64), '<i4' (i32), '<i8' (i64) and '|b1' (bool)"

/// The longest `.npy` header Kiln reads (64 KiB; numpy writes a few hundred bytes at most for the
/// dtypes and ranks Kiln supports).
public let maxNPYHeaderBytes = 1 << 16

/// Decodes the bytes of a NumPy `.npy` file (format 1.0, 2.0 or 3.0; little-endian `f4 f8 i4 i8`
/// or `b1`; C order). Anything else is an error that names `source`, what was found and what is
/// supported.
public func decodeNPY(_ bytes: [UInt8], source: String) throws(KilnError) -> HostTensor {
    var memory = MemorySource(bytes: bytes)
    let type = try readNPYHeader(from: &memory, source: source)
    return try readNPYData(type, from: &memory, source: source)
}

/// An open `.npy` file whose header has been read, so its type can be checked before any data is.
///
/// ```swift
/// let file = try NPYFile(path: "x.npy")
/// guard file.type == expected else { ... }
/// let x = try file.read()
/// ```
public final class NPYFile {
    public let path: String
    /// The type the header declares.
    public let type: TensorType
    private var reader: FileReader

    /// Opens `path` and reads its magic and header (at most `maxNPYHeaderBytes`), no more: an
    /// error names the file and what is wrong.
    public init(path: String) throws(KilnError) {
        var reader = try FileReader(path: path)
        type = try readNPYHeader(from: &reader, source: path)
        (self.path, self.reader) = (path, reader)
    }

    /// Reads exactly the declared data into a new tensor and checks that nothing follows it (call
    /// it once). A regular file's size is checked before the tensor is allocated.
    public func read() throws(KilnError) -> HostTensor {
        try readNPYData(type, from: &reader, source: path)
    }
}

/// Reads the `.npy` file at `path` (see `decodeNPY` and `NPYFile`).
public func readNPY(path: String) throws(KilnError) -> HostTensor {
    try NPYFile(path: path).read()
}

/// The `.npy` header of a tensor of `type`: format 1.0 (2.0 if the header is too long for 1.0),
/// C order, padded so the data starts on a 64-byte boundary as numpy aligns it.
private func npyHeader(_ type: TensorType) -> [UInt8] {
    let shape = type.shape.map(String.init)
    let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.joined(separator: ", ")))"
    let dict = Array("{'descr': '\(npyDescr(type.dtype))', 'fortran_order': False, 'shape': \(tuple), }".utf8)
    // The header (dict, space padding, '\n') ends on a 64-byte boundary.
    func paddedLength(prefix: Int) -> Int { (prefix + dict.count + 1 + 63) / 64 * 64 - prefix }
    let lengthSize = paddedLength(prefix: 10) <= Int(UInt16.max) ? 2 : 4
    let headerLength = paddedLength(prefix: 8 + lengthSize)
    var out = npyMagic + [lengthSize == 2 ? 1 : 2, 0]
    for i in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
    out += dict
    out += [UInt8](repeating: 0x20, count: headerLength - dict.count - 1)
    out.append(0x0A)
    return out
}

/// The `.npy` encoding of `t` (see `npyHeader`).
public func encodeNPY(_ t: HostTensor) -> [UInt8] {
    npyHeader(t.type) + UnsafeRawBufferPointer(start: t.data, count: t.type.byteCount)
}

/// Writes `t` to `path` as `.npy`, atomically: a temporary file in the same directory is written
/// (the header, then the tensor's storage as it is, without a copy), synced and renamed over
/// `path`, so readers never see a partial file.
public func writeNPY(_ t: HostTensor, path: String) throws(KilnError) {
    let data = UnsafeRawBufferPointer(start: t.data, count: t.type.byteCount)
    try npyHeader(t.type).withUnsafeBytes { header in
        Result { () throws(KilnError) in try writeFileAtomically([header, data], path: path) }
    }.get()
}

/// Where `.npy` bytes come from, in order: a file or bytes in memory.
private protocol NPYSource {
    /// Fills `buffer` with the next bytes; returns how many it got, fewer only at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(KilnError) -> Int
    /// The bytes left, when known before reading them.
    var remainingBytes: Int? { get }
}

extension FileReader: NPYSource {}

private struct MemorySource: NPYSource {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var remainingBytes: Int? { bytes.count - offset }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 { bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) } }
        offset += n
        return n
    }
}

extension NPYSource {
    /// The next `count` bytes, fewer only at the end.
    mutating func readBytes(_ count: Int) throws(KilnError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        return Array(buffer[0..<(try read(into: buffer))])
    }
}

/// Reads the magic, version, header length and header (at most `maxNPYHeaderBytes`) from
/// `source` and returns the type the header declares.
private func readNPYHeader(from source: inout some NPYSource, source name: String) throws(KilnError) -> TensorType {
    func fail(_ message: String) -> KilnError { KilnError("\(name): \(message)") }
    let prefix = try source.readBytes(8)
    guard prefix.starts(with: npyMagic) else {
        throw fail("not a .npy file: it does not start with the magic \\x93NUMPY (save it with numpy.save)")
    }
    guard prefix.count == 8 else { throw fail("truncated .npy file: \(prefix.count) bytes, the version alone needs 8") }
    let (major, minor) = (prefix[6], prefix[7])
    let lengthSize: Int
    switch (major, minor) {
    case (1, 0): lengthSize = 2
    case (2, 0), (3, 0): lengthSize = 4
    default: throw fail(".npy format version \(major).\(minor) is not supported; Kiln reads versions 1.0, 2.0 and 3.0")
    }
    let lengthBytes = try source.readBytes(lengthSize)
    guard lengthBytes.count == lengthSize else {
        throw fail("truncated .npy file: \(8 + lengthBytes.count) bytes, the header length needs \(8 + lengthSize)")
    }
    let headerLength = lengthBytes.indices.reduce(0) { $0 | Int(lengthBytes[$1]) << (8 * $1) }
    guard headerLength <= maxNPYHeaderBytes else {
        throw fail("the header claims \(headerLength) bytes, more than the \(maxNPYHeaderBytes) Kiln reads; is this a .npy file numpy wrote?")
    }
    if let remaining = source.remainingBytes, headerLength > remaining {
        throw fail("truncated .npy file: the header claims \(headerLength) bytes but only \(remaining) follow")
    }
    let header = try source.readBytes(headerLength)
    guard header.count == headerLength else {
        throw fail("truncated .npy file: the header claims \(headerLength) bytes but only \(header.count) follow")
    }
    do {
        return try parseNPYHeader(header[...])
    } catch {
        throw fail(error.message)
    }
}

/// Reads exactly the data of `type` from `source` (checked against the size left first, when it
/// is known) and checks that nothing follows it.
private func readNPYData(_ type: TensorType, from source: inout some NPYSource, source name: String) throws(KilnError) -> HostTensor {
    func mismatch(holds: String, short: Bool) -> KilnError {
        KilnError("\(name): \(short ? "truncated data" : "unexpected bytes after the data"): \(type) needs \(type.byteCount) bytes, the file holds \(holds)")
    }
    if let remaining = source.remainingBytes, remaining != type.byteCount {
        throw mismatch(holds: "\(remaining)", short: remaining < type.byteCount)
    }
    let tensor = try HostTensor(uninitialized: type)
    let got = try source.read(into: UnsafeMutableRawBufferPointer(start: tensor.data, count: type.byteCount))
    guard got == type.byteCount else { throw mismatch(holds: "\(got)", short: true) }
    guard try source.readBytes(1).isEmpty else { throw mismatch(holds: "more", short: false) }
    if type.dtype == .bool {
        // numpy writes 0 and 1; any other byte is true, stored as Swift's 1.
        let raw = tensor.data.assumingMemoryBound(to: UInt8.self)
        for i in 0..<type.count where raw[i] > 1 { raw[i] = 1 }
    }
    return tensor
}

private func npyDescr(_ dtype: DType) -> String {
    switch dtype {
    case .f32: return "<f4"
    case .f64: return "<f8"
    case .i32: return "<i4"
    case .i64: return "<i8"
    case .bool: return "|b1"
    }
}

/// The dtype of a `descr`; `=` (native order) is little-endian on every host Kiln supports.
private func dtype(ofDescr descr: String) throws(KilnError) -> DType {
    let order = descr.prefix(1), kind = descr.dropFirst()
    switch (order, kind) {
    case ("<", "f4"), ("=", "f4"): return .f32
    case ("<", "f8"), ("=", "f8"): return .f64
    case ("<", "i4"), ("=", "i4"): return .i32
    case ("<", "i8"), ("=", "i8"): return .i64
    case ("|", "b1"), ("<", "b1"), ("=", "b1"): return .bool
    case (">", "f4"), (">", "f8"), (">", "i4"), (">", "i8"):
        throw KilnError("dtype '\(descr)' is big-endian; Kiln reads little-endian \(supportedDtypes) (convert with array.astype('<\(kind)'))")
    default:
        throw KilnError("dtype '\(descr)' is not supported; Kiln reads \(supportedDtypes)")
    }
}

/// The tensor type described by a `.npy` header.
private func parseNPYHeader(_ header: ArraySlice<UInt8>) throws(KilnError) -> TensorType {
    let text = String(decoding: header, as: UTF8.self).trimmingWhitespace()
    let shown = text.count > 200 ? text.prefix(200) + "..." : text
    var parser = PythonLiteralParser(bytes: Array(header))
    let entries: [(String, PythonLiteral)]
    do {
        entries = try parser.parseHeaderDict()
    } catch {
        throw KilnError("malformed .npy header (\(error.message)): \(shown)")
    }
    func fail(_ message: String) -> KilnError { KilnError("\(message) in .npy header \(shown)") }
    var descr: String?, fortranOrder: Bool?, shape: [Int]?
    for (key, value) in entries {
        switch (key, value) {
        case ("descr", .string(let s)) where descr == nil: descr = s
        case ("descr", .list) where descr == nil:
            throw fail("structured dtype (a list of fields) is not supported; Kiln reads \(supportedDtypes)")
        case ("fortran_order", .bool(let b)) where fortranOrder == nil: fortranOrder = b
        case ("shape", .tuple(let dims)) where shape == nil:
            var ints: [Int] = []
            for dim in dims {
                guard case .int(let d) = dim else { throw fail("shape entries must be integers") }
                ints.append(d)
            }
            shape = ints
        case ("descr", _), ("fortran_order", _), ("shape", _):
            throw fail("key '\(key)' is repeated or has a value of the wrong kind")
        default:
            throw fail("unexpected key '\(key)'; a header holds only 'descr', 'fortran_order' and 'shape'")
        }
    }
    guard let descr, let fortranOrder, let shape else {
        throw fail("missing key; a header holds 'descr', 'fortran_order' and 'shape'")
    }
    let dtype = try dtype(ofDescr: descr)
    guard !fortranOrder else {
        throw KilnError("fortran_order is True; Kiln reads C-order arrays only (save numpy.ascontiguousarray(array))")
    }
    let type = TensorType(dtype, shape)
    do {
        try checkLimits(type)
    } catch {
        throw KilnError("shape \(shape) is not supported: \(error.message)")
    }
    return type
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

/// The Python literals a `.npy` header may hold.
private indirect enum PythonLiteral {
    case string(String)
    case bool(Bool)
    case int(Int)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(String, PythonLiteral)])
}

/// A parser for the subset of Python literal syntax that `.npy` headers use.
private struct PythonLiteralParser: TextCursor {
    let bytes: [UInt8]
    var position = 0
    /// Deepest nesting accepted, so that no header can exhaust the stack.
    static let maxDepth = 32

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The top-level dict; only whitespace may follow it.
    mutating func parseHeaderDict() throws(KilnError) -> [(String, PythonLiteral)] {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{"), case .dict(let entries) = try parseValue(depth: 0) else {
            throw error("expected '{' at the start")
        }
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected text after the closing '}'") }
        return entries
    }

    private mutating func parseValue(depth: Int) throws(KilnError) -> PythonLiteral {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        guard let b = peek() else { throw error("unexpected end of header") }
        switch b {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "("): return .tuple(try parseSequence(close: ")", depth: depth))
        case UInt8(ascii: "["): return .list(try parseSequence(close: "]", depth: depth))
        case UInt8(ascii: "{"): return .dict(try parseDict(depth: depth))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try parseInt())
        default:
            let start = position
            while let c = peek(), isIdentifierByte(c) { position += 1 }
            switch String(decoding: bytes[start..<position], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                position = start
                throw error("expected a string, number, True, False, tuple, list or dict")
            }
        }
    }

    private mutating func parseString() throws(KilnError) -> String {
        let quote = bytes[position]
        position += 1
        let start = position
        while let b = peek(), b != quote {
            guard b != UInt8(ascii: "\\"), b != 0x0A else { throw error("unsupported character in a string") }
            position += 1
        }
        guard peek() == quote else { throw error("unterminated string") }
        position += 1
        return String(decoding: bytes[start..<position - 1], as: UTF8.self)
    }

    private mutating func parseInt() throws(KilnError) -> Int {
        let negative = peek() == UInt8(ascii: "-")
        if negative { position += 1 }
        var value = 0
        var digits = 0
        while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw error("integer too large") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("expected digits") }
        return negative ? -value : value
    }

    /// Comma-separated values up to `close`; a trailing comma is allowed.
    private mutating func parseSequence(close: Character, depth: Int) throws(KilnError) -> [PythonLiteral] {
        position += 1
        var items: [PythonLiteral] = []
        while true {
            skipWhitespace()
            if peek() == close.asciiValue { position += 1; return items }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek() == close.asciiValue { continue }
            try expect(",")
        }
    }

    private mutating func parseDict(depth: Int) throws(KilnError) -> [(String, PythonLiteral)] {
        position += 1
        var entries: [(String, PythonLiteral)] = []
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { position += 1; return entries }
            guard peek() == UInt8(ascii: "'") || peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            try expect(":")
            entries.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { continue }
            try expect(",")
        }
    }
}
