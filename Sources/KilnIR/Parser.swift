// PLACEHOLDER: to be replaced by the real parser.

/// Parses the text of a `.kir` file (see docs/ir.md). Errors name `file:line:col`.
/// The result is not verified: call `verify` (or use `loadModule`).
public func parseModule(_ text: String, file: String) throws(KilnError) -> Module {
    throw KilnError("parser not built yet", at: SourceLocation(file: file, line: 1, column: 1))
}

/// Parses raw file bytes; bytes that are not UTF-8 are an error at their line and column.
public func parseModule(bytes: [UInt8], file: String) throws(KilnError) -> Module {
    throw KilnError("parser not built yet", at: SourceLocation(file: file, line: 1, column: 1))
}
