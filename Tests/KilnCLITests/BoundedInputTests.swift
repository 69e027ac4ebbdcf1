import Foundation
import KilnFormats
import KilnIR
import KilnRuntime
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What one run of `kiln` under a deadline did, with the peak resident memory the kernel measured.
private struct BoundedOutcome {
    /// The exit status, nil when the deadline killed the process.
    let status: Int32?
    let stderr: String
    let peakResidentBytes: Int
}

/// Runs `kiln` with `arguments`, polling its peak RSS (`VmHWM`) until it exits; a run that
/// outlives `seconds` is killed and has no status. (Not `wait4`'s `ru_maxrss`: posix_spawn runs
/// the child in this process's memory until `exec`, so that figure is at least this test
/// process's own peak, which depends on whatever other tests ran before.)
private func kilnUnderDeadline(_ w: Workspace, _ arguments: [String], seconds: Double) throws -> BoundedOutcome {
    let errPath = w.path(".bounded-stderr")
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([kilnBinary.path] + arguments).map { strdup($0) }
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, kilnBinary.path, &actions, nil, argv + [nil], environ)
    guard spawned == 0 else { throw KilnError("posix_spawn failed: \(String(cString: strerror(spawned)))") }
    var rawStatus: Int32 = 0
    let deadline = Date().addingTimeInterval(seconds)
    var killed = false
    var peak = 0
    while waitpid(pid, &rawStatus, WNOHANG) == 0 {
        peak = max(peak, residentHighWaterMark(pid))
        if Date() > deadline {
            kill(pid, SIGKILL)
            killed = true
            _ = waitpid(pid, &rawStatus, 0)
            break
        }
        usleep(2_000)
    }
    let exited = rawStatus & 0x7F == 0
    return BoundedOutcome(status: !killed && exited ? (rawStatus >> 8) & 0xFF : nil,
                          stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                          peakResidentBytes: peak)
}

/// The peak resident bytes of running process `pid` (`VmHWM` in /proc/PID/status), 0 once it exited.
private func residentHighWaterMark(_ pid: pid_t) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.dropFirst(6).filter(\.isNumber)) else { return 0 }
    return kilobytes * 1024
}

/// A `.npy` file's bytes: a format 1.0 header declaring `header`, then `data`.
private func npy(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let text = Array(header.utf8)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
}

