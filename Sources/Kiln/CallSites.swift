import KilnIR

// Errors and traced instructions name the line of user code that called a module or a DSL op.
// Public entry points (`Module.callAsFunction`, the tensor ops) take `#fileID`/`#line`/`#column`
// defaults. A call from user code (any file outside this module) names its own line; a call from
// Kiln's own files names the current call site instead, the innermost user call around it, which
// `atCallSite` sets. So an error inside `Linear` names the line of a user's `forward` that called
// it, or the line that called a `Sequential` holding it, never a line inside Kiln.

/// The current user call site, for the ops and errors of the module or op it called.
enum CallSites {
    @TaskLocal static var current: SourceLocation?
}

/// `Kiln/`: how `#fileID` begins in this module's own files.
private let kilnFilePrefix = Array("\(#fileID)".utf8.prefix { $0 != UInt8(ascii: "/") }) + [UInt8(ascii: "/")]

/// Whether `file` (a `#fileID`) is one of this module's own files.
private func isKilnFile(_ file: StaticString) -> Bool {
    file.withUTF8Buffer { $0.starts(with: kilnFilePrefix) }
}

/// The place to name for a call from `file:line:column`: that place in user code, or the current
/// call site for a call from Kiln's own files.
func callSite(_ file: StaticString, _ line: UInt, _ column: UInt) -> SourceLocation? {
    isKilnFile(file) ? CallSites.current : SourceLocation(file: "\(file)", line: Int(line), column: Int(column))
}

/// Runs `body` with the call from `file:line:column` as the current call site when it is user
/// code, and gives any `KilnError` from it that names no place that place.
func atCallSite<T, E: Error>(_ file: StaticString, _ line: UInt, _ column: UInt,
                             _ body: () throws(E) -> T) throws(E) -> T {
    guard !isKilnFile(file) else { return try body() }
    let site = SourceLocation(file: "\(file)", line: Int(line), column: Int(column))
    let result = CallSites.$current.withValue(site) { Result { () throws(E) -> T in try body() } }
    do {
        return try result.get()
    } catch {
        guard let e = error as? KilnError, e.location == nil, let located = e.rephrased({ $0 }, at: site) as? E else { throw error }
        throw located
    }
}
