import Foundation
import KilnIR
import KilnSupport
import KilnTestSupport
import Testing

/// Printing and parsing are inverse on random functions and on the example files, and the
/// parser survives mangled versions of both.
@Suite struct RoundTripTests {
    @Test func randomFunctionsRoundTripThroughText() {
        for seed in randomSeeds(countVariable: "KILN_RANDOM_CASES", defaultCount: 1000) {
            let f = variedRandomFunction(seed: seed)
            let text = printFunction(f)
            if let problem = roundTripProblem(f, text) {
                Issue.record("seed \(seed): \(problem)\n\(text)")
                return
            }
        }
    }

    /// What goes wrong when `f`, printed as `text`, goes through the parser; nil if nothing.
    private func roundTripProblem(_ f: Function, _ text: String) -> String? {
        do { try verify(f) } catch { return "the generated function does not verify: \(error)" }
        let parsed: Function
        do {
            let module = try parseModule(text, file: "random.kir")
            guard module.functions.count == 1 else { return "parsed into \(module.functions.count) functions" }
            parsed = module.functions[0]
            try verify(parsed)
        } catch {
            return "the text does not load: \(error)"
        }
        let reprinted = printFunction(parsed)
        guard reprinted == text else { return "it prints differently once parsed:\n\(reprinted)" }
        guard structuralForm(parsed) == structuralForm(f) else { return "it parses to a different function" }
        return nil
    }

    @Test func modulesOfSeveralFunctionsRoundTrip() throws {
        for seed in randomSeeds(countVariable: "KILN_RANDOM_CASES", defaultCount: 1000).prefix(30) {
            var generator = RandomFunctionGenerator(seed: seed)
            let module = IRModule(functions: (0..<3).map { generator.makeFunction(name: "f\($0)") })
            let text = printModule(module)
            let parsed = try parseModule(text, file: "module.kir")
            try verify(parsed)
            #expect(printModule(parsed) == text, "seed \(seed)")
            #expect(parsed.functions.map(structuralForm) == module.functions.map(structuralForm), "seed \(seed)")
        }
    }

    @Test func structuralFormsIgnoreLocationsInFusedBodiesAndTellDifferentTextsApart() throws {
        let text = """
            func @f(%x: f32[2]) -> (f32[2]) {
              %y = fused(%x) {
                ^(%p: f32[2]):
                  %r = abs(%p) : f32[2]
                  yield %r
              } : f32[2]
              return %y
            }
            """
        let here = try parseModule(text, file: "a.kir").functions[0]
        let there = try parseModule("\n\n" + text, file: "b.kir").functions[0]
        #expect(here != there)
        #expect(structuralForm(here) == structuralForm(there))
        let other = try parseModule(text.replacingOccurrences(of: "abs", with: "neg"), file: "a.kir").functions[0]
        #expect(structuralForm(other) != structuralForm(here))
    }

    /// `ir-examples/` at the root of the repository.
    private static let examplesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ir-examples")

    /// Every `.kir` file under `directory`, recursively, sorted; none when it does not exist.
    private static func kirFiles(under directory: URL) -> [String] {
        guard let entries = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return entries.compactMap { $0 as? String }.filter { $0.hasSuffix(".kir") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    @Test func irExamplesLoadAndPrintToAFixedPoint() {
        for path in Self.kirFiles(under: Self.examplesDirectory) {
            do {
                let canonical = printModule(try loadModule(path: path))
                let reparsed = try parseModule(canonical, file: path)
                try verify(reparsed)
                #expect(printModule(reparsed) == canonical, "\(path) does not print to a fixed point")
            } catch {
                Issue.record("\(path): \(error)")
            }
        }
    }

    @Test func mutatedTextParsesOrFailsAtALineAndColumn() {
        let corpus = randomSeeds(countVariable: "KILN_RANDOM_CASES", defaultCount: 1000).prefix(64)
            .map { Array(printFunction(variedRandomFunction(seed: $0)).utf8) }
            + Self.kirFiles(under: Self.examplesDirectory).compactMap { try? readFileBytes($0) }
        guard !corpus.isEmpty else { return }
        let cases = environmentInt("KILN_FUZZ_CASES", default: 2000)
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: environmentInt("KILN_RANDOM_SEED", default: 0)))
        for index in 0..<cases {
            var bytes = corpus[index % corpus.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { mutate(&bytes, using: &rng) }
            do {
                try verify(try parseModule(bytes: bytes, file: "fuzz.kir"))
            } catch {
                let lines = bytes.count(where: { $0 == UInt8(ascii: "\n") }) + 1
                guard let place = error.location, place.file == "fuzz.kir", (1...lines).contains(place.line), place.column >= 1 else {
                    Issue.record("case \(index): \(error) has no valid location in:\n\(String(decoding: bytes, as: UTF8.self))")
                    return
                }
            }
        }
    }
}

/// Text a mutation may insert: punctuation, keywords, odd numbers, non-ASCII and control bytes.
private let insertions: [String] = [
    "%", "@", "(", ")", "{", "}", "[", "]", "<", ">", ",", "=", ":", "->", "\"", "#", "\n", " ", "func", "return",
    "dense<", "nan", "-inf", "1e999", "-1", "0", "99999999999999999999", "2147483648", "9223372036854775808",
    "f16", "é", "\u{0}", "\u{7F}", "\\u{41}",
]

/// One random edit of `bytes`: delete, duplicate a token, swap, truncate, insert a random byte
/// or a random snippet.
private func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
    guard !bytes.isEmpty else {
        bytes = Array((insertions.randomElement(using: &rng) ?? "").utf8)
        return
    }
    let at = Int.random(in: 0..<bytes.count, using: &rng)
    switch Int.random(in: 0..<6, using: &rng) {
    case 0:
        bytes.remove(at: at)
    case 1:
        var (start, end) = (at, at + 1)
        if isIdentifierByte(bytes[at]) {
            while start > 0, isIdentifierByte(bytes[start - 1]) { start -= 1 }
            while end < bytes.count, isIdentifierByte(bytes[end]) { end += 1 }
        }
        bytes.insert(contentsOf: bytes[start..<end], at: end)
    case 2:
        bytes.swapAt(at, Int.random(in: 0..<bytes.count, using: &rng))
    case 3:
        bytes.removeSubrange(at...)
    case 4:
        bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
    default:
        bytes.insert(contentsOf: Array((insertions.randomElement(using: &rng) ?? "").utf8), at: at)
    }
}
