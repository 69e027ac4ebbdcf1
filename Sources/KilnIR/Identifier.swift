/// Whether `name` is a valid function or value name: one or more of `A-Z a-z 0-9 _ .`.
public func isValidIdentifier(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy(isIdentifierByte)
}

/// Bytes allowed in an identifier after `@` or `%`.
public func isIdentifierByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2E
}
