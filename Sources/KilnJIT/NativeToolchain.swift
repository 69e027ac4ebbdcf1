import KilnIR
#if canImport(Glibc)
import Glibc
#endif

/// The C compiler of the optimizing tier, and where it works.
///
/// The unit is compiled by `compiler` with `flags` into a shared object, in a private directory
/// (`mkdtemp`) under `temporaryRoot` that is removed once the object is loaded (or the compile
/// failed).
public struct NativeToolchain: Sendable, Hashable {
    /// Path of the C compiler (gcc, or a compatible `cc`); nil when none was found.
    public var compiler: String?
    /// Where the private directories are made.
    public var temporaryRoot: String

    /// Optimize for this machine, keeping the IEEE semantics the interpreter and libtcc give the
    /// same C: no `-ffast-math`; no FMA contraction; libm's transcendental functions always
    /// called, never folded by the compiler's own (differently rounded) arithmetic; signed
    /// overflow wrapping and memory reused across types as in libtcc. `-fno-math-errno` only lets
    /// `sqrt` and `floor` become single, exactly rounded instructions. `-fno-tree-loop-if-convert`
    /// avoids wrong code from gcc 12's if-converted `select` loops (masked loads under AVX2).
    public static let flags: [String] = [
        "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fwrapv", "-fno-strict-aliasing",
        "-fno-tree-loop-if-convert", "-fno-semantic-interposition", "-shared", "-fPIC", "-w",
    ] + ["exp", "log", "tanh", "sin", "cos", "pow"].flatMap { ["-fno-builtin-\($0)", "-fno-builtin-\($0)f"] }

    /// A toolchain using `compiler` (nil: the first `gcc` or `cc` on `PATH`), working under
    /// `temporaryRoot` (nil: `TMPDIR`, else `/tmp`).
    public init(compiler: String? = nil, temporaryRoot: String? = nil) {
        self.compiler = compiler ?? Self.find(["gcc", "cc"], searchPath: environment("PATH") ?? "/usr/bin:/bin")
        self.temporaryRoot = temporaryRoot ?? environment("TMPDIR") ?? "/tmp"
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

    /// `source` compiled to a shared object and loaded; the error says why not.
    func load(source: String, entryName: String) throws(KilnError) -> SharedObjectModule {
        guard let compiler else { throw KilnError("no gcc or cc on PATH") }
        let directory = try makePrivateDirectory(under: temporaryRoot)
        let (sourcePath, objectPath, logPath) = (directory + "/unit.c", directory + "/unit.so", directory + "/gcc.log")
        defer {
            for path in [sourcePath, objectPath, logPath] { unlink(path) }
            rmdir(directory)
        }
        try writeFile(sourcePath, source)
        let status = try spawnAndWait(compiler, Self.flags + ["-o", objectPath, sourcePath], stderrPath: logPath)
        guard status == 0 else {
            let log = readFile(logPath).split(separator: "\n").prefix(8).joined(separator: "\n  ")
            throw KilnError("\(compiler) \(status > 0 ? "exited with status \(status)" : "was killed by signal \(-status)")\(log.isEmpty ? "" : ":\n  " + log)")
        }
        return try SharedObjectModule(path: objectPath, entryName: entryName)
    }
}

private func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

/// A new directory only this user can enter, under `root`.
private func makePrivateDirectory(under root: String) throws(KilnError) -> String {
    var template = Array((root + "/kiln-gcc-XXXXXX").utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ buffer -> UnsafeMutablePointer<CChar>? in
        buffer.baseAddress.flatMap { mkdtemp($0) }
    }) else {
        throw KilnError("cannot make a temporary directory under \(root): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}

private func writeFile(_ path: String, _ text: String) throws(KilnError) {
    guard let file = fopen(path, "we") else { throw KilnError("cannot write \(path): \(String(cString: strerror(errno)))") }
    let written = fputs(text, file) >= 0
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

/// Runs `program` with `arguments` (stdout discarded, stderr to `stderrPath`) and waits for it:
/// its exit status, or minus the signal that ended it.
private func spawnAndWait(_ program: String, _ arguments: [String], stderrPath: String) throws(KilnError) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
    defer { for arg in argv { free(arg) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
    guard spawned == 0 else { throw KilnError("cannot run \(program): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw KilnError("waiting for \(program) failed: \(String(cString: strerror(errno)))") }
    }
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : -signal
}
