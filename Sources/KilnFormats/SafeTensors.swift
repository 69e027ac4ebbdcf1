import KilnIR
import KilnRuntime
import KilnSupport

// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header
//   {"__metadata__": {"key": "value"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
// (space-padded so the data starts 8-byte aligned), then the raw little-endian data; offsets are
// relative to the start of the data, and the tensors must cover it exactly, without overlaps or
// holes. Tensors are copied as the host holds them, which assumes a little-endian host (as the
// .npy support in KilnRuntime does).

/// The longest header accepted, as in the reference implementation (100 MB).
private let maxHeaderBytes = 100_000_000
private let metadataKey = "__metadata__"

private let safetensorsDTypes: [(String, DType)] = [("F32", .f32), ("F64", .f64), ("I32", .i32), ("I64", .i64), ("BOOL", .bool)]

private func safetensorsName(_ dtype: DType) -> String {
    safetensorsDTypes.first { $0.1 == dtype }?.0 ?? dtype.rawValue
}

/// The safetensors encoding of `tensors` (in this order) with `metadata` (keys sorted).
public func encodeSafetensors(_ tensors: [(String, HostTensor)], metadata: [String: String] = [:]) throws(KilnError) -> [UInt8] {
    var names: Set<String> = []
    for (name, _) in tensors {
        guard name != metadataKey, names.insert(name).inserted else {
            throw KilnError("cannot save tensor '\(name)': \(name == metadataKey ? "the name is reserved for metadata" : "the name is used twice")")
        }
    }
    var entries: [(String, JSON)] = []
    if !metadata.isEmpty {
        entries.append((metadataKey, .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
    }
    var offset = 0
    for (name, t) in tensors {
        entries.append((name, .object([
            ("dtype", .string(safetensorsName(t.type.dtype))),
            ("shape", .array(t.type.shape.map { .integer($0) })),
            ("data_offsets", .array([.integer(offset), .integer(offset + t.type.byteCount)])),
        ])))
        offset += t.type.byteCount
    }
    var header = Array(JSON.object(entries).text.utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var out: [UInt8] = []
    out.reserveCapacity(8 + header.count + offset)
    for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * i))) }
    out += header
    for (_, t) in tensors { out += UnsafeRawBufferPointer(start: t.data, count: t.type.byteCount) }
    return out
}

/// Decodes a safetensors file's bytes (dtypes F32, F64, I32, I64, BOOL); the tensors come in the
/// order of their data. A malformed file is a `KilnError` naming `source` and the problem.
public func decodeSafetensors(_ bytes: [UInt8], source: String) throws(KilnError) -> (tensors: [(String, HostTensor)], metadata: [String: String]) {
    let dataStart = 8 + (try safetensorsHeaderLength(bytes.prefix(8), fileSize: bytes.count, source: source))
    let layout = try parseSafetensorsHeader(bytes[8..<dataStart], dataLength: bytes.count - dataStart, source: source)
    return (try layout.tensors(from: bytes[dataStart...]), layout.metadata)
}

/// What a safetensors header says: the metadata, and each tensor's type and byte range within
/// the data, in data order, covering `dataLength` bytes exactly.
struct SafetensorsLayout {
    var metadata: [String: String]
    var entries: [(name: String, type: TensorType, range: Range<Int>)]
    var dataLength: Int

    /// The tensors, copied out of `data` (the bytes after the header).
    func tensors(from data: ArraySlice<UInt8>) throws(KilnError) -> [(String, HostTensor)] {
        var tensors: [(String, HostTensor)] = []
        for entry in entries {
            let t = try HostTensor(zeros: entry.type)
            data.withUnsafeBytes { raw in
                let start = entry.range.lowerBound
                if entry.type.dtype == .bool {
                    let out = t.pointer(Bool.self)
                    for i in 0..<entry.type.count { out[i] = raw[start + i] != 0 }
                } else if let base = raw.baseAddress {
                    t.data.copyMemory(from: base + start, byteCount: entry.type.byteCount)
                }
            }
            tensors.append((entry.name, t))
        }
        return tensors
    }
}

