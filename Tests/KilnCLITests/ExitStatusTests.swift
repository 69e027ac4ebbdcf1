@testable import KilnCLI
import KilnIR
import Testing

/// A user error exits 1 and an internal one 2, with a message that says which.
@Suite struct ExitStatusTests {
    @Test func internalErrorsExitTwoAndAskForAReport() {
        let error = KilnError.internal("pass 'fuse' produced invalid IR for @f: bad")
        #expect(ExitStatus(error) == .internalError)
        #expect(ExitStatus(error).rawValue == 2)
        #expect(error.description == "error: internal error: pass 'fuse' produced invalid IR for @f: bad; this is a bug in Kiln, please report it with the input")
    }

    @Test func userErrorsExitOne() {
        let error = KilnError("'slice' stride must be positive", at: SourceLocation(file: "f.kir", line: 3, column: 8))
        #expect(ExitStatus(error).rawValue == 1)
        #expect(error.description == "f.kir:3:8: error: 'slice' stride must be positive")
    }

    /// Rephrasing keeps the kind: an internal error stays internal when a caller adds context.
    @Test func rephrasingKeepsTheKind() {
        let error = KilnError.internal("no traced step").rephrased { "training: \($0)" }
        #expect(error.kind == .internal && error.message == "training: no traced step")
    }
}
