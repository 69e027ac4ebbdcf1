#if canImport(Glibc)
import Glibc
#endif

/// The bytes of the file at `path`, or an error naming it.
public func readFileBytes(_ path: String) throws(KilnError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw KilnError("cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            guard ferror(file) == 0 else { throw KilnError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
            return bytes
        }
    }
}

/// Writes `bytes` to a fresh file beside `path`, syncs it and renames it over `path`.
public func writeFileAtomically(_ bytes: [UInt8], path: String) throws(KilnError) {
    func failure(_ action: String) -> KilnError {
        KilnError("cannot write '\(path)': \(action) failed: \(String(cString: strerror(errno)))")
    }
    let temporary = "\(path).tmp-\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 36))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure("creating a temporary file") }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            let error = failure("writing")
            close(fd)
            throw error
        }
        offset += n
    }
    guard fsync(fd) == 0 else {
        let error = failure("syncing")
        close(fd)
        throw error
    }
    guard close(fd) == 0 else { throw failure("closing") }
    guard rename(temporary, path) == 0 else { throw failure("renaming the temporary file") }
    renamed = true
}

/// Creates `path` and its missing parents (like `mkdir -p`).
public func makeDirectories(_ path: String) throws(KilnError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        guard mkdir(prefix, 0o777) == 0 || errno == EEXIST else {
            throw KilnError("cannot create directory '\(prefix)': \(String(cString: strerror(errno)))")
        }
        prefix += "/"
    }
}
