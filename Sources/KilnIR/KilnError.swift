/// A user-facing error: what went wrong, where, and (in the message) how to fix it.
///
/// Printed as `FILE:LINE:COL: error: message` when the place is a spot in a file.
public struct KilnError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}
