import KilnIR

/// What `checkRoundTrip` found for one input.
public enum RoundTripOutcome: Sendable {
    /// The input does not parse or verify: the error says where and why.
    case rejected(KilnError)
    /// The input verifies, and its canonical text (given) parses, verifies and prints to itself.
    case roundTripped(String)
    /// The input verifies but its canonical text does not come back: a bug, described.
    case broken(String)
}

/// Parses and verifies `bytes` as a `.kir` file; when that succeeds, checks that the canonical
/// text parses and verifies again, prints to the same text and gives structurally the same
/// functions. The property the fuzzer (`KilnFuzz`) and the extreme-program tests check.
public func checkRoundTrip(_ bytes: [UInt8], file: String = "fuzz.kir") -> RoundTripOutcome {
    let module: IRModule
    do {
        module = try parseModule(bytes: bytes, file: file)
        try verify(module)
    } catch {
        return .rejected(error)
    }
    let text = printModule(module)
    let again: IRModule
    do {
        again = try parseModule(text, file: "printed.kir")
        try verify(again)
    } catch {
        return .broken("the canonical text does not load: \(error)\n\(text)")
    }
    let reprinted = printModule(again)
    guard reprinted == text else { return .broken("the canonical text prints differently once parsed:\n\(text)\n---\n\(reprinted)") }
    guard again.functions.map(structuralForm) == module.functions.map(structuralForm) else {
        return .broken("the canonical text parses to different functions:\n\(text)")
    }
    return .roundTripped(text)
}
