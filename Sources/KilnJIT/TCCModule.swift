import CTCC
import KilnCodegen
import KilnIR
import Synchronization

/// libtcc 0.9.27 keeps global state: every compile, from `tcc_new` to `tcc_relocate`, and every
/// `tcc_delete` runs under this one process-wide lock.
private let tccLock = Mutex<Void>(())

/// Machine code compiled by libtcc in memory.
///
/// The module owns its `TCCState`, and deleting the state frees the code: keep the module alive
/// as long as any pointer into the code is in use.
final class TCCModule: @unchecked Sendable {
    private let state: OpaquePointer
    /// Address of the requested entry symbol.
    let entry: UnsafeMutableRawPointer

    private init(state: OpaquePointer, entry: UnsafeMutableRawPointer) {
        self.state = state
        self.entry = entry
    }

    deinit {
        stopThreads(symbol(threadsStopSymbol))
        tccLock.withLock { _ in tcc_delete(state) }
    }

    /// The address of the global symbol `name` of the compiled unit, or nil.
    func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        tccLock.withLock { _ in tcc_get_symbol(state, name) }
    }

    /// Compiles `source` (a whole translation unit, named `fileName` in messages) with
    /// `-nostdlib -Werror`, binds every name of `symbols` to its address, and relocates the code.
    /// A compile or link error is a `KilnError` with tcc's message and the offending source line.
    static func compile(source: String, fileName: String, entryName: String,
                        symbols: [(name: String, address: UnsafeRawPointer)]) throws(KilnError) -> TCCModule {
        let sink = MessageSink()
        let result: Result<TCCModule, KilnError> = tccLock.withLock { _ in
            guard let state = tcc_new() else { return .failure(KilnError("libtcc could not create a compiler state")) }
            func fail(_ what: String) -> Result<TCCModule, KilnError> {
                tcc_delete(state)
                return .failure(compileError(what, messages: sink.messages, source: source, fileName: fileName))
            }
            tcc_set_error_func(state, Unmanaged.passUnretained(sink).toOpaque()) { opaque, message in
                guard let opaque, let message else { return }
                Unmanaged<MessageSink>.fromOpaque(opaque).takeUnretainedValue().messages.append(String(cString: message))
            }
            tcc_set_options(state, "-nostdlib -Werror")
            guard tcc_set_output_type(state, TCC_OUTPUT_MEMORY) == 0 else { return fail("setting up libtcc") }
            guard tcc_compile_string(state, source) == 0 else { return fail("compiling the generated C") }
            for symbol in symbols {
                guard tcc_add_symbol(state, symbol.name, symbol.address) == 0 else { return fail("binding \(symbol.name)") }
            }
            guard tcc_relocate(state, UnsafeMutableRawPointer(bitPattern: 1)) == 0 else { return fail("linking the generated C") }
            guard let entry = tcc_get_symbol(state, entryName) else { return fail("finding the entry point \(entryName)") }
            return .success(TCCModule(state: state, entry: entry))
        }
        withExtendedLifetime(sink) {}
        return try result.get()
    }
}

/// Collects libtcc's messages during one compile (reached from C through an `Unmanaged` pointer).
private final class MessageSink {
    var messages: [String] = []
}

/// The error for a failed compile: tcc's messages, and for each `file.c:LINE:` they mention the
/// generated line itself (the unit's first line is `#line 1`, so LINE counts from the next one).
private func compileError(_ what: String, messages: [String], source: String, fileName: String) -> KilnError {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    var text = "libtcc failed \(what)"
    for message in messages {
        text += "\n  " + message
        let prefix = fileName + ":"
        guard message.hasPrefix(prefix) else { continue }
        let number = Int(message.dropFirst(prefix.count).prefix { $0.isNumber }) ?? 0
        if number >= 1 && number < lines.count {
            text += "\n  \(fileName):\(number): \(lines[number])"
        }
    }
    if messages.isEmpty { text += " (no message)" }
    return KilnError(text)
}
