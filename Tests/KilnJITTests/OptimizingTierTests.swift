import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// The optimizing tier: the same C compiled by gcc gives the same bits as libtcc's code and the
/// interpreter, tiers up in the background without disturbing calls, falls back to libtcc when gcc
/// is missing or fails, and leaves no files behind.
@Suite struct OptimizingTierTests {
    /// Edge values through the ops whose C selects by bit masks (`kiln_pick_*`, which libtcc's
    /// code spells as macros and gcc's as inlined functions) and through libm, in `dtype`.
    static func edges(_ dtype: DType) -> String {
        let t = "\(dtype)[14]"
        return """
        func @edges(%a: \(t), %b: \(t)) -> (\(t), \(t), \(t), i32[14], bool[14], \(t), \(t), \(t), \(t), \(t)) {
          %mx = max(%a, %b) : \(t)
          %mn = min(%b, %a) : \(t)
          %ab = abs(%a) : \(t)
          %ci = convert(%b) {dtype = "i32"} : i32[14]
          %lt = compare(%a, %b) {direction = "lt"} : bool[14]
          %q = div(%a, %b) : \(t)
          %s = sqrt(%a) : \(t)
          %e = exp(%b) : \(t)
          %p = pow(%a, %b) : \(t)
          %fl = floor(%q) : \(t)
          %th = tanh(%e) : \(t)
          %sel = select(%lt, %s, %fl) : \(t)
          %r = relu(%b) : \(t)
          %sg = sign(%a) : \(t)
          return %mx, %mn, %ab, %ci, %lt, %sel, %p, %th, %r, %sg
        }
        """
    }

    /// `f` on `inputs`: libtcc's results, then gcc's (same compiled function, tiered up), from a
    /// compiler using `toolchain`.
    static func bothTiers(_ f: Function, _ inputs: [HostTensor], options: CodegenOptions,
                          toolchain: NativeToolchain = NativeToolchain()) throws -> (baseline: [HostTensor], optimized: [HostTensor], compiled: CompiledFunction) {
        let compiler = JITCompiler(capacity: 1, toolchain: toolchain)
        let compiled = try compiler.compile(f, options: options)
        #expect(!compiled.isOptimized && compiled.optimizingTierStatus == .notRequested)
        let baseline = try compiled.run(inputs)
        let upgraded = try compiler.compile(f, options: options, tier: .optimizing)
        #expect(upgraded === compiled)
        return (baseline, try compiled.run(inputs), compiled)
    }

    /// Why gcc's, libtcc's and the interpreter's results on `f` differ, or nil: the tiers bit for
    /// bit, the interpreter within `interpreterTolerance(options)`.
    static func tierProblem(_ f: Function, _ inputs: [HostTensor], options: CodegenOptions) throws -> String? {
        let (baseline, optimized, compiled) = try bothTiers(f, inputs, options: options)
        guard compiled.isOptimized else { return "not optimized: \(compiled.optimizingTierStatus)" }
        if let problem = mismatch(optimized, baseline, .exact) { return "gcc vs tcc: \(problem)" }
        return mismatch(optimized, try interpret(f, inputs: inputs), interpreterTolerance(options)).map { "gcc vs interpreter: \($0)" }
    }

    @Test(arguments: [DType.f32, .f64])
    func edgeValuesAreBitIdentical(dtype: DType) throws {
        let f = try parseFunction(Self.edges(dtype))
        #expect(try Self.tierProblem(f, try testInputs(f), options: CodegenOptions()) == nil)
        #expect(NativeToolchain.flags.contains("-ffp-contract=off") && !NativeToolchain.flags.contains("-ffast-math"))
    }

    /// A fused select against +0 (a ReLU gradient) takes one mask, `kiln_keep`; against -0 it
    /// keeps `kiln_pick`. Both tiers give the interpreter's bits, signed zeros and NaN included.
    @Test(arguments: [DType.f32, .f64])
    func selectsAgainstZeroKeepTheirBits(dtype: DType) throws {
        let t = "\(dtype)[14]"
        let f = try parseFunction("""
        func @relu_grads(%x: \(t), %g: \(t)) -> (\(t), \(t)) {
          (%plus, %minus) = fused(%x, %g) {
            ^(%x: \(t), %g: \(t)):
              %zero = constant() {value = 0.0} : \(t)
              %negzero = constant() {value = -0.0} : \(t)
              %up = compare(%x, %zero) {direction = "gt"} : bool[14]
              %plus = select(%up, %g, %zero) : \(t)
              %minus = select(%up, %g, %negzero) : \(t)
              yield %plus, %minus
          } : (\(t), \(t))
          return %plus, %minus
        }
        """)
        let source = try JITCompiler.shared.compile(f).cSource
        #expect(source.contains("kiln_keep_\(dtype)(t") && source.contains("kiln_pick_\(dtype)(t"))
        #expect(try Self.tierProblem(f, try testInputs(f), options: CodegenOptions()) == nil)
    }

