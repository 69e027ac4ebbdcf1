import KilnIR
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// The passes on random functions of KilnTestSupport's generator: `KILN_PASS_CASES` functions
/// (default 300) from base seed `KILN_PASS_SEED` (default 1). Every pass's output verifies, and the
/// interpreter gives the same bits before and after each pass and the default pipeline (every
/// default rule is exact: docs/passes.md), on random inputs and on inputs full of NaN, ±0, ±inf
/// and integer extremes.
@Suite struct RandomFunctionPassTests {
    static let cases = environmentInt("KILN_PASS_CASES", default: 300)
    static let baseSeed = UInt64(environmentInt("KILN_PASS_SEED", default: 1))
    /// Failures reported before a test stops, so one bug does not print hundreds of functions.
    static let maxReported = 3

    static let pipelines: [(name: String, pipeline: PassPipeline)] =
        PassDescriptor.builtin.map { ($0.name, PassPipeline(passes: [$0.make(PassOptions())])) }
        + [("default", PassPipeline.standard())]

    /// The generator's settings, taken in turn: the default; unguarded numerics (constants take
    /// NaN, ±inf, -0.0, subnormals and integer extremes); empty tensors allowed.
    static let configurations: [GeneratorConfiguration] = {
        var unguarded = GeneratorConfiguration()
        unguarded.guardsNumerics = false
        var empty = GeneratorConfiguration()
        empty.allowsEmptyTensors = true
        return [GeneratorConfiguration(), unguarded, empty]
    }()

    /// Calls `body` with each random function and its inputs until `maxReported` issues.
    private func forEachRandomFunction(_ body: (Function, [[HostTensor]]) throws -> Int) throws {
        var generators = Self.configurations.enumerated().map { k, configuration in
            RandomFunctionGenerator(seed: Self.baseSeed &+ UInt64(k), configuration: configuration)
        }
        var failures = 0
        for n in 0..<Self.cases where failures < Self.maxReported {
            let f = generators[n % generators.count].makeFunction(name: "case\(n)")
            let inputs = [try randomInputs(for: f, seed: UInt64(n)),
                          try delicateInputs(for: f, seed: UInt64(n % delicateRotation))]
            // Passes run (and fold) with products in the order the comparison interprets them in.
            failures += try ProductOrder.$current.withValue(.sequential) { try body(f, inputs) }
        }
    }

    /// Records an issue unless `g` gives the same bits as `f` on every input; returns the issue count.
    private func expectSameResults(_ f: Function, _ g: Function, _ inputs: [[HostTensor]], _ what: String) throws -> Int {
        for input in inputs {
            let differing = try differingResults(f, g, inputs: input)
            if !differing.isEmpty {
                Issue.record("\(what): results \(differing) differ\n--- before ---\n\(printFunction(f))--- after ---\n\(printFunction(g))")
                return 1
            }
        }
        return 0
    }

    @Test func everyPassKeepsResultsAndVerifies() throws {
        try forEachRandomFunction { f, inputs in
            for (name, pipeline) in Self.pipelines {
                var g = f
                _ = try pipeline.run(on: &g)
                try verify(g)
                if try expectSameResults(f, g, inputs, "\(name) on @\(f.name)") > 0 { return 1 }
            }
            return 0
        }
    }

    /// Chains that compute their operand unchanged, inserted into random functions, are all
    /// removed by the default pipeline: the result has no more instructions than the optimized
    /// original, and the same bits.
    @Test func defaultPipelineRemovesInjectedIdentities() throws {
        var rng = SplitMix64(seed: Self.baseSeed)
        try forEachRandomFunction { f, inputs in
            let injected = try injectingIdentities(into: f, using: &rng)
            try verify(injected)
            var (g, h) = (f, injected)
            _ = try PassPipeline.standard().run(on: &g)
            _ = try PassPipeline.standard().run(on: &h)
            if try expectSameResults(f, h, inputs, "default on @\(f.name) with identities") > 0 { return 1 }
            guard h.body.count <= g.body.count else {
                Issue.record("identities left in @\(f.name):\n\(printFunction(h))--- the original optimizes to ---\n\(printFunction(g))")
                return 1
            }
            return 0
        }
    }

    /// With its parameters turned into constants holding the inputs, a random function folds to
    /// constants equal to what the interpreter computes from those inputs; only results beyond
    /// the dense limit, and what depends on them, stay unfolded.
    @Test func foldEvaluatesFunctionsOfConstants() throws {
        try forEachRandomFunction { f, inputs in
            var constant = f
            constant.params = []
            for (p, input) in zip(f.params, inputs[0]).reversed() {
                let literal = Literal.dense((0..<input.count).map { input[$0] })
                constant.body.insert(Instruction(op: .constant(literal, input.type), operands: [], results: [p]), at: 0)
            }
            try verify(constant)
            _ = try PassPipeline(passes: [ConstantFolding(), DeadCodeElimination()]).run(on: &constant)
            try verify(constant)
            let expected = try interpret(f, inputs: inputs[0])
            let folded = try interpret(constant, inputs: [])
            guard zip(expected, folded).allSatisfy(sameBits) else {
                Issue.record("folding @\(f.name) changed results:\n\(printFunction(constant))")
                return 1
            }
            // What stays unfolded is a collective (known only at run time), a dense result beyond
            // the limit, or depends on one.
            var unfolded: Set<Value> = []
            for inst in constant.body {
                if case .constant = inst.op { continue }
                guard inst.op.family == .collective || constant.type(of: inst.results[0]).count > FoldLimits().maxDenseElements
                        || inst.operands.contains(where: unfolded.contains) else {
                    Issue.record("%\(constant.name(of: inst.results[0])) of @\(f.name) did not fold:\n\(printFunction(constant))")
                    return 1
                }
                unfolded.insert(inst.results[0])
            }
            return 0
        }
    }
}
