import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// gcc's shared objects kept on disk, so that a unit compiled once (in any process) loads in
/// about a millisecond the next time instead of taking gcc's 0.1–2 s.
///
/// An entry is two files named by a 64-bit FNV-1a hash of its key: `<hash>.so` and `<hash>.key`,
/// the key's full text: the C unit, gcc's flags, the compiler (path, size and modification time of
/// the executable) and the CPU (`-march=native` compiles for it). A lookup compares the whole key
/// text, so a hash collision is a miss, never the wrong code. An entry is written to temporary
/// files that are renamed into place, the object first: a reader sees a whole entry or none
/// (a reader that finds the old key with a new object of the same hash needs a hash collision
/// during a concurrent store).
/// Each hit marks its entry as used (its modification time); beyond `capacity` entries, the
/// least recently used are removed. Unreadable or unwritable directories make every lookup a miss
/// and every store a no-op: the cache never makes a compile fail. Since the objects are loaded as
/// code, the directory and every file of an entry must belong to the current user and be
/// writable by nobody else (no symbolic links); otherwise the cache is not used.
public struct CodeCache: Sendable, Hashable {
    /// The directory holding the entries (made on the first store).
    public var directory: String
    /// The most entries kept.
    public var capacity: Int

    public init(directory: String, capacity: Int = 256) {
        self.directory = directory
        self.capacity = capacity
    }

    /// The cache `KILN_CACHE_DIR` names, else `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`;
    /// nil (no cache) when `KILN_CACHE_DIR` is `none` or no directory can be named.
    public static var standard: CodeCache? {
        if let named = environment("KILN_CACHE_DIR") { return named == "none" ? nil : CodeCache(directory: named) }
        if let xdg = environment("XDG_CACHE_HOME") { return CodeCache(directory: xdg + "/kiln") }
        if let home = environment("HOME") { return CodeCache(directory: home + "/.cache/kiln") }
        return nil
    }

    /// The path of the object stored under `key`, or nil.
    func lookup(_ key: String) -> String? {
        let base = directory + "/" + Self.name(key)
        guard isPrivate(directory), isPrivate(base + ".key"), isPrivate(base + ".so"),
              (try? readFileBytes(base + ".key")) == Array(key.utf8) else { return nil }
        utime(base + ".so", nil)
        return base + ".so"
    }

    /// Stores a copy of the object at `objectPath` under `key` (nothing when that fails).
    func store(_ key: String, objectPath: String) {
        let base = directory + "/" + Self.name(key)
        do {
            // The cache directory itself is made private (0700), whatever the umask.
            let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? ""
            if !parent.isEmpty { try makeDirectories(parent) }
            mkdir(directory, 0o700)
            guard isPrivate(directory) else { return }
            for (path, bytes) in [(base + ".so", try readFileBytes(objectPath)), (base + ".key", Array(key.utf8))] {
                try writeFileAtomically(bytes, path: path)
                chmod(path, 0o600)
            }
        } catch { return }
        evict()
    }

    /// Removes the least recently used entries beyond `capacity`.
    private func evict() {
        guard let dir = opendir(directory) else { return }
        var entries: [(used: timespec, base: String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name.hasSuffix(".so") else { continue }
            var info = stat()
            let base = directory + "/" + name.dropLast(3)
            if stat(base + ".so", &info) == 0 { entries.append((info.st_mtim, base)) }
        }
        closedir(dir)
        guard entries.count > capacity else { return }
        let oldestFirst = entries.sorted { ($0.used.tv_sec, $0.used.tv_nsec) < ($1.used.tv_sec, $1.used.tv_nsec) }
        for entry in oldestFirst.prefix(entries.count - capacity) {
            unlink(entry.base + ".key")
            unlink(entry.base + ".so")
        }
    }

    private static func name(_ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Whether `path` is the current user's and nobody else may write it: the cache loads its objects
/// as code, so it uses no file or directory another user could have planted or changed.
private func isPrivate(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && info.st_uid == getuid() && info.st_mode & (S_IWGRP | S_IWOTH) == 0
}

/// What `-march=native` compiles for: the CPU's model name and feature flags (`/proc/cpuinfo`).
let cpuIdentity: String = {
    guard let bytes = try? readFileBytes("/proc/cpuinfo") else { return "unknown CPU" }
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    let wanted = lines.prefix { !$0.isEmpty }.filter { $0.hasPrefix("model name") || $0.hasPrefix("flags") }
    return wanted.joined(separator: "\n")
}()
