import KilnIR
#if canImport(Glibc)
import Glibc
import KilnSupport
#endif

/// A one-line progress display for training: epoch, step, loss, steps per second and ETA. On a
/// terminal it redraws in place; otherwise (logs, CI) it prints a line at most every few seconds.
struct ProgressBar {
    let label: String
    let total: Int
    private let interactive = isatty(STDOUT_FILENO) != 0
    private let start = monotonicSeconds()
    private var lastDraw = -Double.infinity
    /// Whether the terminal's cursor is still at the end of a drawn, unfinished line.
    private var lineOpen = false

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    /// Shows progress after `done` of `total` steps with the running `loss`.
    mutating func update(done: Int, loss: Double) {
        let now = monotonicSeconds()
        let finished = done >= total
        guard finished || now - lastDraw >= (interactive ? 0.1 : 5) else { return }
        lastDraw = now
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = "\(label) [\(bar)] \(done)/\(total) loss \(format(loss, 4)) \(format(rate, 1)) steps/s ETA \(clock(eta))"
        if interactive {
            print("\r\u{1B}[2K" + line, terminator: finished ? "\n" : "")
            lineOpen = !finished
        } else {
            print(line)
        }
        fflush(nil)
    }

    /// Ends a line left unfinished on a terminal, so that an error starts on its own line.
    mutating func interrupt() {
        guard lineOpen else { return }
        print("")
        fflush(nil)
        lineOpen = false
    }
}

/// `m:ss` (or `h:mm:ss`).
func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
    let mm = h > 0 && m < 10 ? "0\(m)" : "\(m)"
    return (h > 0 ? "\(h):" : "") + "\(mm):" + (r < 10 ? "0\(r)" : "\(r)")
}