    /// Every function of ir-examples/: bit-identical across tiers with the default options (four
    /// accumulators: the same reassociation in both), and bit-exact against the interpreter with one.
    @Test(arguments: ExampleJITTests.examples)
    func example(file: String) throws {
        for (f, inputs) in try exampleFunctions(file) {
            let (baseline, optimized, compiled) = try Self.bothTiers(f, inputs, options: CodegenOptions())
            #expect(compiled.isOptimized, "\(compiled.optimizingTierStatus)")
            #expect(mismatch(optimized, baseline, .exact) == nil, "@\(f.name) of \(file)")
            #expect(try Self.tierProblem(f, inputs, options: exactOptions) == nil, "@\(f.name) of \(file)")
        }
    }

    /// `KILN_TIER_CASES` random functions (default 100) from `KILN_RANDOM_SEED`: gcc, libtcc and the
    /// interpreter agree bit for bit with libm's functions; with the inline f32 math (when the
    /// function uses it), gcc and libtcc still agree bit for bit.
    @Test func randomFunctionsAreBitIdentical() throws {
        var failures = 0
        for seed in randomSeeds(countVariable: "KILN_TIER_CASES", defaultCount: 100) where failures < 3 {
            let f = variedRandomFunction(seed: seed)
            let inputs = try randomInputs(for: f, seed: seed)
            let options = RandomDifferentialTests.sumsFloats(f) ? exactOptions : CodegenOptions(libmFunctions: true)
            var problem = try Self.tierProblem(f, inputs, options: options)
            if problem == nil, Self.usesInlineMath(f) {
                var inline = options
                inline.libmFunctions = false
                let (baseline, optimized, _) = try Self.bothTiers(f, inputs, options: inline)
                problem = mismatch(optimized, baseline, .exact).map { "inline math, gcc vs tcc: \($0)" }
            }
            guard let problem else { continue }
            failures += 1
            Issue.record("seed \(seed) (replay: KILN_RANDOM_SEED=\(seed) KILN_TIER_CASES=1): \(problem)\n\(printFunction(f))")
        }
    }

    /// Whether `f` has an f32 `exp`, `log`, `tanh` or `sigmoid`, which `libmFunctions` changes.
    static func usesInlineMath(_ f: Function) -> Bool {
        f.body.contains { inst in
            guard case .unary(let u) = inst.op, [.exp, .log, .tanh, .sigmoid].contains(u) else { return false }
            return inst.results.contains { f.type(of: $0).dtype == .f32 }
        }
    }

    /// `.adaptive` returns libtcc's code at once; gcc's replaces it between calls, while another
    /// thread keeps calling, and every result stays the same.
    @Test func adaptiveTierSwitchesBetweenCalls() async throws {
        let scratch = try ScratchDirectory()
        let slowGCC = try scratch.script("slow-gcc", "sleep 0.4\nexec gcc \"$@\"")
        let compiler = JITCompiler(capacity: 1, toolchain: NativeToolchain(compiler: slowGCC, temporaryRoot: scratch.path))
        let f = try parseFunction(Self.edges(.f32))
        let inputs = try testInputs(f)
        let probeSource = "int kiln_probe(int x) { return x * 3 + 1; }"
        let compiled = try compiler.compile(f, tier: .adaptive, appending: probeSource)
        #expect(!compiled.isOptimized && compiled.optimizingTierStatus == .compiling)
        let baselineProbe = compiled.withEntryAndArena { code, _ in
            #expect(code.tier == .baseline && code.symbol("kiln_entry") == code.entry)
            return code.symbol("kiln_probe")
        }
        let before = try compiled.run(inputs)
        let caller = Task.detached {
            var results: [[HostTensor]] = []
            repeat { results.append(try compiled.run(inputs)) } while compiled.optimizingTierStatus == .compiling
            for _ in 0..<5 { results.append(try compiled.run(inputs)) }
            return results
        }
        #expect(compiled.waitForOptimizedTier())
        let results = try await caller.value
        #expect(results.allSatisfy { mismatch($0, before, .exact) == nil })
        #expect(mismatch(try compiled.run(inputs), before, .exact) == nil)
        #expect((compiled.optimizingCompileMilliseconds ?? 0) >= 400)
        compiled.withEntryAndArena { code, _ in
            #expect(code.tier == .optimizing && code.symbol("kiln_entry") == code.entry)
            let probe = code.symbol("kiln_probe")
            #expect(probe != nil && probe != baselineProbe && probe == compiled.symbol("kiln_probe"))
            typealias Probe = @convention(c) (Int32) -> Int32
            #expect(probe.map { unsafeBitCast($0, to: Probe.self)(5) } == 16)
        }
        #expect(try scratch.contents("").sorted() == ["slow-gcc"])
        // Asking again for a tier changes nothing once it is ready.
        #expect(try compiler.compile(f, tier: .optimizing, appending: probeSource) === compiled && compiled.isOptimized)
    }

