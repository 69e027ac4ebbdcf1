/// Decisions read from fuzz input: each call consumes the next bytes and reads 0 once they run
/// out, so every byte string describes a program and a small change of the bytes changes one
/// decision.
public struct FuzzBytes {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether unread bytes remain.
    public var hasMore: Bool { position < bytes.count }

    mutating func byte() -> UInt8 {
        defer { position += 1 }
        return position < bytes.count ? bytes[position] : 0
    }

    /// An integer in `range` (which holds at most 2^16 values): one byte, or two for wide ranges.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = range.upperBound - range.lowerBound + 1
        let raw = span <= 256 ? Int(byte()) : Int(byte()) << 8 | Int(byte())
        return range.lowerBound + raw % span
    }

    /// True for one value in `n` (false once the bytes run out).
    mutating func oneIn(_ n: Int) -> Bool { int(0...n - 1) == n - 1 }

    mutating func element<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
}
