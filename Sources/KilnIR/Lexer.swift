/// A token of the textual IR.
struct Token: Equatable {
    enum Kind: Equatable {
        case word(String)       // func, return, op names, dtypes, true/false, dense, inf, nan
        case global(String)     // @name
        case local(String)      // %name
        case number(String)     // 12, -3.5e-4, inf, -nan (text kept)
        case string(String)     // "..." with escapes resolved
        case punct(Character)   // ( ) { } [ ] < > , : = ^
        case arrow              // ->
        case end
    }
    var kind: Kind
    var line: Int
    var column: Int

    var text: String {
        switch kind {
        case .word(let w): return "'\(w)'"
        case .global(let g): return "'@\(g)'"
        case .local(let l): return "'%\(l)'"
        case .number(let n): return "number \(n)"
        case .string: return "a string"
        case .punct(let c): return "'\(c)'"
        case .arrow: return "'->'"
        case .end: return "end of file"
        }
    }
}

/// Splits `.kir` bytes (already valid UTF-8) into tokens, tracking line and column (in characters).
struct Lexer {
    private let bytes: [UInt8]
    private let file: String
    private var pos = 0
    private var line = 1
    private var column = 1

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        pos + offset < bytes.count ? bytes[pos + offset] : nil
    }

    private mutating func advance() {
        let b = bytes[pos]
        pos += 1
        if b == 0x0A {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
    }

    private func error(_ message: String, _ line: Int, _ column: Int) -> KilnError {
        KilnError(message, at: SourceLocation(file: file, line: line, column: column))
    }

    private mutating func skipTrivia() {
        while let b = peek() {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                advance()
            } else if b == UInt8(ascii: "#") {
                while let c = peek(), c != 0x0A { advance() }
            } else {
                return
            }
        }
    }

    private mutating func identifier() -> String {
        let start = pos
        while let b = peek(), isIdentifierByte(b) { advance() }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func next() throws(KilnError) -> Token {
        skipTrivia()
        let (l, c) = (line, column)
        func token(_ kind: Token.Kind) -> Token { Token(kind: kind, line: l, column: c) }
        guard let b = peek() else { return token(.end) }
        switch b {
        case UInt8(ascii: "@"), UInt8(ascii: "%"):
            advance()
            let name = identifier()
            guard !name.isEmpty else {
                throw error("expected a name after '\(Character(Unicode.Scalar(b)))' (letters, digits, '_' or '.')", l, c)
            }
            return token(b == UInt8(ascii: "@") ? .global(name) : .local(name))
        case UInt8(ascii: "-") where peek(1) == UInt8(ascii: ">"):
            advance(); advance()
            return token(.arrow)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return token(.number(try number(l, c)))
        case UInt8(ascii: "\""):
            return token(.string(try string(l, c)))
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: ":"),
             UInt8(ascii: "="), UInt8(ascii: "^"):
            advance()
            return token(.punct(Character(Unicode.Scalar(b))))
        default:
            if isIdentifierByte(b) {
                let word = identifier()
                return token(word == "inf" || word == "nan" ? .number(word) : .word(word))
            }
            throw error("unexpected character \(describe(at: pos))", l, c)
        }
    }

    /// The character at byte offset `i`, quoted, or its code for control characters.
    private func describe(at i: Int) -> String {
        var end = i + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let s = String(decoding: bytes[i..<end], as: UTF8.self)
        if let u = s.unicodeScalars.first, u.value < 0x20 || u.value == 0x7F {
            return "U+\(String(u.value, radix: 16, uppercase: true))"
        }
        return "'\(s)'"
    }

    /// `[+-]? (digits [. digits]? ([eE] [+-]? digits)? | inf | nan)`, returned as written.
    private mutating func number(_ l: Int, _ c: Int) throws(KilnError) -> String {
        let start = pos
        if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { advance() }
        if let b = peek(), b == UInt8(ascii: "i") || b == UInt8(ascii: "n") {
            let word = identifier()
            guard word == "inf" || word == "nan" else { throw error("malformed number", l, c) }
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }
        func digits() -> Int {
            var n = 0
            while let b = peek(), b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { advance(); n += 1 }
            return n
        }
        guard digits() > 0 else { throw error("malformed number: expected digits", l, c) }
        if peek() == UInt8(ascii: ".") {
            advance()
            guard digits() > 0 else { throw error("malformed number: expected digits after '.'", l, c) }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            advance()
            if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { advance() }
            guard digits() > 0 else { throw error("malformed number: expected exponent digits", l, c) }
        }
        if let b = peek(), isIdentifierByte(b) {
            throw error("malformed number: unexpected \(describe(at: pos)) after digits", line, column)
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    /// A double-quoted string with escapes `\" \\ \n \t \r \u{hex}`.
    private mutating func string(_ l: Int, _ c: Int) throws(KilnError) -> String {
        advance()
        var out = String.UnicodeScalarView()
        var chunkStart = pos
        func flush() { out.append(contentsOf: String(decoding: bytes[chunkStart..<pos], as: UTF8.self).unicodeScalars) }
        while true {
            guard let b = peek(), b != 0x0A else { throw error("unterminated string: add the closing '\"' on the same line", l, c) }
            if b == UInt8(ascii: "\"") {
                flush()
                advance()
                return String(out)
            }
            guard b == UInt8(ascii: "\\") else { advance(); continue }
            flush()
            let (el, ec) = (line, column)
            advance()
            guard let e = peek() else { throw error("unterminated string", l, c) }
            advance()
            switch e {
            case UInt8(ascii: "\""): out.append("\"")
            case UInt8(ascii: "\\"): out.append("\\")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "u"):
                guard peek() == UInt8(ascii: "{") else { throw error("expected '{' after \\u", el, ec) }
                advance()
                let start = pos
                while let h = peek(), h != UInt8(ascii: "}"), pos - start < 8 { advance() }
                let hex = String(decoding: bytes[start..<pos], as: UTF8.self)
                guard peek() == UInt8(ascii: "}"), let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                    throw error("invalid \\u{...} escape: use 1 to 6 hex digits of a valid code point", el, ec)
                }
                advance()
                out.append(scalar)
            default:
                throw error("unknown escape \\\(Character(Unicode.Scalar(e))); use \\\" \\\\ \\n \\t \\r or \\u{hex}", el, ec)
            }
            chunkStart = pos
        }
    }
}

/// The line and column of the first byte that is not valid UTF-8, or nil when all are.
func firstInvalidUTF8(_ bytes: [UInt8]) -> (line: Int, column: Int)? {
    var line = 1, column = 1, i = 0
    while i < bytes.count {
        let b = bytes[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch b {
        case 0x00...0x7F: length = 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return (line, column)
        }
        guard i + length <= bytes.count else { return (line, column) }
        for k in 1..<length {
            let limitLow = k == 1 ? low : 0x80, limitHigh = k == 1 ? high : 0xBF
            guard bytes[i + k] >= limitLow && bytes[i + k] <= limitHigh else { return (line, column) }
        }
        if b == 0x0A { line += 1; column = 1 } else { column += 1 }
        i += length
    }
    return nil
}
