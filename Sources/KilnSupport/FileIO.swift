#if canImport(Glibc)
import Glibc
#endif

/// A file read in order from its start, into buffers the caller provides.
public final class FileReader {
    public let path: String
    /// The file's size when it is a regular file; nil for pipes and devices, whose end is known
    /// only on reaching it.
    public let regularFileSize: Int?
    /// The bytes read so far.
    public private(set) var offset = 0
    private let file: UnsafeMutablePointer<FILE>

    /// Opens `path`, or throws an error naming it.
    public init(path: String) throws(KilnError) {
        guard let file = fopen(path, "rb") else {
            throw KilnError("cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        var status = stat()
        let isRegular = fstat(fileno(file), &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        (self.path, self.file, regularFileSize) = (path, file, isRegular ? Int(status.st_size) : nil)
    }

    deinit { fclose(file) }

    /// The bytes left to read, when the file's size is known.
    public var remainingBytes: Int? { regularFileSize.map { max(0, $0 - offset) } }

    /// The last `count` bytes of a regular file (nil for other files or shorter ones), read
    /// without moving the position of `read`.
    public func lastBytes(_ count: Int) -> [UInt8]? {
        guard let size = regularFileSize, size >= count else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fileno(file), $0.baseAddress, count, off_t(size - count)) }
        return n == count ? bytes : nil
    }

    /// Fills `buffer` with the next bytes; returns how many it got, fewer only at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(KilnError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let n = fread(base, 1, buffer.count, file)
        if n < buffer.count, ferror(file) != 0 {
            throw KilnError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        offset += n
        return n
    }
}

/// The largest file `readFileBytes` reads unless told otherwise (1 GiB).
public let maxFileBytes = 1 << 30

/// The bytes of the file at `path`, read in chunks of 64 KiB; a file of more than `limit` bytes
/// (a regular file by its size, before reading; a pipe or device such as /dev/zero once that many
/// came) is an error naming it. `inspect` sees each chunk and its offset as it arrives, so a
/// caller can reject a file by its first bytes without reading on.
public func readFileBytes(_ path: String, limit: Int = maxFileBytes,
                          inspect: (UnsafeRawBufferPointer, Int) throws(KilnError) -> Void = { _, _ in }) throws(KilnError) -> [UInt8] {
    let reader = try FileReader(path: path)
    func tooLarge() -> KilnError {
        KilnError("'\(path)' is larger than the limit of \(limit) bytes; Kiln does not read files that large (is it the right file?)")
    }
    if let size = reader.regularFileSize, size > limit { throw tooLarge() }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(reader.regularFileSize ?? 0, limit))
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { chunk.deallocate() }
    while true {
        let n = try reader.read(into: chunk)
        guard n > 0 else { return bytes }
        guard n <= limit - bytes.count else { throw tooLarge() }
        let piece = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
        try inspect(piece, bytes.count)
        bytes += piece
    }
}

/// Writes `bytes` to a fresh file beside `path`, syncs it and renames it over `path`.
public func writeFileAtomically(_ bytes: [UInt8], path: String) throws(KilnError) {
    try bytes.withUnsafeBytes { buffer in
        Result { () throws(KilnError) in try writeFileAtomically([buffer], path: path) }
    }.get()
}

/// Writes `parts`, one after the other, to a fresh file beside `path`, syncs it and renames it
/// over `path`, so readers never see a partial file and nothing is copied on the way. Temporary
/// files that killed writers left beside `path` are removed first.
public func writeFileAtomically(_ parts: [UnsafeRawBufferPointer], path: String) throws(KilnError) {
    func failure(_ action: String) -> KilnError {
        KilnError("cannot write '\(path)': \(action) failed: \(String(cString: strerror(errno)))")
    }
    removeStaleTemporaries(of: path)
    let temporary = "\(path).tmp-\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 36))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure("creating a temporary file") }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    for part in parts {
        var offset = 0
        while offset < part.count, let base = part.baseAddress {
            let n = write(fd, base + offset, part.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure("writing")
                close(fd)
                throw error
            }
            offset += n
        }
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

/// Removes the files `path.tmp-PID-*` whose process PID no longer runs: what `writeFileAtomically`
/// leaves when its process is killed during a write.
private func removeStaleTemporaries(of path: String) {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? "./"
    let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count).prefix { $0 != "-" }),
              pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
        unlink(directory + name)
    }
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
