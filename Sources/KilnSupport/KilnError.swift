/// An error Kiln reports: what went wrong, where, and (in the message) how to fix it.
///
/// Printed as `FILE:LINE:COL: error: message` when the place is a spot in a file. A `.user` error
/// is the input's fault (the command line, a file, a model); an `.internal` one is a broken
/// invariant of Kiln itself (code generation refusing what the verifier accepted, a pass
/// producing invalid IR), and `kiln` exits with status 2 for it instead of 1.
public struct KilnError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Whose fault an error is.
    public enum Kind: Sendable, Equatable {
        /// The input is wrong; the message says where and how to fix it.
        case user
        /// A defect of Kiln; the message asks for a report with the input.
        case `internal`
    }

    public var message: String
    public var location: SourceLocation?
    public var kind: Kind

    public init(_ message: String, at location: SourceLocation? = nil, kind: Kind = .user) {
        self.message = message
        self.location = location
        self.kind = kind
    }

    /// An internal error: `message` says which invariant broke.
    public static func `internal`(_ message: String, at location: SourceLocation? = nil) -> KilnError {
        KilnError(message, at: location, kind: .internal)
    }

    /// The same error with `message` in place of its own (the kind and place are kept).
    public func rephrased(_ message: (String) -> String, at location: SourceLocation? = nil) -> KilnError {
        KilnError(message(self.message), at: location ?? self.location, kind: kind)
    }

    public var description: String {
        let text = kind == .internal ? "internal error: \(message); this is a bug in Kiln, please report it with the input" : message
        if let location { return "\(location): error: \(text)" }
        return "error: \(text)"
    }
}