@Suite("kiln reads with bounds")
struct BoundedInputTests {
    @Test("verify /dev/zero and run --input x=/dev/zero fail at once instead of reading without end")
    func devZero() throws {
        let w = try Workspace()
        let file = try w.write("f.kir", "func @f(%x: f32[4]) -> (f32[4]) {\n  return %x\n}\n")
        let verify = try kilnUnderDeadline(w, ["verify", "/dev/zero"], seconds: 20)
        #expect(verify.status == 1, "\(verify.stderr)")
        #expect(verify.stderr.contains("/dev/zero: byte 0 is NUL: a .kir file is UTF-8 text"), "\(verify.stderr)")
        for command in [["print", "/dev/zero"], ["run", "/dev/zero"]] {
            let outcome = try kilnUnderDeadline(w, command, seconds: 20)
            #expect(outcome.status == 1 && outcome.stderr.contains("byte 0 is NUL"), "\(command): \(outcome.stderr)")
        }
        let run = try kilnUnderDeadline(w, ["run", file, "--input", "x=/dev/zero"], seconds: 20)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("/dev/zero: not a .npy file"), "\(run.stderr)")
    }

    @Test("a .kir file over the 1 GiB limit is refused by its size, before it is read")
    func oversizedModule() throws {
        let w = try Workspace()
        let path = try w.write("huge.kir", "func @f(%x: f32[]) -> (f32[]) {\n  return %x\n}\n")
        // A sparse file: its size exceeds the limit while it occupies no disk space.
        #expect(truncate(path, off_t(maxModuleFileBytes + 1)) == 0)
        let outcome = try kilnUnderDeadline(w, ["verify", path], seconds: 20)
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("'\(path)' is larger than the limit of \(1 << 30) bytes"), "\(outcome.stderr)")
        #expect(outcome.peakResidentBytes < 256 << 20)
    }

    @Test("an input's header is checked against the parameter before its data is read")
    func inputHeaderFirst() throws {
        let w = try Workspace()
        let file = try w.write("f.kir", "func @f(%x: f32[4]) -> (f32[4]) {\n  return %x\n}\n")
        // Declares 1 GiB of floats and holds none: the type is wrong, and that is the error.
        let huge = w.path("huge.npy")
        try Data(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (16384, 16384), }\n")).write(to: URL(fileURLWithPath: huge))
        let wrong = try kilnUnderDeadline(w, ["run", file, "--input", "x=\(huge)"], seconds: 20)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("input x ('\(huge)') is f32[16384,16384] but parameter %x of @f is f32[4]"), "\(wrong.stderr)")
        #expect(wrong.peakResidentBytes < 256 << 20)
        // The right type with half the data the header declares.
        let short = w.path("short.npy")
        try Data(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", data: [UInt8](repeating: 0, count: 8)))
            .write(to: URL(fileURLWithPath: short))
        let truncated = try kilnUnderDeadline(w, ["run", file, "--input", "x=\(short)"], seconds: 20)
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("\(short): truncated data: f32[4] needs 16 bytes, the file holds 8"), "\(truncated.stderr)")
    }

    /// f32[4096,4096] is 64 MiB: the input and the result together are 128 MiB. Generating the
    /// input, summarizing the result and writing it used to take about 7 times the tensor.
    @Test("--random-inputs, the summary and --out stay under twice the tensors' memory")
    func randomInputsMemory() throws {
        let w = try Workspace()
        let file = try w.write("big.kir", "func @big(%x: f32[4096,4096]) -> (f32[4096,4096]) {\n  %y = neg(%x) : f32[4096,4096]\n  return %y\n}\n")
        let tensors = 2 * 4096 * 4096 * 4
        for backend in ["jit", "interp"] {
            let outcome = try kilnUnderDeadline(w, ["run", file, "--random-inputs", "--backend", backend, "--out", w.path(backend)], seconds: 300)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.peakResidentBytes < 2 * tensors, "\(backend): \(outcome.peakResidentBytes) bytes at peak")
            let out = try NPYFile(path: w.path("\(backend)/out0.npy"))
            #expect(out.type == TensorType(.f32, [4096, 4096]))
        }
    }

    @Test("summaries in one pass: infinities and NaN, exact 64-bit extremes, bools as 0 and 1, no elements")
    func summaries() throws {
        let w = try Workspace()
        let file = try w.write("s.kir", """
            func @s(%x: f32[4], %y: f32[4], %z: f64[4], %i: i64[3], %b: bool[4], %e: f32[0]) -> (f32[4], f32[4], f64[4], i64[3], bool[4], f32[0]) {
              %l = log(%x) : f32[4]
              return %l, %y, %z, %i, %b, %e
            }

            """)
        let big = Int64(1) << 62
        let inputs: [(String, HostTensor)] = [
            ("x", try HostTensor([4], floats: [0, 1, 1, 1])),
            ("y", try HostTensor([4], floats: [.infinity, -.infinity, 1, 2])),
            ("z", try HostTensor(TensorType(.f64, [4]), doubles: [1, .nan, 2, 3])),
            ("i", try HostTensor(TensorType(.i64, [3]), scalars: [.int(-big - 1), .int(big + 3), .int(5)])),
            ("b", try HostTensor(TensorType(.bool, [4]), scalars: [true, false, true, true].map { .bool($0) })),
            ("e", try HostTensor(zeros: TensorType(.f32, [0]))),
        ]
        var arguments = ["run", file]
        for (name, t) in inputs { arguments += ["--input", "\(name)=\(try w.write("\(name).npy", t))"] }
        let run = try w.kiln(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        func f32(_ x: Double) -> String { Scalar.float(x).text(as: .f32) }
        func f64(_ x: Double) -> String { Scalar.float(x).text(as: .f64) }
        // Double(-2^62 - 1) and Double(2^62 + 3) round to -2^62 and 2^62: the sum is 5.
        #expect(run.stdout == """
            out0: f32[4] min=\(f32(-.infinity)) max=\(f32(0)) mean=\(f32(-.infinity))
            out1: f32[4] min=\(f32(-.infinity)) max=\(f32(.infinity)) mean=\(f32(.nan))
            out2: f64[4] min=\(f64(.nan)) max=\(f64(.nan)) mean=\(f64(.nan))
            out3: i64[3] min=-4611686018427387905 max=4611686018427387907 mean=\(f64(5.0 / 3))
            out4: bool[4] min=0 max=1 mean=\(f64(0.75))
            out5: f32[0] (no elements)

            """)
    }
}