    /// `.adaptive` starts gcc only once the first call has finished (or `firstCallGrace` has
    /// passed), so that gcc does not take a core from the first call.
    @Test func adaptiveTierStartsGCCAfterTheFirstCall() throws {
        let scratch = try ScratchDirectory()
        let marker = scratch.path + "/gcc-started"
        let markingGCC = try scratch.script("marking-gcc", "touch '\(marker)'\nexec gcc \"$@\"")
        let compiler = JITCompiler(capacity: 1, toolchain: NativeToolchain(compiler: markingGCC, temporaryRoot: scratch.path))
        let f = try parseFunction(Self.edges(.f64))
        let inputs = try testInputs(f)
        let compiled = try compiler.compile(f, tier: .adaptive)
        usleep(100_000)
        #expect(compiled.optimizingTierStatus == .compiling && !FileManager.default.fileExists(atPath: marker))
        let first = try compiled.run(inputs)
        #expect(compiled.waitForOptimizedTier() && FileManager.default.fileExists(atPath: marker))
        #expect(mismatch(try compiled.run(inputs), first, .exact) == nil)
    }

    /// A function freed while gcc compiles its code goes away at once; the compile still cleans up.
    @Test func functionFreedDuringTierUp() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeSubdirectory("tmp")
        let slowGCC = try scratch.script("slow-gcc", "sleep 0.2\nexec gcc \"$@\"")
        let compiler = JITCompiler(capacity: 0, toolchain: NativeToolchain(compiler: slowGCC, temporaryRoot: scratch.path + "/tmp"))
        weak var freed: CompiledFunction?
        do {
            let compiled = try compiler.compile(try parseFunction(Self.edges(.f32)), tier: .adaptive)
            #expect(compiled.optimizingTierStatus == .compiling)
            freed = compiled
        }
        #expect(freed == nil)
        // Background compiles run in order: once a later one is done, the first one is too.
        let later = try compiler.compile(try parseFunction(Self.edges(.f32)), tier: .adaptive)
        #expect(later.waitForOptimizedTier())
        #expect(try scratch.contents("tmp").isEmpty)
    }

    @Test func fallsBackToTCCWithoutACompiler() throws {
        let f = try parseFunction(Self.edges(.f32))
        let inputs = try testInputs(f)
        var missing = NativeToolchain()
        missing.compiler = nil
        for (toolchain, reason) in [(missing, "no gcc or cc on PATH"),
                                    (NativeToolchain(compiler: "/nonexistent/gcc"), "cannot run /nonexistent/gcc: No such file or directory")] {
            let (baseline, optimized, compiled) = try Self.bothTiers(f, inputs, options: CodegenOptions(), toolchain: toolchain)
            #expect(!compiled.isOptimized && compiled.optimizingCompileMilliseconds == nil)
            #expect(compiled.optimizingTierStatus == .unavailable(reason))
            #expect(compiled.waitForOptimizedTier() == false)
            let reference = try interpret(f, inputs: inputs)
            #expect(mismatch(optimized, baseline, .exact) == nil)
            #expect(mismatch(optimized, reference, interpreterTolerance(CodegenOptions())) == nil)
        }
    }

    /// A failing compiler leaves libtcc's code, its status and first lines of stderr in the reason,
    /// and (like a successful compile) no file in the temporary root.
    @Test func failingCompilerKeepsTCCAndCleansUp() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeSubdirectory("tmp")
        let failing = try scratch.script("bad-cc", "echo 'unit.c:3: error: no good' >&2\nexit 3")
        let f = try parseFunction(Self.edges(.f32))
        let inputs = try testInputs(f)
        let bad = NativeToolchain(compiler: failing, temporaryRoot: scratch.path + "/tmp")
        let (_, optimized, compiled) = try Self.bothTiers(f, inputs, options: CodegenOptions(), toolchain: bad)
        #expect(!compiled.isOptimized)
        #expect(compiled.optimizingTierStatus == .unavailable("\(failing) exited with status 3:\n  unit.c:3: error: no good"))
        #expect(mismatch(optimized, try interpret(f, inputs: inputs), interpreterTolerance(CodegenOptions())) == nil)
        #expect(try scratch.contents("tmp").isEmpty)
        let good = NativeToolchain(temporaryRoot: scratch.path + "/tmp")
        #expect(try Self.bothTiers(f, inputs, options: CodegenOptions(), toolchain: good).compiled.isOptimized)
        #expect(try scratch.contents("tmp").isEmpty)
    }

    @Test func findsTheCompilerOnThePath() throws {
        let scratch = try ScratchDirectory()
        let fake = try scratch.script("cc", "exit 0")
        #expect(NativeToolchain.find(["gcc", "cc"], searchPath: "/nonexistent:" + scratch.path) == fake)
        #expect(NativeToolchain.find(["gcc"], searchPath: "/nonexistent::" + scratch.path) == nil)
        #expect(NativeToolchain.find(["gcc", "cc"], searchPath: "") == nil)
    }
}
