/// A reader of TensorBoard event files written for the tests independently of the writer: its own
/// bit-by-bit CRC-32C, its own protobuf wire decoding, and only the field numbers of TensorBoard's
/// `Event` (wall_time 1, step 2, file_version 3, summary 5), `Summary` (value 1) and
/// `Summary.Value` (tag 1, simple_value 2).
public struct TensorBoardEvent: Equatable, Sendable {
    public var wallTime: Double
    public var step: Int64
    public var fileVersion: String?
    /// The summary's (tag, simple_value) pairs, in order.
    public var scalars: [(tag: String, value: Float)]

    public init(wallTime: Double, step: Int64, fileVersion: String?, scalars: [(tag: String, value: Float)]) {
        (self.wallTime, self.step, self.fileVersion, self.scalars) = (wallTime, step, fileVersion, scalars)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.wallTime.bitPattern == b.wallTime.bitPattern && a.step == b.step && a.fileVersion == b.fileVersion
            && a.scalars.map { $0.tag } == b.scalars.map { $0.tag } && a.scalars.map { $0.value.bitPattern } == b.scalars.map { $0.value.bitPattern }
    }
}

/// Why an event file did not decode.
public struct TensorBoardDecodingError: Error, CustomStringConvertible {
    public var description: String
}

/// Every event of an event file's bytes, checking both CRCs of every record; a truncated last
/// record is an error unless `allowTruncatedEnd` (then it is dropped, as TensorBoard does).
public func decodeTensorBoardEvents(_ bytes: [UInt8], allowTruncatedEnd: Bool = false) throws -> [TensorBoardEvent] {
    var events: [TensorBoardEvent] = []
    var at = 0
    while at < bytes.count {
        guard bytes.count - at >= 12 else {
            if allowTruncatedEnd { break }
            throw TensorBoardDecodingError(description: "a truncated record header at byte \(at)")
        }
        let lengthBytes = Array(bytes[at..<at + 8])
        let length = Int(littleEndian(lengthBytes))
        guard UInt32(littleEndian(Array(bytes[at + 8..<at + 12]))) == maskedCRC(lengthBytes) else {
            throw TensorBoardDecodingError(description: "a bad length CRC at byte \(at)")
        }
        guard length <= bytes.count - at - 16 else {
            if allowTruncatedEnd { break }
            throw TensorBoardDecodingError(description: "a truncated record at byte \(at)")
        }
        let data = Array(bytes[at + 12..<at + 12 + length])
        guard UInt32(littleEndian(Array(bytes[at + 12 + length..<at + 16 + length]))) == maskedCRC(data) else {
            throw TensorBoardDecodingError(description: "a bad data CRC at byte \(at)")
        }
        events.append(try decodeEvent(data))
        at += 16 + length
    }
    return events
}

/// The standard CRC-32C of `bytes`, one bit at a time.
public func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = ~0
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
    }
    return ~crc
}

private func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
    let crc = bitwiseCRC32C(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

private func littleEndian(_ bytes: [UInt8]) -> UInt64 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
}

/// One protobuf field: its number and its payload (a varint, 8 or 4 fixed bytes, or the bytes of
/// a length-delimited field).
private enum WireValue {
    case varint(UInt64)
    case fixed([UInt8])
    case bytes([UInt8])
}

private func fields(_ data: [UInt8]) throws -> [(Int, WireValue)] {
    var out: [(Int, WireValue)] = []
    var at = 0
    func varint() throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard at < data.count, shift < 64 else { throw TensorBoardDecodingError(description: "a bad varint") }
            let byte = data[at]
            at += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
    func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= data.count - at else { throw TensorBoardDecodingError(description: "a field runs past its message") }
        defer { at += n }
        return Array(data[at..<at + n])
    }
    while at < data.count {
        let key = try varint()
        let number = Int(key >> 3)
        switch key & 7 {
        case 0: out.append((number, .varint(try varint())))
        case 1: out.append((number, .fixed(try take(8))))
        case 2: out.append((number, .bytes(try take(Int(try varint())))))
        case 5: out.append((number, .fixed(try take(4))))
        default: throw TensorBoardDecodingError(description: "wire type \(key & 7) of field \(number)")
        }
    }
    return out
}

private func decodeEvent(_ data: [UInt8]) throws -> TensorBoardEvent {
    var event = TensorBoardEvent(wallTime: 0, step: 0, fileVersion: nil, scalars: [])
    for (number, value) in try fields(data) {
        switch (number, value) {
        case (1, .fixed(let b)) where b.count == 8: event.wallTime = Double(bitPattern: littleEndian(b))
        case (2, .varint(let v)): event.step = Int64(bitPattern: v)
        case (3, .bytes(let b)): event.fileVersion = String(decoding: b, as: UTF8.self)
        case (5, .bytes(let summary)):
            for case (1, .bytes(let entry)) in try fields(summary) {
                var tag = "", simple: Float?
                for (n, v) in try fields(entry) {
                    switch (n, v) {
                    case (1, .bytes(let b)): tag = String(decoding: b, as: UTF8.self)
                    case (2, .fixed(let b)) where b.count == 4: simple = Float(bitPattern: UInt32(littleEndian(b)))
                    default: throw TensorBoardDecodingError(description: "unexpected field \(n) in a Summary.Value")
                    }
                }
                guard let simple else { throw TensorBoardDecodingError(description: "a Summary.Value of tag \(tag) without simple_value") }
                event.scalars.append((tag, simple))
            }
        default: throw TensorBoardDecodingError(description: "unexpected field \(number) in an Event")
        }
    }
    return event
}
