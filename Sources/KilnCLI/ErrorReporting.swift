import ArgumentParser
import KilnIR
#if canImport(Glibc)
import Glibc
#endif

/// The exit codes of `kiln`.
enum ExitStatus: Int32 {
    case success = 0
    /// The input or the command line is wrong; the message on stderr says where and how to fix it.
    case userError = 1
    /// A defect of Kiln itself.
    case internalError = 2

    /// The status for `error`: 2 for a defect of Kiln, 1 for anything wrong with the input.
    init(_ error: KilnError) {
        switch error.kind {
        case .user: self = .userError
        case .internal: self = .internalError
        }
    }
}

/// Parses `arguments`, runs the chosen command and reports any error on stderr.
func runKiln(_ arguments: [String]) -> ExitStatus {
    var command: any ParsableCommand
    do {
        command = try KilnCommand.parseAsRoot(arguments)
    } catch {
        return reportCommandLineError(error)
    }
    do {
        try command.run()
        return .success
    } catch let error as KilnError {
        writeToStandardError(error.description)
        return ExitStatus(error)
    } catch where isKilnSubcommand(command) {
        writeToStandardError("internal error: \(error)")
        return .internalError
    } catch {
        return reportCommandLineError(error)  // from ArgumentParser's own commands (help) or the bare root
    }
}

private func isKilnSubcommand(_ command: any ParsableCommand) -> Bool {
    let type = ObjectIdentifier(Swift.type(of: command))
    return KilnCommand.configuration.subcommands.contains { ObjectIdentifier($0) == type }
}

/// ArgumentParser's message for `error`: help goes to stdout with success, anything else is a
/// user error (ArgumentParser's own usage exit code 64 is not used).
private func reportCommandLineError(_ error: any Error) -> ExitStatus {
    let message = KilnCommand.fullMessage(for: error)
    if KilnCommand.exitCode(for: error).isSuccess {
        if !message.isEmpty { print(message) }
        return .success
    }
    writeToStandardError(message.isEmpty ? "error: \(error)" : message)
    return .userError
}

/// Writes `text` and a newline to stderr, unbuffered, with control characters escaped.
func writeToStandardError(_ text: String) {
    let text = escapingControlCharacters(text)
    var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        bytes = bytes.dropFirst(n)
    }
}

/// `text` with every control character but newline and tab written as `\u{1B}`: error messages
/// echo file names, values and IR text, and none of it may drive the terminal.
func escapingControlCharacters(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t" {
            out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}
