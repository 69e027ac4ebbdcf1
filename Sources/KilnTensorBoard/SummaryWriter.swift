import KilnIR
import KilnSupport
import SwiftProtobuf
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes a TensorBoard event file (`events.out.tfevents.*`) of scalar series in a log
/// directory, which `tensorboard --logdir` shows as curves.
///
/// The file starts with an event holding the file version; each `addScalars` call appends one
/// event (a `Summary` of tagged values at a step) as one TFRecord, with one `write` call, so a
/// crash of the process loses at most the record being written, and TensorBoard's reader stops
/// cleanly before a partial one. `flush` syncs the file to disk.
public final class SummaryWriter {
    /// The event file written.
    public let path: String
    private var descriptor: Int32

    /// Creates `logDirectory` (and its parents) when missing and a new event file in it.
    public init(logDirectory: String) throws(KilnError) {
        try makeDirectories(logDirectory)
        let number = writerCount.add(1, ordering: .relaxed).newValue
        path = "\(logDirectory)/events.out.tfevents.\(Int(wallClockSeconds())).\(fileNameHost()).\(getpid()).\(number)"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure("creating the event file") }
        var event = Tensorboard_Event()
        event.wallTime = wallClockSeconds()
        event.fileVersion = "brain.Event:2"
        try append(event)
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Appends one event holding `values` (tag, value; stored as f32) at training step `step`,
    /// stamped with `wallTime` (seconds since the Unix epoch; now if nil).
    public func addScalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double? = nil) throws(KilnError) {
        guard step >= 0 else { throw KilnError("TensorBoard step \(step) is negative; steps count from 0") }
        if let empty = values.first(where: { $0.tag.isEmpty }) {
            throw KilnError("a TensorBoard scalar (value \(empty.value)) has an empty tag; name the series, e.g. \"train/loss\"")
        }
        var event = Tensorboard_Event()
        event.wallTime = wallTime ?? wallClockSeconds()
        event.step = Int64(step)
        event.summary.value = values.map { tag, value in
            var entry = Tensorboard_Summary.Value()
            entry.tag = tag
            entry.simpleValue = Float(value)
            return entry
        }
        try append(event)
    }

    /// Appends `value` under `tag` at `step` (see `addScalars`).
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Double? = nil) throws(KilnError) {
        try addScalars([(tag, value)], step: step, wallTime: wallTime)
    }

    /// Syncs what was written to disk.
    public func flush() throws(KilnError) {
        guard descriptor >= 0 else { throw closedError() }
        guard fsync(descriptor) == 0 else { throw failure("syncing") }
    }

    /// Syncs and closes the file; later writes are errors.
    public func close() throws(KilnError) {
        try flush()
        let status = Glibc.close(descriptor)
        descriptor = -1
        guard status == 0 else { throw failure("closing") }
    }

    private func append(_ event: Tensorboard_Event) throws(KilnError) {
        guard descriptor >= 0 else { throw closedError() }
        let data: [UInt8]
        do { data = try event.serializedBytes() } catch {
            throw KilnError.internal("a TensorBoard event did not serialize: \(error)")
        }
        let record = eventRecord(data)
        var offset = 0
        while offset < record.count {
            let n = record[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("writing")
            }
            offset += n
        }
    }

    private func failure(_ action: String) -> KilnError {
        KilnError("cannot write the TensorBoard event file '\(path)': \(action) failed: \(String(cString: strerror(errno)))")
    }

    private func closedError() -> KilnError {
        KilnError("the TensorBoard event file '\(path)' is closed; create a new SummaryWriter to log more")
    }
}

/// Writers created by this process, numbering their files so two in one second stay apart.
private let writerCount = Atomic<Int>(0)

/// Seconds since the Unix epoch.
func wallClockSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The host name as TensorBoard's writers put it in file names, keeping only letters, digits,
/// `-` and `_`.
private func fileNameHost() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let kept = String(name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
    return kept.isEmpty ? "localhost" : kept
}
