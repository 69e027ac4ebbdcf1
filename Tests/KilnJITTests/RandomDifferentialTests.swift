import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// Random functions of every op and dtype (Sources/KilnTestSupport), optimized with the default
/// pipeline and compiled, and interpreted, on random inputs: the results must be bit-exact (libm for f32 exp/log/tanh). Functions summing floats are compiled with one
/// accumulator per reduction and one sample per convolution product (the interpreter's order);
/// the others with the default options.
/// `KILN_DIFF_CASES` cases (default 2000) from `KILN_RANDOM_SEED` (default 0); a failing case is
/// shrunk and printed with the seed that replays it.
@Suite struct RandomDifferentialTests {
    static let compiler = JITCompiler(capacity: 8)

    /// Whether `f` sums floats in an order the default options change: a float `reduce_sum`
    /// (several accumulators) or a convolution product (several samples per gemm).
    static func sumsFloats(_ f: Function) -> Bool {
        f.body.contains { inst in
            if case .reduce(.sum, _) = inst.op { return f.type(of: inst.operands[0]).dtype.isFloat }
            if case .conv2d = inst.op { return true }
            if case .conv2dTranspose = inst.op { return true }
            if case .conv2dFilterGrad = inst.op { return true }
            return false
        }
    }

    /// Why `c`'s function, optimized by the default pipeline (fusion included) and compiled,
    /// and the interpreted original give different results, or nil.
    /// With `threads`, every loop of at least two chunks runs on that many threads.
    static func problem(_ c: FailingCase, threads: Int? = nil) -> String? {
        let exact = sumsFloats(c.function)
        var options = exact ? exactOptions : CodegenOptions(libmFunctions: true)
        if let threads { (options.threads, options.parallelThreshold) = (threads, 0) }
        do {
            var optimized = c.function
            _ = try PassPipeline.standard().run(on: &optimized)
            let compiled = try compiler.compile(optimized, options: options).run(c.inputs)
            return mismatch(compiled, try interpret(c.function, inputs: c.inputs), .exact)
        } catch {
            return "\(error)"
        }
    }

    @Test func compiledFunctionsMatchTheInterpreter() throws {
        try Self.differential(countVariable: "KILN_DIFF_CASES", defaultCount: 2000, threads: nil)
    }

    /// The same on 3 threads with every loop parallel (`KILN_THREAD_CASES` cases, default 300).
    @Test func parallelFunctionsMatchTheInterpreter() throws {
        try Self.differential(countVariable: "KILN_THREAD_CASES", defaultCount: 300, threads: 3)
    }

    static func differential(countVariable: String, defaultCount: Int, threads: Int?) throws {
        var failures = 0
        for seed in randomSeeds(countVariable: countVariable, defaultCount: defaultCount) where failures < 3 {
            let f = variedRandomFunction(seed: seed)
            let start = FailingCase(function: f, inputs: try randomInputs(for: f, seed: seed))
            guard let problem = Self.problem(start, threads: threads) else { continue }
            failures += 1
            let minimal = shrink(start) { Self.problem($0, threads: threads) != nil }
            let inputs = minimal.inputs.map(\.description).joined(separator: "\n  ")
            Issue.record("""
            seed \(seed) (replay: KILN_RANDOM_SEED=\(seed) \(countVariable)=1), threads \(threads.map(String.init) ?? "default"): \(problem)
            minimal failing function: \(Self.problem(minimal, threads: threads) ?? "")
            \(printFunction(minimal.function))inputs:
              \(inputs)
            """)
        }
    }

    /// The memory plans of random functions keep every promise (see `planProblems`), and reuse
    /// arena bytes: the peak stays at or below the sum of the buffers.
    @Test func randomMemoryPlansAreSound() throws {
        var (peaks, sums) = (0, 0)
        for seed in randomSeeds(countVariable: "KILN_DIFF_CASES", defaultCount: 2000).prefix(500) {
            let f = variedRandomFunction(seed: seed)
            let plan = try emitC(f).plan
            let problems = planProblems(startingReductionsEarly(f), plan)  // the order emitC plans
            #expect(problems.isEmpty, "seed \(seed): \(problems)\n\(printFunction(f))")
            let sum = plan.buffers.map { ($0.bytes + 63) / 64 * 64 }.reduce(0, +)
            #expect(plan.peakBytes <= sum)
            peaks += plan.peakBytes
            sums += sum
        }
        #expect(peaks < sums)
    }

    /// The shrinker cuts a failing case down to the instruction that fails.
    @Test func shrinkingFindsTheFailingInstruction() throws {
        let f = try parseFunction("""
        func @f(%x: f32[4]) -> (f32[4], f32[4]) {
          %a = exp(%x) : f32[4]
          %b = neg(%a) : f32[4]
          %c = sin(%b) : f32[4]
          %d = add(%c, %x) : f32[4]
          return %d, %a
        }
        """)
        let start = FailingCase(function: f, inputs: try testInputs(f, edges: false))
        let minimal = shrink(start) { c in c.function.body.contains { $0.op == .unary(.sin) } }
        #expect(minimal.function.body.map(\.op) == [.unary(.sin)])
        #expect(minimal.function.params.count == 1 && minimal.inputs.count == 1)
        #expect(minimal.inputs[0].doubles == (try interpret(f, inputs: start.inputs))[1].doubles.map { -$0 })
    }
}
