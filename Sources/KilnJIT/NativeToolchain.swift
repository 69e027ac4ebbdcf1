import KilnIR
import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// The C compiler of the optimizing tier, and where it works.
///
/// The unit is compiled by `compiler` with `flags` into a shared object, in a private directory
/// (`mkdtemp`) under `temporaryRoot` that is removed once the object is loaded (or the compile
/// failed, or the process exits first: `CompilerJobs`). With a `cache`, a unit compiled before
/// (by any process, with the same compiler, flags and CPU) is loaded from there without gcc.
public struct NativeToolchain: Sendable, Hashable {
    /// Path of the C compiler (gcc, or a compatible `cc`); nil when none was found.
    public var compiler: String?
    /// Where the private directories are made.
    public var temporaryRoot: String
    /// Where compiled units are kept across processes; nil: none.
    public var cache: CodeCache?

    /// Optimize for this machine, keeping the IEEE semantics the interpreter and libtcc give the
    /// same C: no `-ffast-math`; no FMA contraction; libm's transcendental functions always
    /// called, never folded by the compiler's own (differently rounded) arithmetic; signed
    /// overflow wrapping and memory reused across types as in libtcc. `-fno-math-errno` only lets
    /// `sqrt` and `floor` become single, exactly rounded instructions. `-fno-tree-loop-if-convert`
    /// avoids wrong code from gcc 12's if-converted `select` loops (masked loads under AVX2).
    public static let flags: [String] = [
        "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fwrapv", "-fno-strict-aliasing", "--param=vect-max-version-for-alias-checks=64",
        "-fno-tree-loop-if-convert", "-fno-semantic-interposition", "-shared", "-fPIC", "-w",
    ] + ["exp", "log", "tanh", "sin", "cos", "pow"].flatMap { ["-fno-builtin-\($0)", "-fno-builtin-\($0)f"] }

    /// A toolchain using `compiler` (nil: the first `gcc` or `cc` on `PATH`), working under
    /// `temporaryRoot` (nil: `TMPDIR`, else `/tmp`), keeping its units in `cache`.
    public init(compiler: String? = nil, temporaryRoot: String? = nil, cache: CodeCache? = .standard) {
        self.compiler = compiler ?? Self.find(["gcc", "cc"], searchPath: environment("PATH") ?? "/usr/bin:/bin")
        self.temporaryRoot = temporaryRoot ?? environment("TMPDIR") ?? "/tmp"
        self.cache = cache
    }

    /// The first of `names` that is an executable file in a directory of `searchPath` (a
    /// colon-separated list, as `PATH`), or nil.
    public static func find(_ names: [String], searchPath: String) -> String? {
        let directories = searchPath.split(separator: ":").map(String.init)
        for name in names {
            for directory in directories where !directory.isEmpty {
                let path = directory + "/" + name
                if access(path, X_OK) == 0 { return path }
            }
        }
        return nil
    }

    /// `source` compiled to a shared object (and stored in the cache) and loaded; the error says
    /// why not.
    func load(source: String, entryName: String) throws(KilnError) -> SharedObjectModule {
        guard let compiler else { throw KilnError("no gcc or cc on PATH") }
        let jobs = CompilerJobs.shared
        let (id, directory) = try jobs.makeDirectory(under: temporaryRoot)
        defer { jobs.remove(id) }
        let (sourcePath, objectPath, logPath) = (directory + "/unit.c", directory + "/unit.so", directory + "/gcc.log")
        try writeFile(sourcePath, Array(source.utf8))
        let status = try jobs.run(compiler, Self.flags + ["-o", objectPath, sourcePath], directory: directory, stderrPath: logPath)
        guard status == 0 else {
            let log = readFile(logPath).split(separator: "\n").prefix(8).joined(separator: "\n  ")
            throw KilnError("\(compiler) \(status > 0 ? "exited with status \(status)" : "was killed by signal \(-status)")\(log.isEmpty ? "" : ":\n  " + log)")
        }
        if let cache, let key = cacheKey(source) { cache.store(key, objectPath: objectPath) }
        return try SharedObjectModule(path: objectPath, entryName: entryName)
    }

    /// gcc's code for `source` from the cache, or nil. The object is loaded from a private copy:
    /// `dlopen` shares one image (and its static state, such as the thread pool) between loads
    /// of the same file.
    func cached(source: String, entryName: String) -> SharedObjectModule? {
        guard let cache, let key = cacheKey(source), let path = cache.lookup(key),
              let bytes = try? readFileBytes(path) else { return nil }
        let jobs = CompilerJobs.shared
        guard let (id, directory) = try? jobs.makeDirectory(under: temporaryRoot) else { return nil }
        defer { jobs.remove(id) }
        guard (try? writeFile(directory + "/unit.so", bytes)) != nil else { return nil }
        return try? SharedObjectModule(path: directory + "/unit.so", entryName: entryName)
    }

    /// What the compiled code depends on besides `source`: the compiler (its resolved path, size and
    /// modification time), the flags and the CPU; nil without a compiler to identify.
    private func cacheKey(_ source: String) -> String? {
        guard let compiler, let resolved = realpath(compiler, nil) else { return nil }
        defer { free(resolved) }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return nil }
        return "kiln code cache 1\ncompiler \(String(cString: resolved)) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)\n" +
            "flags \(Self.flags.joined(separator: " "))\n\(cpuIdentity)\n\n" + source
    }
}

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

private func writeFile(_ path: String, _ bytes: [UInt8]) throws(KilnError) {
    guard let file = fopen(path, "we") else { throw KilnError("cannot write \(path): \(String(cString: strerror(errno)))") }
    let written = bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count
    guard fclose(file) == 0, written else { throw KilnError("cannot write \(path)") }
}

/// The text of `path` (empty when unreadable).
private func readFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
