import CZlib
import KilnIR
import KilnRuntime
import KilnSupport

/// Reads a file's bytes in order, in chunks, inflating gzip on the fly: a file that starts with
/// the gzip magic `1f 8b` is decompressed (several concatenated members are one stream), any other
/// file is read as it is. Memory stays bounded whatever the file's size.
final class ByteReader {
    private let file: FileReader
    private let input: UnsafeMutableRawBufferPointer
    /// The unread part of `input`.
    private var pending: Range<Int> = 0..<0
    private var fileAtEnd = false
    /// The inflate state, for gzip files only.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamEnded = false

    /// The default number of bytes read from the file at a time.
    static let chunkSize = 1 << 16

    init(path: String, chunkSize: Int = ByteReader.chunkSize) throws(KilnError) {
        file = try FileReader(path: path)
        input = .allocate(byteCount: max(2, chunkSize), alignment: 16)  // the first chunk holds the gzip magic
        try refill()
        guard input[pending].starts(with: [0x1F, 0x8B]) else { return }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.stream = stream
        guard kiln_inflate_init_gzip(stream) == Z_OK else {
            throw failure("zlib could not start decompressing")
        }
    }

    var path: String { file.path }

    /// The size of a regular file, nil for other files (pipes, devices).
    var fileSize: Int? { file.regularFileSize }

    /// Whether the file is gzip-compressed.
    var isGzip: Bool { stream != nil }

    /// The size a regular gzip file's trailer records (ISIZE, the last member's length modulo
    /// 2^32, checked by zlib when the member ends); nil for other files.
    var gzipTrailerSize: UInt32? {
        guard isGzip, let trailer = file.lastBytes(4) else { return nil }
        return trailer.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// An upper bound of the bytes all `read`s together return, known before reading them, so that
    /// a header promising more data than the file can hold is caught before allocating for it:
    /// the file's size, or 1032 times it for gzip (deflate's largest compression ratio).
    var maxDataBytes: Int {
        guard let fileSize else { return .max }
        let (bound, overflow) = fileSize.multipliedReportingOverflow(by: isGzip ? 1032 : 1)
        return overflow ? .max : bound
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
    }

    /// An error about this file.
    func failure(_ problem: String) -> KilnError { KilnError("\(path): \(problem)") }

    /// Reads the next chunk of the file into `input` when it is used up.
    private func refill() throws(KilnError) {
        guard pending.isEmpty, !fileAtEnd else { return }
        let n = try file.read(into: input)
        fileAtEnd = n < input.count
        pending = 0..<n
    }

    /// Fills `buffer` with the next bytes; returns how many it got, fewer only at the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(KilnError) -> Int {
        var filled = 0
        while filled < buffer.count, let target = buffer.baseAddress.map({ $0 + filled }) {
            try refill()
            let count = buffer.count - filled
            let n = isGzip ? try inflate(into: target, count: count) : copyPending(into: target, count: count)
            filled += n
            if n == 0, pending.isEmpty, fileAtEnd, !isGzip || streamEnded { break }
        }
        return filled
    }

    /// The next `count` bytes, or an error saying `what` was cut short.
    func readBytes(_ count: Int, what: String) throws(KilnError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let n = try read(into: buffer)
        guard n == count else { throw failure("truncated: \(count) bytes expected for \(what), only \(n) remain") }
        return Array(buffer)
    }

    /// Whether no data is left (reads one byte ahead to find out, so call it last).
    func atEnd() throws(KilnError) -> Bool {
        let byte = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { byte.deallocate() }
        return try read(into: byte) == 0
    }

    private func copyPending(into target: UnsafeMutableRawPointer, count: Int) -> Int {
        let n = min(count, pending.count)
        if n > 0, let base = input.baseAddress { target.copyMemory(from: base + pending.lowerBound, byteCount: n) }
        pending = pending.lowerBound + n..<pending.upperBound
        return n
    }

    /// Inflates up to `count` bytes into `target`; 0 once the last gzip member has ended.
    private func inflate(into target: UnsafeMutableRawPointer, count: Int) throws(KilnError) -> Int {
        guard let stream, let base = input.baseAddress else { return 0 }
        if streamEnded {
            // Another gzip member may follow the one that ended.
            guard !pending.isEmpty else { return 0 }
            inflateReset(stream)
            streamEnded = false
        }
        let available = min(count, Int(UInt32.max))
        stream.pointee.next_in = (base + pending.lowerBound).assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(pending.count)
        stream.pointee.next_out = target.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(available)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        pending = pending.upperBound - Int(stream.pointee.avail_in)..<pending.upperBound
        let produced = available - Int(stream.pointee.avail_out)
        let inputExhausted = pending.isEmpty && fileAtEnd
        switch status {
        case Z_STREAM_END:
            streamEnded = true
        case Z_OK where !inputExhausted || produced == available:
            break
        case Z_OK where inputExhausted, Z_BUF_ERROR where inputExhausted:
            throw failure("truncated gzip stream: the file ends before the compressed data does")
        default:
            // Includes Z_BUF_ERROR with input and room for output left: inflate cannot go on.
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw failure("corrupt gzip stream (\(reason)); download the file again")
        }
        return produced
    }
}
