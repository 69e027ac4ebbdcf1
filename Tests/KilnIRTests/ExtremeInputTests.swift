import Foundation
import KilnIR
import KilnSupport
import KilnTestSupport
import Testing

/// Extreme and hostile inputs give a `KilnError` naming the place, never a trap; fuzz findings
/// stay fixed; programs of the structure-aware generator round-trip or are rejected.
@Suite struct ExtremeInputTests {
    /// Parses and verifies `text`, returning the error it must raise.
    private func rejection(_ text: String) -> KilnError? {
        do {
            try verify(try parseModule(text, file: "x.kir"))
            return nil
        } catch {
            return error
        }
    }

    @Test func sliceStrideOfIntMaxIsAnErrorNamingTheAttribute() throws {
        let error = try #require(rejection("""
            func @f(%x: f32[4]) -> (f32[1]) {
              %y = slice(%x) {start = [0], limit = [2], stride = [9223372036854775807]} : f32[1]
              return %y
            }
            """))
        #expect(error.location == SourceLocation(file: "x.kir", line: 2, column: 8))
        #expect(error.message == "'slice' attribute 'stride' entries must be in 1...2147483647, got [9223372036854775807]")
    }

    @Test func aStrideAsLargeAsTheLimitTakesOneElement() throws {
        let module = try parseModule("""
            func @f(%x: f32[4]) -> (f32[1]) {
              %y = slice(%x) {start = [1], limit = [4], stride = [2147483647]} : f32[1]
              return %y
            }
            """, file: "x.kir")
        try verify(module)
        #expect(module.functions[0].resultTypes == [TensorType(.f32, [1])])
    }

    @Test func infAndNanLiteralsStayValidWhereFiniteOverflowIsNot() throws {
        let module = try parseModule("""
            func @f() -> (f32[4]) {
              %c = constant() {value = dense<[inf,-inf,nan,3.4028235e38]>} : f32[4]
              return %c
            }
            """, file: "x.kir")
        try verify(module)
        guard case .constant(.dense(let values), _) = module.functions[0].body[0].op else {
            Issue.record("not a dense constant")
            return
        }
        #expect(values.map(\.asDouble).prefix(2) == [.infinity, -.infinity])
        #expect(values[2].asDouble.isNaN && values[3].asDouble == Double(Float.greatestFiniteMagnitude))
    }

    @Test func elementAndByteCountsSaturateInsteadOfTrapping() {
        #expect(TensorType(.f32, [Int.max, 2]).count == Int.max)
        #expect(TensorType(.f64, [1 << 61]).byteCount == Int.max)
        #expect(TensorType(.f64, [1 << 20, 3]).byteCount == 3 << 23)
        #expect(rowMajorStrides([2, Int.max, 3]) == [Int.max, 3, 1])
    }

    /// A function whose body nests `fused` `depth` levels deep around one `abs`; the fused op of
    /// level k (from 1) is on line 2k, column 6.
    private func nestedFused(depth: Int) -> String {
        var text = "func @f(%x: f32[2]) -> (f32[2]) {\n"
        for level in 0..<depth { text += "%y = fused(\(level == 0 ? "%x" : "%p")) {\n^(%p: f32[2]):\n" }
        text += "%r = abs(%p) : f32[2]\nyield %r\n"
        for level in (0..<depth).reversed() { text += "} : f32[2]\n\(level == 0 ? "return" : "yield") %y\n" }
        return text + "}\n"
    }

    @Test func fusedNestingUpToTheLimitRoundTrips() {
        let outcome = checkRoundTrip(Array(nestedFused(depth: FusedNesting.maxDepth).utf8))
        guard case .roundTripped(let text) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(text.components(separatedBy: "fused(").count == FusedNesting.maxDepth + 1)
    }

    @Test(arguments: [FusedNesting.maxDepth + 1, 3_000, 100_000])
    func fusedNestingPastTheLimitIsAnError(depth: Int) throws {
        let error = try #require(rejection(nestedFused(depth: depth)))
        let line = 2 * (FusedNesting.maxDepth + 1)
        #expect(error.location == SourceLocation(file: "x.kir", line: line, column: 6))
        #expect(error.message.contains("nested deeper than \(FusedNesting.maxDepth) levels"))
    }

    /// `Fixtures/fuzz/`: inputs that once crashed Kiln (from the fuzzer or reported by hand).
    private static let fuzzFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    @Test func fuzzRegressionInputsGiveAnErrorOrRoundTrip() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fuzzFixtures.path).sorted()
        #expect(names.count >= 8)
        for name in names {
            let bytes = try readFileBytes(Self.fuzzFixtures.appendingPathComponent(name).path)
            switch checkRoundTrip(bytes, file: name) {
            case .broken(let problem): Issue.record("\(name): \(problem)")
            case .rejected(let error): #expect(error.location?.file == name, "\(name): \(error) names no place in the file")
            case .roundTripped: break
            }
        }
    }

    @Test func fuzzDictionaryHoldsEveryOpAndDtype() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/KilnFuzz/kir.dict").path
        let dictionary = String(decoding: try readFileBytes(path), as: UTF8.self)
        for name in Op.allNames { #expect(dictionary.contains("\"\(name)(\""), "kir.dict lacks op '\(name)'") }
        for dtype in DType.allCases { #expect(dictionary.contains("\"\(dtype.rawValue)\""), "kir.dict lacks dtype \(dtype)") }
    }

    @Test func extremeProgramsVerifyAndRoundTripOrAreRejected() {
        let defaultCount = 400
        let seeds = randomSeeds(countVariable: "KILN_FUZZ_CASES", defaultCount: defaultCount)
        var roundTripped = 0
        var messages: [String] = []
        for seed in seeds {
            var rng = SplitMix64(seed: seed)
            let bytes = (0..<Int.random(in: 8...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var generator = ExtremeProgramGenerator(bytes: bytes)
            let program = generator.makeProgram()
            switch checkRoundTrip(Array(program.utf8)) {
            case .broken(let problem):
                Issue.record("seed \(seed): \(problem)")
                return
            case .rejected(let error):
                guard error.location?.file == "fuzz.kir" else {
                    Issue.record("seed \(seed): \(error) names no place in:\n\(program)")
                    return
                }
                messages.append(error.message)
            case .roundTripped:
                roundTripped += 1
            }
        }
        // The generator reaches valid programs and each kind of limit (with the default count).
        guard seeds.count >= defaultCount else { return }
        #expect(roundTripped >= seeds.count / 4)
        for fragment in ["entries must be in", "nested deeper than", "out of range for", "does not have shape", "elements"] {
            #expect(messages.contains { $0.contains(fragment) }, "no program was rejected for '\(fragment)'")
        }
    }
}
