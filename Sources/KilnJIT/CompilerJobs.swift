import KilnIR
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The gcc compiles under way in this process: their private directories and process groups.
///
/// A process may exit while gcc still compiles in the background (`JITTier.adaptive`). At exit
/// (`atexit`) every compile under way is killed (its whole process group: the driver, cc1, as,
/// ld) and its directory removed, and no new one starts. On SIGINT, SIGTERM and SIGHUP the groups
/// are killed too (gcc runs in its own group, out of the terminal's reach) before the signal's
/// previous action runs; the directories then stay, as after any kill.
final class CompilerJobs: Sendable {
    static let shared = CompilerJobs()

    private struct State {
        var directories: [Int: String] = [:]
        var next = 0
        var exiting = false
    }
    private let state = Mutex(State())

    private init() {
        atexit { CompilerJobs.shared.endAll() }
        _ = signalSlots
        installSignalHandlers()
    }

    /// A new private directory (`mkdtemp`) under `root`, registered until `remove(_:)`.
    func makeDirectory(under root: String) throws(KilnError) -> (id: Int, path: String) {
        let made: Result<(Int, String), KilnError> = state.withLock { state in
            guard !state.exiting else { return .failure(KilnError("the process is exiting")) }
            var template = Array((root + "/kiln-gcc-XXXXXX").utf8CString)
            guard let path = template.withUnsafeMutableBufferPointer({ buffer -> String? in
                buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
            }) else {
                return .failure(KilnError("cannot make a temporary directory under \(root): \(String(cString: strerror(errno)))"))
            }
            state.next += 1
            state.directories[state.next] = path
            return .success((state.next, path))
        }
        return try made.get()
    }

    /// Removes the directory `id` and everything in it, and forgets it.
    func remove(_ id: Int) {
        guard let path = state.withLock({ $0.directories.removeValue(forKey: id) }) else { return }
        removeTree(path)
    }

    /// Runs `program` with `arguments` in a process group of its own, with `TMPDIR` set to
    /// `directory` (so gcc's own temporary files are there too), stdout discarded and stderr to
    /// `stderrPath`, and waits for it: its exit status, or minus the signal that ended it.
    func run(_ program: String, _ arguments: [String], directory: String, stderrPath: String) throws(KilnError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var env: [UnsafeMutablePointer<CChar>?] = [strdup("TMPDIR=" + directory)]
        var entry = environ
        while let variable = entry.pointee {
            if strncmp(variable, "TMPDIR=", 7) != 0 { env.append(strdup(variable)) }
            entry += 1
        }
        env.append(nil)
        defer { for variable in env { free(variable) } }
        let spawned: Result<pid_t, KilnError> = state.withLock { state in
            guard !state.exiting else { return .failure(KilnError("the process is exiting")) }
            var pid = pid_t()
            let error = posix_spawn(&pid, program, &actions, &attributes, argv, env)
            guard error == 0 else { return .failure(KilnError("cannot run \(program): \(String(cString: strerror(error)))")) }
            // Beyond `SignalSlots.count` compiles at once, the extra ones are not killed at exit.
            signalSlots.claim(pid)
            return .success(pid)
        }
        let pid = try spawned.get()
        // Wait without reaping, so that the process group cannot be reused while it is registered.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        state.withLock { _ in signalSlots.release(pid) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            // Reaped by `endAll` at exit.
            guard errno == EINTR else { return -SIGKILL }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : -signal
    }

    /// At exit: kills every compile under way, reaps it, removes every directory, and lets none start.
    private func endAll() {
        let directories = state.withLock { state -> [String] in
            state.exiting = true
            for pid in signalSlots.killAll() {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
            defer { state.directories = [:] }
            return Array(state.directories.values)
        }
        for path in directories { removeTree(path) }
    }
}

/// Removes `path`, a directory of files (no subdirectories), and its files.
private func removeTree(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(directory)
    }
    rmdir(path)
}

/// The process groups of the compiles under way, in fixed slots that a signal handler can read
/// (atomics only: no lock, no allocation).
private struct SignalSlots: @unchecked Sendable {
    static let count = 64
    let pids: UnsafeMutablePointer<Atomic<Int32>>

    init() {
        pids = .allocate(capacity: Self.count)
        for i in 0..<Self.count { (pids + i).initialize(to: Atomic(0)) }
    }

    /// Puts `pid` in a free slot; false when all are taken.
    @discardableResult
    func claim(_ pid: pid_t) -> Bool {
        for i in 0..<Self.count where pids[i].compareExchange(expected: 0, desired: pid, ordering: .acquiringAndReleasing).exchanged {
            return true
        }
        return false
    }

    func release(_ pid: pid_t) {
        for i in 0..<Self.count { _ = pids[i].compareExchange(expected: pid, desired: 0, ordering: .acquiringAndReleasing) }
    }

    /// Sends SIGKILL to every registered group and empties the slots; the pids killed.
    @discardableResult
    func killAll() -> [pid_t] {
        var killed: [pid_t] = []
        for i in 0..<Self.count {
            let pid = pids[i].exchange(0, ordering: .acquiringAndReleasing)
            if pid > 0 {
                kill(-pid, SIGKILL)
                killed.append(pid)
            }
        }
        return killed
    }

    /// Like `killAll`, without allocating (for a signal handler).
    func killAllFromSignal() {
        for i in 0..<Self.count {
            let pid = pids[i].load(ordering: .acquiring)
            if pid > 0 { kill(-pid, SIGKILL) }
        }
    }
}

private let signalSlots = SignalSlots()

/// The actions SIGINT, SIGTERM and SIGHUP had before `installSignalHandlers`.
private nonisolated(unsafe) let previousActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 3)
private let handledSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

/// Makes SIGINT, SIGTERM and SIGHUP kill the compiles' process groups, then take their previous action.
private func installSignalHandlers() {
    for (i, signal) in handledSignals.enumerated() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { received in
            signalSlots.killAllFromSignal()
            let index = received == SIGINT ? 0 : received == SIGTERM ? 1 : 2
            sigaction(received, previousActions + index, nil)
            raise(received)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, previousActions + i)
    }
}