/// The header length in the first 8 bytes of a safetensors file of `fileSize` bytes (nil when the
/// size is not known in advance), checked against the limit and the file size.
func safetensorsHeaderLength(_ prefix: ArraySlice<UInt8>, fileSize: Int?, source: String) throws(KilnError) -> Int {
    guard prefix.count >= 8 else {
        throw KilnError("\(source): truncated safetensors file: \(prefix.count) bytes, the header length alone needs 8")
    }
    let headerLength = prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerLength <= UInt64(maxHeaderBytes) else {
        throw KilnError("\(source): header length \(headerLength) exceeds the limit of \(maxHeaderBytes) bytes; this is not a safetensors file or it is corrupt")
    }
    if let fileSize, 8 + Int(headerLength) > fileSize {
        throw truncatedHeader(Int(headerLength), available: fileSize - 8, source: source)
    }
    return Int(headerLength)
}

/// The error for a header of `length` bytes of which only `available` are there.
func truncatedHeader(_ length: Int, available: Int, source: String) -> KilnError {
    KilnError("\(source): truncated safetensors file: the header claims \(length) bytes but only \(available) follow")
}

/// Parses the JSON header of a safetensors file whose data is `dataLength` bytes long (nil when
/// not known in advance: then the tensors' ranges define it).
func parseSafetensorsHeader(_ bytes: ArraySlice<UInt8>, dataLength: Int?, source: String) throws(KilnError) -> SafetensorsLayout {
    func fail(_ problem: String) -> KilnError { KilnError("\(source): \(problem)") }
    let header: JSON
    do {
        header = try JSON.parse(bytes)
    } catch {
        throw fail("malformed JSON header: \(error.message)")
    }
    guard case .object(let entries) = header else { throw fail("the header is not a JSON object") }
    var metadata: [String: String] = [:]
    var layout: [(name: String, type: TensorType, range: Range<Int>)] = []
    for (name, value) in entries {
        do throws(KilnError) {
            if name == metadataKey {
                metadata = try parseMetadata(value)
            } else {
                let (type, range) = try parseTensorInfo(value)
                if let dataLength, range.upperBound > dataLength {
                    throw KilnError("data_offsets [\(range.lowerBound), \(range.upperBound)] go past the \(dataLength) bytes of data (truncated file?)")
                }
                layout.append((name, type, range))
            }
        } catch {
            throw fail("\(name == metadataKey ? metadataKey : "tensor '\(name)'"): \(error.message)")
        }
    }
    layout.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
    var covered = 0, previous = ""
    for entry in layout {
        guard entry.range.lowerBound >= covered else {
            throw fail("tensor '\(entry.name)' (bytes \(entry.range)) overlaps tensor '\(previous)' (which ends at byte \(covered))")
        }
        guard entry.range.lowerBound == covered else {
            throw fail("bytes \(covered)..<\(entry.range.lowerBound) of the data belong to no tensor")
        }
        (covered, previous) = (entry.range.upperBound, entry.name)
    }
    if let dataLength, covered != dataLength { throw fail("bytes \(covered)..<\(dataLength) of the data belong to no tensor") }
    return SafetensorsLayout(metadata: metadata, entries: layout, dataLength: covered)
}

private func parseMetadata(_ value: JSON) throws(KilnError) -> [String: String] {
    guard case .object(let entries) = value else { throw KilnError("must be an object of strings") }
    var metadata: [String: String] = [:]
    for (key, value) in entries {
        guard case .string(let s) = value else { throw KilnError("value of '\(key)' is not a string") }
        metadata[key] = s
    }
    return metadata
}

