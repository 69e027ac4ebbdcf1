/// An attribute value as written in the text, before an op gives it meaning.
///
/// Numbers keep their text so that they convert exactly to the dtype they end up with.
public indirect enum AttributeValue: Hashable, Sendable, CustomStringConvertible {
    case number(String)
    case bool(Bool)
    case string(String)
    case list([AttributeValue])
    /// `dense<...>`: a scalar or nested lists, row-major.
    case dense(AttributeValue)

    /// Canonical text: lists without spaces, strings escaped.
    public var description: String {
        switch self {
        case .number(let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return quoteString(s)
        case .list(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
        case .dense(let payload): return "dense<\(payload)>"
        }
    }
}

/// `s` in double quotes with `\"`, `\\`, `\n`, `\t`, `\r`, and `escapeControl(value)` for other
/// control characters (by default the IR's `\u{XX}`; JSON passes its `\u00XX`).
public func quoteString(_ s: String, escapeControl: (UInt32) -> String = { "\\u{\(String($0, radix: 16))}" }) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += escapeControl(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// An attribute with the place it was written, when parsed.
public struct ParsedAttribute: Hashable, Sendable {
    public var value: AttributeValue
    public var location: SourceLocation?
    public init(_ value: AttributeValue, at location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }
}
