import KilnIR

/// A position in the bytes of a small text format (a JSON header, an `.npy` header's Python
/// literal): the reading steps the recursive-descent parsers of this module share.
protocol TextCursor {
    var bytes: [UInt8] { get }
    var position: Int { get set }
}

extension TextCursor {
    /// The byte at `position`, nil at the end.
    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// An error at the current byte.
    func error(_ message: String) -> KilnError { KilnError("\(message) at byte \(position)") }

    /// Moves past spaces, tabs, newlines and carriage returns.
    mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D { position += 1 }
    }

    /// Moves past whitespace and then `c`, or throws naming it.
    mutating func expect(_ c: Character) throws(KilnError) {
        skipWhitespace()
        guard let ascii = c.asciiValue, peek() == ascii else { throw error("expected '\(c)'") }
        position += 1
    }
}