/// The type and the data byte range of a tensor's header entry.
private func parseTensorInfo(_ value: JSON) throws(KilnError) -> (TensorType, Range<Int>) {
    let expected = "an object with \"dtype\", \"shape\" and \"data_offsets\""
    guard case .object(let fields) = value else { throw KilnError("expected \(expected)") }
    var dtypeName: String?, shape: [Int]?, offsets: [Int]?
    for (key, value) in fields {
        switch key {
        case "dtype":
            guard case .string(let s) = value else { throw KilnError("dtype must be a string") }
            dtypeName = s
        case "shape": shape = try integers(value, "shape")
        case "data_offsets": offsets = try integers(value, "data_offsets")
        default: throw KilnError("unexpected field \"\(key)\"; expected \(expected)")
        }
    }
    guard let dtypeName, let shape, let offsets else { throw KilnError("expected \(expected)") }
    guard let dtype = safetensorsDTypes.first(where: { $0.0 == dtypeName })?.1 else {
        throw KilnError("dtype \(dtypeName) is not supported; Kiln reads \(safetensorsDTypes.map(\.0).joined(separator: ", "))")
    }
    let type = TensorType(dtype, shape)
    try checkLimits(type)
    guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
        throw KilnError("data_offsets \(offsets) must be [begin, end] with 0 <= begin <= end")
    }
    guard offsets[1] - offsets[0] == type.byteCount else {
        throw KilnError("data_offsets [\(offsets[0]), \(offsets[1])] hold \(offsets[1] - offsets[0]) bytes, \(type) needs \(type.byteCount)")
    }
    return (type, offsets[0]..<offsets[1])
}

private func integers(_ value: JSON, _ field: String) throws(KilnError) -> [Int] {
    guard case .array(let items) = value else { throw KilnError("\(field) must be an array of non-negative integers") }
    var out: [Int] = []
    for item in items {
        guard case .integer(let i) = item, i >= 0 else { throw KilnError("\(field) must be an array of non-negative integers") }
        out.append(i)
    }
    return out
}

/// Reads the safetensors file at `path` (see `decodeSafetensors`), never more bytes than its
/// header describes: the 8-byte length is checked against the file's size before the header is
/// read, and the header against the rest before the data is.
public func readSafetensors(path: String) throws(KilnError) -> (tensors: [(String, HostTensor)], metadata: [String: String]) {
    let file = try FileReader(path: path)
    let headerLength = try safetensorsHeaderLength(try readBytes(file, 8)[...], fileSize: file.regularFileSize, source: path)
    let header = try readBytes(file, headerLength)
    guard header.count == headerLength else { throw truncatedHeader(headerLength, available: header.count, source: path) }
    let layout = try parseSafetensorsHeader(header[...], dataLength: file.remainingBytes, source: path)
    let data = try readBytes(file, layout.dataLength)
    guard data.count == layout.dataLength else {
        throw KilnError("\(path): truncated safetensors file: the header describes \(layout.dataLength) bytes of data but only \(data.count) follow")
    }
    guard try readBytes(file, 1).isEmpty else {
        throw KilnError("\(path): more bytes follow the \(layout.dataLength) bytes of data the header describes; this is not a safetensors file")
    }
    return (try layout.tensors(from: data[...]), layout.metadata)
}

/// The next `count` bytes of `file` (fewer at its end), read in pieces of at most 1 MiB, so
/// that what a header claims is allocated only as the bytes arrive.
private func readBytes(_ file: FileReader, _ count: Int) throws(KilnError) -> [UInt8] {
    guard count > 0 else { return [] }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(count, file.remainingBytes ?? 0))
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 20), alignment: 16)
    defer { chunk.deallocate() }
    while bytes.count < count {
        let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(chunk.count, count - bytes.count)])
        let n = try file.read(into: piece)
        bytes += UnsafeRawBufferPointer(rebasing: chunk[0..<n])
        if n < piece.count { break }
    }
    return bytes
}
