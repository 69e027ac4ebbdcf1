import KilnIR

// Everything that turns IR text into C text goes through this file, so nothing a user wrote
// (value names, function names, attribute strings) reaches the C source unescaped.

/// The C identifier of the value with `id` and IR name `name`: `v<id>_` followed by the name with
/// every byte outside `A-Z a-z 0-9 _` replaced by `_`, cut to 32 bytes.
///
/// The numeric prefix makes identifiers unique and keeps them clear of C keywords and of the
/// prelude's `kiln_` helpers, whatever the name.
public func cIdentifier(id: Int, name: String) -> String {
    "v\(id)_" + sanitizedName(name)
}

/// `name` reduced to the bytes `A-Z a-z 0-9 _` (others become `_`), at most 32 of them.
func sanitizedName(_ name: String) -> String {
    let bytes = name.utf8.prefix(32).map { b -> UInt8 in
        isIdentifierByte(b) && b != UInt8(ascii: ".") ? b : UInt8(ascii: "_")
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// `text` as the inside of a C block comment: printable ASCII only (others become `?`), `*/` and
/// `/*` broken apart, cut to `limit` characters. It cannot end the comment, open a new one, splice
/// lines or start a preprocessor directive.
public func cCommentText(_ text: String, limit: Int = 160) -> String {
    var out: [UInt8] = []
    for b in text.utf8 {
        if out.count >= limit {
            out += Array(" ...".utf8)
            break
        }
        let printable = b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\")
        let byte = printable ? b : UInt8(ascii: "?")
        if let last = out.last,
           (last == UInt8(ascii: "*") && byte == UInt8(ascii: "/")) || (last == UInt8(ascii: "/") && byte == UInt8(ascii: "*")) {
            out.append(UInt8(ascii: " "))
        }
        out.append(byte)
    }
    return String(decoding: out, as: UTF8.self)
}

/// The C element type of `dtype`.
func cType(_ dtype: DType) -> String {
    switch dtype {
    case .f32: return "float"
    case .f64: return "double"
    case .i32: return "int"
    case .i64: return "long long"
    case .bool: return "unsigned char"
    }
}

/// The unsigned C type of the same width as the integer `dtype`, for wrapping arithmetic.
func cUnsignedType(_ dtype: DType) -> String {
    dtype == .i64 ? "unsigned long long" : "unsigned"
}

/// Bit pattern of a float scalar stored as `dtype` (f32 or f64), as a C hex literal.
func cFloatBits(_ value: Double, _ dtype: DType) -> String {
    dtype == .f32 ? "0x" + String(Float(value).bitPattern, radix: 16) + "u"
                  : "0x" + String(value.bitPattern, radix: 16) + "ull"
}

/// Whether a float scalar has a plain C decimal literal: finite and not negative zero.
func hasDecimalLiteral(_ value: Double) -> Bool {
    value.isFinite && !(value == 0 && value.sign == .minus)
}

/// `value` as a C constant expression of `dtype`, exact: decimal floats round-trip through the
/// compiler's `strtod`; integers avoid the unrepresentable `-MIN` literal. Floats without a decimal
/// literal (infinities, NaN, -0) have none: use `cScalar`.
func cLiteral(_ value: Scalar, _ dtype: DType) -> String? {
    switch dtype {
    case .f32:
        let v = Float(value.asDouble)
        return hasDecimalLiteral(Double(v)) ? "\(v)f" : nil
    case .f64:
        return hasDecimalLiteral(value.asDouble) ? "\(value.asDouble)" : nil
    case .i32:
        let v = Int32(truncatingIfNeeded: value.asInt64)
        return v == .min ? "(-2147483647 - 1)" : "\(v)"
    case .i64:
        let v = value.asInt64
        return v == .min ? "(-9223372036854775807LL - 1)" : "\(v)LL"
    case .bool:
        return value.asDouble != 0 ? "1" : "0"
    }
}
