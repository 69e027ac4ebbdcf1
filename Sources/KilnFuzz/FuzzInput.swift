#if canImport(Glibc)
import Glibc
#endif
import KilnIR
import KilnTestSupport

// A libFuzzer target over parse -> verify -> print -> parse (docs/fuzzing.md). Each input is
// tried twice: as `.kir` text, and as the entropy of `ExtremeProgramGenerator`, whose program
// goes through the same check. A trap anywhere, or a program that verifies but does not
// round-trip, is a crash for libFuzzer.

/// One fuzz input; aborts when the round trip breaks.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var generator = ExtremeProgramGenerator(bytes: bytes)
    for input in [bytes, Array(generator.makeProgram().utf8)] {
        if case .broken(let problem) = checkRoundTrip(input) {
            report("round trip broken: \(problem)\ninput:\n\(String(decoding: input, as: UTF8.self))")
            abort()
        }
    }
    return 0
}

/// Writes `text` and a newline to stderr.
func report(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
