import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
import KilnSupport
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
    let (tensors, metadata) = try readSafetensors(path: path)
    if !allowNonFinite {
        try checkFinite(tensors, "checkpoint '\(path)'",
                        fix: "load it with allowNonFinite: true (kiln train: --allow-non-finite) to accept it anyway")
    }
    return (Dictionary(tensors, uniquingKeysWith: { first, _ in first }), metadata)
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
