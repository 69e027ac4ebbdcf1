import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Writes `tensors` and `metadata` to `path` as safetensors, atomically (a temporary file beside
/// it is synced and renamed over it: readers see the old file or the whole new one). A tensor
/// holding NaN or infinity is an error, and nothing is written, unless `allowNonFinite`.
public func saveCheckpoint(_ tensors: [(String, HostTensor)], metadata: [String: String] = [:], path: String,
                           allowNonFinite: Bool = false) throws(KilnError) {
    if !allowNonFinite {
        try checkFinite(tensors, "cannot save checkpoint '\(path)'", fix: "nothing was written; the file keeps its previous contents")
    }
    try writeFileAtomically(encodeSafetensors(tensors, metadata: metadata), path: path)
}

/// Reads the safetensors file at `path` (see `decodeSafetensors`), never more bytes than its
/// header describes. A tensor holding NaN or infinity is an error unless `allowNonFinite`.
public func loadCheckpoint(path: String, allowNonFinite: Bool = false) throws(KilnError) -> (tensors: [String: HostTensor], metadata: [String: String]) {
    let file = try FileReader(path)
    let headerLength = try safetensorsHeaderLength(try file.read(8)[...], fileSize: file.size, source: path)
    let header = try file.read(headerLength)
    guard header.count == headerLength else { throw truncatedHeader(headerLength, available: header.count, source: path) }
    let layout = try parseSafetensorsHeader(header[...], dataLength: file.size.map { $0 - 8 - headerLength }, source: path)
    let data = try file.read(layout.dataLength)
    guard data.count == layout.dataLength else {
        throw KilnError("\(path): truncated safetensors file: the header describes \(layout.dataLength) bytes of data but only \(data.count) follow")
    }
    guard try file.read(1).isEmpty else {
        throw KilnError("\(path): more bytes follow the \(layout.dataLength) bytes of data the header describes; this is not a safetensors file")
    }
    let tensors = try layout.tensors(from: data[...])
    if !allowNonFinite {
        try checkFinite(tensors, "checkpoint '\(path)'",
                        fix: "load it with allowNonFinite: true (kiln train: --allow-non-finite) to accept it anyway")
    }
    return (Dictionary(tensors, uniquingKeysWith: { first, _ in first }), layout.metadata)
}

/// Throws, before any training, unless a checkpoint can be written at `path`: it is not a
/// directory, and its directory exists and is writable.
public func checkCheckpointPath(_ path: String) throws(KilnError) {
    var info = stat()
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
        throw KilnError("cannot write checkpoint '\(path)': it is a directory; name a file, e.g. '\(path)/checkpoint.safetensors'")
    }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    guard access(directory, W_OK | X_OK) == 0 else {
        throw KilnError("cannot write checkpoint '\(path)': \(String(cString: strerror(errno))); create its directory or choose another path")
    }
}

/// Throws "`what`: tensor 'name' holds nan at element i (...); `fix`" for the first tensor of
/// `tensors` holding NaN or infinity.
private func checkFinite(_ tensors: [(String, HostTensor)], _ what: String, fix: String) throws(KilnError) {
    for (name, t) in tensors {
        guard let bad = t.nonFiniteElements else { continue }
        throw KilnError("\(what): tensor '\(name)' holds \(numberText(bad.firstValue)) at element \(bad.firstIndex) " +
                        "(\(bad.count) of \(t.count) elements are NaN or infinite); \(fix)")
    }
}

/// A file read front to back in pieces of a size known beforehand, so that no header makes Kiln
/// read (or allocate) without bound.
private final class FileReader {
    let path: String
    /// The size of a regular file; nil for devices and pipes.
    let size: Int?
    private let file: UnsafeMutablePointer<FILE>

    init(_ path: String) throws(KilnError) {
        guard let file = fopen(path, "rb") else { throw KilnError("cannot open '\(path)': \(String(cString: strerror(errno)))") }
        var info = stat()
        (self.path, self.file) = (path, file)
        size = fstat(fileno(file), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    deinit { fclose(file) }

    /// The next `count` bytes, fewer at the end of the file.
    func read(_ count: Int) throws(KilnError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while bytes.count < count {
            let wanted = min(chunk.count, count - bytes.count)
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, wanted, file) }
            bytes += chunk[0..<n]
            if n < wanted {
                guard ferror(file) == 0 else { throw KilnError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
                break
            }
        }
        return bytes
    }
}
