import Foundation
import KilnIR
import KilnSupport
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// The passes without fast-math change no bit of any result: each example of ir-examples/passes is
/// run before and after its passes on inputs full of NaN, ±0, ±inf and integer extremes.
@Suite struct ExactnessTests {
    private func examplePair(_ file: String) throws -> (before: IRModule, after: IRModule, fastMath: Bool) {
        let path = PassExampleTests.directory.appendingPathComponent(file).path
        let spec = try CheckFile(parsing: String(decoding: try readFileBytes(path), as: UTF8.self))
        let before = try loadModule(path: path)
        var after = before
        _ = try PassPipeline(parsing: spec.passes, options: PassOptions(fastMath: spec.fastMath)).run(on: &after)
        return (before, after, spec.fastMath)
    }

    @Test(arguments: PassExampleTests.files)
    func examplesKeepEveryBit(_ file: String) throws {
        let (before, after, fastMath) = try examplePair(file)
        guard !fastMath else { return }
        for (f, g) in zip(before.functions, after.functions) {
            for seed in UInt64(0)..<UInt64(delicateRotation + 2) {
                let differing = try differingResults(f, g, inputs: try delicateInputs(for: f, seed: seed))
                #expect(differing.isEmpty, "\(file): results \(differing) of @\(f.name) differ for seed \(seed)")
            }
        }
    }

    /// The fast-math rules are exactly those that can change bits: each fast-math rewrite of the
    /// example differs from the original on some delicate input.
    @Test func fastMathRulesChangeBits() throws {
        let (before, after, fastMath) = try examplePair("simplify_fast_math.kir")
        #expect(fastMath)
        let f = before.functions[0], g = after.functions[0]
        var differing: Set<Int> = []
        for seed in UInt64(0)..<64 {
            differing.formUnion(try differingResults(f, g, inputs: try delicateInputs(for: f, seed: seed)))
        }
        #expect(differing == Set(f.results.indices))
    }
}

/// The default pipeline on the example programs of ir-examples/ keeps every bit of every result.
@Suite struct ProgramExactnessTests {
    static let programs = IRExamples.files()

    @Test(arguments: programs)
    func defaultPipelineKeepsEveryBit(_ file: String) throws {
        let path = PassExampleTests.directory.deletingLastPathComponent().appendingPathComponent(file).path
        let before = try loadModule(path: path)
        var after = before
        _ = try PassPipeline.standard().run(on: &after)
        for (f, g) in zip(before.functions, after.functions) {
            for seed in UInt64(0)..<4 {
                let inputs = seed == 0 ? try randomInputs(for: f, seed: seed) : try delicateInputs(for: f, seed: seed)
                let differing = try differingResults(f, g, inputs: inputs)
                #expect(differing.isEmpty, "\(file): results \(differing) of @\(f.name) differ for seed \(seed)")
            }
        }
    }
}
