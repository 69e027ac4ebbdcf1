import KilnIR
import KilnRuntime

/// A JSON value, as checkpoint headers use them. Objects keep their keys in order (duplicates
/// are a parse error); numbers without a fraction or exponent are integers.
enum JSON {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Compact JSON text (no spaces), strings escaped as RFC 8259 requires.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return d.isFinite ? d.description : "null"
        case .string(let s): return quoted(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let entries): return "{" + entries.map { quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// Parses `bytes` (UTF-8) as one JSON value, with only whitespace around it.
    static func parse(_ bytes: some Collection<UInt8>) throws(KilnError) -> JSON {
        var parser = JSONParser(bytes: Array(bytes))
        return try parser.parseDocument()
    }
}

/// `s` as a JSON string literal.
private func quoted(_ s: String) -> String {
    quoteString(s) { value in
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// A recursive-descent parser of RFC 8259 JSON.
private struct JSONParser: TextCursor {
    let bytes: [UInt8]
    var position = 0
    /// Deepest nesting accepted, so that no input can exhaust the stack.
    static let maxDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(KilnError) -> JSON {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected text after the JSON value") }
        return value
    }

    private mutating func parseValue(depth: Int) throws(KilnError) -> JSON {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        guard let b = peek() else { throw error("unexpected end of JSON") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): return try parseWord("true", .bool(true))
        case UInt8(ascii: "f"): return try parseWord("false", .bool(false))
        case UInt8(ascii: "n"): return try parseWord("null", .null)
        default: throw error("expected a JSON value")
        }
    }

    private mutating func parseWord(_ word: String, _ value: JSON) throws(KilnError) -> JSON {
        let text = Array(word.utf8)
        guard bytes[position...].starts(with: text) else { throw error("expected '\(word)'") }
        position += text.count
        return value
    }

    private mutating func parseObject(depth: Int) throws(KilnError) -> JSON {
        position += 1
        var entries: [(String, JSON)] = []
        var keys: Set<String> = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return .object(entries) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            guard keys.insert(key).inserted else { throw error("duplicate key \"\(key)\"") }
            try expect(":")
            entries.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { position += 1; return .object(entries) }
            try expect(",")
        }
    }

    private mutating func parseArray(depth: Int) throws(KilnError) -> JSON {
        position += 1
        var items: [JSON] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
            try expect(",")
        }
    }

    private mutating func parseNumber() throws(KilnError) -> JSON {
        let start = position
        func digits() -> Int {
            let from = position
            while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { position += 1 }
            return position - from
        }
        if peek() == UInt8(ascii: "-") { position += 1 }
        let intStart = position
        guard digits() > 0 else { throw error("expected digits") }
        guard bytes[intStart] != UInt8(ascii: "0") || position - intStart == 1 else { throw error("leading zero in a number") }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            isInteger = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("expected exponent digits") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger {
            guard let value = Int(text) else { throw error("integer \(text) does not fit in 64 bits") }
            return .integer(value)
        }
        guard let value = Double(text) else { throw error("malformed number \(text)") }
        return .number(value)
    }

    private mutating func parseString() throws(KilnError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var run = position
        func flush(_ end: Int) throws(KilnError) {
            guard let text = String(validating: bytes[run..<end], as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while let b = peek() {
            switch b {
            case UInt8(ascii: "\""):
                try flush(position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(position)
                position += 1
                scalars.append(try parseEscape())
                run = position
            case 0..<0x20:
                throw error("unescaped control character in a string")
            default:
                position += 1
            }
        }
        throw error("unterminated string")
    }

    /// The character of the escape after a backslash (a surrogate pair counts as one).
    private mutating func parseEscape() throws(KilnError) -> Unicode.Scalar {
        guard let b = peek() else { throw error("unterminated escape") }
        position += 1
        switch b {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            var value = high
            if (0xD800..<0xDC00).contains(high) {
                guard bytes[position...].starts(with: Array("\\u".utf8)) else { throw error("unpaired surrogate") }
                position += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                value = 0x10000 + (high - 0xD800) << 10 + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("unpaired surrogate") }
            return scalar
        default:
            throw error("invalid escape '\\\(Character(Unicode.Scalar(b)))'")
        }
    }

    private mutating func parseHex4() throws(KilnError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let b = peek(), let digit = Character(Unicode.Scalar(b)).hexDigitValue else {
                throw error("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
