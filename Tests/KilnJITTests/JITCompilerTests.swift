import KilnCodegen
import KilnIR
@testable import KilnJIT
import KilnRuntime
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct JITCompilerTests {
    static let affine = """
    func @affine(%x: f32[4,3], %w: f32[3,2]) -> (f32[4,2]) {
      %y = matmul(%x, %w) : f32[4,2]
      %z = tanh(%y) : f32[4,2]
      return %z
    }
    """

    @Test func compileErrorsShowTccsMessageAndTheGeneratedLine() throws {
        let source = "#line 1 \"broken.c\"\nvoid kiln_entry(void **args, char *arena) {\n  int x = 1;\n  undefined_function(x);\n}\n"
        do {
            _ = try TCCModule.compile(source: source, fileName: "broken.c", entryName: "kiln_entry", symbols: [])
            Issue.record("bad C compiled")
        } catch {
            #expect(error.message.contains("broken.c:3: error: implicit declaration of function 'undefined_function'"))
            #expect(error.message.contains("broken.c:3:   undefined_function(x);"))
        }
    }

    @Test func unboundSymbolsFailAtLink() throws {
        let source = "#line 1 \"link.c\"\nvoid missing(void);\nvoid kiln_entry(void **args, char *arena) { missing(); }\n"
        #expect(throws: KilnError.self) {
            try TCCModule.compile(source: source, fileName: "link.c", entryName: "kiln_entry", symbols: [])
        }
        let ok = "#line 1 \"ok.c\"\nvoid kiln_entry(void **args, char *arena) { }\n"
        _ = try TCCModule.compile(source: ok, fileName: "ok.c", entryName: "kiln_entry", symbols: [])
    }

    @Test func everyExternalSymbolIsBound() {
        // memcpy, memset, kiln_all_reduce_{start,test,wait}, 2 gemms, openblas_{get,set}_num_threads,
        // 16 libm functions, 11 pthread functions, 12 image and pooling kernels, 117 elementwise kernels
        #expect(allExternalSymbols.count == 165)
        for name in allExternalSymbols { #expect(externalSymbolAddress(name) != nil, "\(name)") }
        #expect(throws: KilnError.self) { try bindSymbols(["system"]) }
    }

    @Test func secondCompileComesFromTheCache() throws {
        let compiler = JITCompiler(capacity: 2)
        let f = try parseFunction(Self.affine)
        let first = try compiler.compile(f)
        let second = try compiler.compile(try parseFunction(Self.affine))
        #expect(first === second)
        #expect(compiler.cacheStatistics.hits == 1 && compiler.cacheStatistics.misses == 1)
        #expect(try compiler.compile(f, options: exactOptions) !== first)
    }

    /// The cache keeps the most recently used functions; an evicted one keeps working.
    @Test func cacheEvictsTheLeastRecentlyUsed() throws {
        let compiler = JITCompiler(capacity: 2)
        let functions = try (0..<3).map { try singleOp(.unary(.exp), [TensorType(.f32, [$0 + 1])], name: "f\($0)") }
        let first = try compiler.compile(functions[0])
        _ = try compiler.compile(functions[1])
        _ = try compiler.compile(functions[0])
        _ = try compiler.compile(functions[2])
        #expect(try compiler.compile(functions[0]) === first)
        let misses = compiler.cacheStatistics.misses
        _ = try compiler.compile(functions[1])
        #expect(compiler.cacheStatistics.misses == misses + 1)
        #expect(try first.run([try HostTensor([1], floats: [0])])[0].doubles == [1])
    }

    @Test func inputsAreCheckedBeforeTheCall() throws {
        let compiled = try JITCompiler.shared.compile(try parseFunction(Self.affine))
        let x = try HostTensor(zeros: TensorType(.f32, [4, 3]))
        #expect(throws: KilnError("@affine takes 2 inputs, got 1")) { try compiled.run([x]) }
        #expect(throws: KilnError("input %w of @affine must be f32[3,2], got f32[2,3]")) {
            try compiled.run([x, try HostTensor(zeros: TensorType(.f32, [2, 3]))])
        }
        #expect(throws: KilnError("input %x of @affine must be f32[4,3], got f64[4,3]")) {
            try compiled.run([try HostTensor(zeros: TensorType(.f64, [4, 3])), try HostTensor(zeros: TensorType(.f32, [3, 2]))])
        }
    }

    @Test func reportsSourceTimingsAndArena() throws {
        let f = try parseFunction(Self.affine)
        let compiled = try JITCompiler(capacity: 1).compile(f)
        #expect(compiled.cSource == (try emitC(f)).source)
        #expect(compiled.timings.codegenMilliseconds > 0 && compiled.timings.compileMilliseconds > 0)
        #expect(compiled.arenaPeakBytes == 32)
        #expect(compiled.parameterTypes == f.paramTypes && compiled.resultTypes == f.resultTypes)
    }

    /// An arena large enough to be faulted in on another thread (`Arena.prefaultThreshold`):
    /// the first call, right after the compile, gives the interpreter's results, and functions
    /// freed at once, before their pages are in, free their arenas safely.
    @Test func largeArenaIsPrefaultedWhileTheCallWaits() throws {
        let f = try parseFunction("""
        func @wide(%x: f32[300000]) -> (f32[300000]) {
          %a = mul(%x, %x) : f32[300000]
          %b = sin(%a) : f32[300000]
          %c = add(%b, %x) : f32[300000]
          return %c
        }
        """)
        let compiler = JITCompiler(capacity: 0)
        for _ in 0..<4 { _ = try compiler.compile(f) }
        let compiled = try compiler.compile(f)
        #expect(compiled.arenaPeakBytes >= Arena.prefaultThreshold)
        let inputs = try testInputs(f, edges: false)
        #expect(sameBytes(try compiled.run(inputs)[0], try interpret(f, inputs: inputs)[0]))
    }

    /// Calls of one compiled function from many tasks at once, each with its own inputs (the
    /// calls share the function's arena), give the results of serial calls; compiles from many
    /// tasks at once (they share libtcc) work too.
    @Test func concurrentCallsAndCompiles() async throws {
        let f = try parseFunction("""
        func @long(%x: f32[50000]) -> (f32[50000]) {
          %a = mul(%x, %x) : f32[50000]
          %b = sin(%a) : f32[50000]
          %c = add(%b, %x) : f32[50000]
          %d = cos(%c) : f32[50000]
          return %d
        }
        """)
        let compiled = try JITCompiler.shared.compile(f)
        let inputs = try (0..<8).map { try testInputs(f, seed: UInt64($0), edges: false) }
        let expected = try inputs.map { try compiled.run($0)[0] }
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for k in 0..<8 {
                group.addTask {
                    let g = try singleOp(.unary(.neg), [TensorType(.f64, [k + 1])], name: "concurrent\(k)")
                    let negated = try JITCompiler(capacity: 1).compile(g).run([try HostTensor(TensorType(.f64, [k + 1]), doubles: Array(repeating: 2, count: k + 1))])
                    var same = negated[0].doubles.allSatisfy { $0 == -2 }
                    for _ in 0..<10 { same = try same && sameBytes(compiled.run(inputs[k])[0], expected[k]) }
                    return same
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(ok)
    }
}

/// Whether two tensors have the same type and bytes.
func sameBytes(_ a: HostTensor, _ b: HostTensor) -> Bool {
    a.type == b.type && memcmp(a.data, b.data, a.type.byteCount) == 0
}
