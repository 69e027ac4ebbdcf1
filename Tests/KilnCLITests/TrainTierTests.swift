import Foundation
import KilnTestSupport
import Testing

/// `kiln train` starts on libtcc's code without waiting for gcc, and a run that ends while gcc
/// still compiles leaves neither a gcc process nor a temporary directory behind.
@Suite("kiln train tiers")
struct TrainTierTests {
    @Test("exiting before gcc finishes kills gcc and removes its directory")
    func exitBeforeGCC() throws {
        let w = try Workspace()
        let scratch = try ScratchDirectory()
        let tmp = try scratch.makeSubdirectory("tmp")
        // A "gcc" that takes 60 s: it records its shell's and its sleep's process ids first.
        _ = try scratch.script("gcc", "echo $$ > \(scratch.path)/shell.pid\nsleep 60 &\necho $! > \(scratch.path)/sleep.pid\nwait\nexec /usr/bin/gcc \"$@\"")
        let start = Date()
        let run = try w.kiln(["train", "--data", TrainCommandTests.fixture, "--batch-size", "2", "--epochs", "1"],
                             environment: ["PATH": scratch.path + ":/usr/bin:/bin", "TMPDIR": tmp])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Date().timeIntervalSince(start) < 50, "kiln waited for gcc")
        #expect(run.stdout.contains("trained on tcc's code: gcc had not finished"), "\(run.stdout)")
        let left = try scratch.contents("tmp")
        #expect(left.isEmpty, "left in TMPDIR: \(left)")
        for name in ["shell.pid", "sleep.pid"] {
            let text = try String(contentsOfFile: scratch.path + "/" + name, encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            // Gone, or at most a zombie waiting for init to reap it, once the kill has been
            // delivered (a killed process may still be scheduled for a moment on a busy machine).
            func state() -> Character?? {
                (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).map { $0.split(separator: ")").last?.dropFirst().first }
            }
            let deadline = Date().addingTimeInterval(5)
            while let s = state(), s != "Z", Date() < deadline { usleep(10_000) }
            let last = state()
            #expect(last == nil || last == "Z", "\(name) \(pid) still runs")
        }
    }
}
