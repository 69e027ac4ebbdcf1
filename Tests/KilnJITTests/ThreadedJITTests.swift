import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import Testing

/// Parallel loops (the thread pool of generated code): every kernel kind that runs on the pool
/// agrees bit for bit with the interpreter on 1 and on several threads, a thread count always
/// gives the same bits, and the workers stop when the code is freed.
@Suite struct ThreadedJITTests {
    /// Every loop kind the pool runs, with sizes that leave uneven parts:
    /// elementwise ops, a fused bias + relu nest, a flat fused chain, row-fused softmax, reductions
    /// split over each kind of kept axis, argmax, pools and their gradients.
    static let kernels = """
    func @elementwise(%x: f32[37,131], %y: f32[37,131], %c: bool[37,131]) -> (f32[37,131], f32[37,131], f32[37,131], bool[37,131], i32[37,131]) {
      %e = exp(%x) : f32[37,131]
      %m = max(%x, %y) : f32[37,131]
      %s = select(%c, %x, %y) : f32[37,131]
      %l = compare(%x, %y) {direction = "lt"} : bool[37,131]
      %i = convert(%y) {dtype = "i32"} : i32[37,131]
      return %e, %m, %s, %l, %i
    }
    func @bias_relu(%x: f32[45,67], %b: f32[67]) -> (f32[45,67]) {
      %bb = broadcast_in_dim(%b) {shape = [45,67], dims = [1]} : f32[45,67]
      %z = add(%x, %bb) : f32[45,67]
      %r = relu(%z) : f32[45,67]
      return %r
    }
    func @flat_chain(%x: f32[5001], %y: f32[5001]) -> (f32[5001]) {
      %a = mul(%x, %y) : f32[5001]
      %t = tanh(%a) : f32[5001]
      %s = sub(%t, %x) : f32[5001]
      return %s
    }
    func @softmax(%x: f32[33,75]) -> (f32[33,75]) {
      %m = reduce_max(%x) {axes = [1]} : f32[33]
      %mb = broadcast_in_dim(%m) {shape = [33,75], dims = [0]} : f32[33,75]
      %d = sub(%x, %mb) : f32[33,75]
      %e = exp(%d) : f32[33,75]
      %s = reduce_sum(%e) {axes = [1]} : f32[33]
      %sb = broadcast_in_dim(%s) {shape = [33,75], dims = [0]} : f32[33,75]
      %p = div(%e, %sb) : f32[33,75]
      return %p
    }
    func @reductions(%x: f32[7,9,130], %y: f64[130,11]) -> (f32[9,130], f32[7,9], f32[9], f64[11], f64[130], f64[]) {
      %a = reduce_sum(%x) {axes = [0]} : f32[9,130]
      %b = reduce_max(%x) {axes = [2]} : f32[7,9]
      %c = reduce_sum(%x) {axes = [0,2]} : f32[9]
      %d = reduce_sum(%y) {axes = [0]} : f64[11]
      %e = reduce_min(%y) {axes = [1]} : f64[130]
      %f = reduce_sum(%y) {axes = [0,1]} : f64[]
      return %a, %b, %c, %d, %e, %f
    }
    func @argmax(%x: f32[41,23], %y: f32[1,300]) -> (i32[41], i32[23], i32[1]) {
      %a = argmax(%x) {axis = 1} : i32[41]
      %b = argmax(%x) {axis = 0} : i32[23]
      %c = argmax(%y) {axis = 1} : i32[1]
      return %a, %b, %c
    }
    func @pools(%x: f32[3,5,11,9], %g: f32[3,5,6,5], %h: f32[3,5,5,4]) -> (f32[3,5,6,5], f32[3,5,5,4], f32[3,5,11,9], f32[3,5,11,9]) {
      %m = max_pool2d(%x) {window = [3,3], stride = [2,2], padding = [1,1]} : f32[3,5,6,5]
      %a = avg_pool2d(%x) {window = [3,3], stride = [2,2], padding = [0,0]} : f32[3,5,5,4]
      %mg = max_pool2d_grad(%x, %g) {window = [3,3], stride = [2,2], padding = [1,1]} : f32[3,5,11,9]
      %ag = avg_pool2d_grad(%x, %h) {window = [3,3], stride = [2,2], padding = [0,0]} : f32[3,5,11,9]
      return %m, %a, %mg, %ag
    }
    """

    static var functions: [Function] {
        get throws {
            let module = try parseModule(kernels, file: "threads.kir")
            try verify(module)
            return try module.functions.map { f in
                var f = f
                _ = try Fusion().run(on: &f)
                return f
            }
        }
    }

    /// Options running every loop with at least two chunks on `threads` threads, summing in the
    /// interpreter's order, with libm's (or the inline) f32 math.
    static func parallel(_ threads: Int, libm: Bool = true) -> CodegenOptions {
        CodegenOptions(reductionAccumulators: 1, threads: threads, parallelThreshold: 0, libmFunctions: libm)
    }

    /// The inline f32 math in threaded loops, on libtcc and gcc: the same bits on 1 and 2 threads,
    /// within `interpreterTolerance` of the interpreter.
    @Test func inlineMathOnThreads() throws {
        for f in try Self.functions {
            let inputs = try testInputs(f, seed: 5)
            let reference = try interpret(f, inputs: inputs)
            var results: [[HostTensor]] = []
            for threads in [1, 2] {
                let options = Self.parallel(threads, libm: false)
                let (baseline, optimized, compiled) = try OptimizingTierTests.bothTiers(f, inputs, options: options)
                #expect(compiled.isOptimized, "@\(f.name): \(compiled.optimizingTierStatus)")
                for (tier, outputs) in [("tcc", baseline), ("gcc", optimized)] {
                    if let problem = mismatch(outputs, reference, interpreterTolerance(options)) {
                        Issue.record("@\(f.name), \(tier), \(threads) threads: \(problem)")
                    }
                }
                results.append(optimized)
            }
            #expect(mismatch(results[1], results[0], .exact) == nil, "@\(f.name): 2 threads vs 1")
        }
    }

    @Test(arguments: [1, 2, 3, 4])
    func kernelsMatchTheInterpreter(threads: Int) throws {
        for f in try Self.functions {
            let compiled = try JITCompiler.shared.compile(f, options: Self.parallel(threads))
            #expect(compiled.cSource.contains("kiln_parallel_for(") == (threads > 1), "@\(f.name)")
            for seed in [UInt64(1), 2] {
                let inputs = try testInputs(f, seed: seed, edges: seed == 1)
                if let problem = mismatch(try compiled.run(inputs), try interpret(f, inputs: inputs), .exact) {
                    Issue.record("@\(f.name) on \(threads) threads: \(problem)")
                }
            }
        }
    }

    /// gcc's code of the pool and of the parallel parts gives the same bits.
    @Test func optimizingTierMatchesTheInterpreter() throws {
        let compiler = JITCompiler(capacity: 0)
        guard compiler.toolchain.compiler != nil else { return }
        for f in try Self.functions {
            let compiled = try compiler.compile(f, options: Self.parallel(3), tier: .optimizing)
            #expect(compiled.isOptimized, "@\(f.name): \(compiled.optimizingTierStatus)")
            let inputs = try testInputs(f, seed: 3)
            if let problem = mismatch(try compiled.run(inputs), try interpret(f, inputs: inputs), .exact) {
                Issue.record("@\(f.name), gcc, 3 threads: \(problem)")
            }
        }
    }

    /// Float sums with the default 4 accumulators: two compiles with one thread count give the
    /// same bits, and so does any other thread count (threads split outputs, never a sum).
    @Test func aThreadCountAlwaysGivesTheSameBits() throws {
        let f = try parseFunction("""
        func @f(%x: f32[64,300], %w: f32[300]) -> (f32[64], f32[300], f32[64,300]) {
          %wb = broadcast_in_dim(%w) {shape = [64,300], dims = [1]} : f32[64,300]
          %p = mul(%x, %wb) : f32[64,300]
          %r = reduce_sum(%p) {axes = [1]} : f32[64]
          %c = reduce_sum(%p) {axes = [0]} : f32[300]
          %s = sigmoid(%p) : f32[64,300]
          return %r, %c, %s
        }
        """)
        let inputs = try testInputs(f, seed: 9, edges: false)
        func run(_ threads: Int) throws -> [HostTensor] {
            let options = CodegenOptions(threads: threads, parallelThreshold: 0)
            return try JITCompiler(capacity: 0).compile(f, options: options).run(inputs)
        }
        let two = try run(2)
        for threads in [2, 1, 3] {
            #expect(mismatch(try run(threads), two, .exact) == nil, "\(threads) threads")
        }
    }

    /// Products split among the pool's threads (by columns, or by rows when taller than wide):
    /// every transpose, a batched product, a fused epilogue, the three convolution products over
    /// chunks of samples. A thread count gives the same bits every time; against one OpenBLAS call
    /// the results are within 1e-4·(1 + |r|) (OpenBLAS picks its kernels by the slice's size, so
    /// the last bits may differ); the entry point runs OpenBLAS on one thread and restores its count.
    @Test func splitProductsKeepTheBits() throws {
        let module = try parseModule("""
        func @products(%a: f32[37,70], %b: f32[70,91], %at: f32[70,37], %bt: f32[91,70], %tall: f32[130,20], %w: f32[20,9]) -> (f32[37,91], f32[37,91], f32[37,91], f32[130,9]) {
          %nn = matmul(%a, %b) : f32[37,91]
          %tn = matmul(%at, %b) {transpose_a = true} : f32[37,91]
          %tt = matmul(%at, %bt) {transpose_a = true, transpose_b = true} : f32[37,91]
          %rows = matmul(%tall, %w) : f32[130,9]
          return %nn, %tn, %tt, %rows
        }
        func @batched_epilogue(%x: f64[3,17,40], %y: f64[3,40,33], %p: f32[50,64], %q: f32[64,48], %bias: f32[48]) -> (f64[3,17,33], f32[50,48]) {
          %z = matmul(%x, %y) : f64[3,17,33]
          %m = matmul(%p, %q) : f32[50,48]
          %bb = broadcast_in_dim(%bias) {shape = [50,48], dims = [1]} : f32[50,48]
          %s = add(%m, %bb) : f32[50,48]
          %r = relu(%s) : f32[50,48]
          return %z, %r
        }
        func @convolutions(%x: f32[5,3,11,9], %w: f32[6,3,3,3], %g: f32[5,6,11,9]) -> (f32[5,6,11,9], f32[5,3,11,9], f32[6,3,3,3]) {
          %y = conv2d(%x, %w) {stride = [1,1], padding = [1,1], dilation = [1,1]} : f32[5,6,11,9]
          %dx = conv2d_transpose(%g, %w) {stride = [1,1], padding = [1,1], output_padding = [0,0], dilation = [1,1]} : f32[5,3,11,9]
          %dw = conv2d_filter_grad(%x, %g) {window = [3,3], stride = [1,1], padding = [1,1], dilation = [1,1]} : f32[6,3,3,3]
          return %y, %dx, %dw
        }
        """, file: "products.kir")
        try verify(module)
        for original in module.functions {
            var f = original
            _ = try Fusion().run(on: &f)
            let inputs = try testInputs(f, seed: 12, edges: false)
            func run(_ threads: Int) throws -> (results: [HostTensor], source: String) {
                let options = CodegenOptions(convolutionChunkElements: 400, threads: threads, parallelThreshold: 0)
                let compiled = try JITCompiler(capacity: 0).compile(f, options: options)
                return (try compiled.run(inputs), compiled.cSource)
            }
            let one = try run(1)
            #expect(!one.source.contains("openblas_set_num_threads"))
            for threads in [2, 3] {
                let split = try run(threads)
                #expect(split.source.contains("openblas_set_num_threads(1)"), "@\(f.name), \(threads) threads")
                if let problem = mismatch(split.results, one.results, .relative(1e-4)) { Issue.record("@\(f.name), \(threads) threads: \(problem)") }
                if let problem = mismatch(try run(threads).results, split.results, .exact) { Issue.record("@\(f.name), \(threads) threads twice: \(problem)") }
            }
            // The entry point sets OpenBLAS to one thread first and restores the given count last
            // (checked in the text: other tests' compiled calls change the global count meanwhile).
            var options = CodegenOptions(threads: 2, parallelThreshold: 0)
            options.blasThreads = 5
            let entry = try #require(try emitC(f, options: options).source.components(separatedBy: "void kiln_entry(").last)
            #expect(entry.contains("{\n  openblas_set_num_threads(1);\n") && entry.hasSuffix("  openblas_set_num_threads(5);\n}\n"), "@\(f.name)")
        }
    }

    /// Below the threshold a loop stays on the calling thread; at it, it runs on the pool.
    @Test func smallLoopsStaySerial() throws {
        let threshold = CodegenOptions.defaultParallelThreshold
        for (count, parallel) in [(threshold - 64, false), (threshold, true)] {
            let f = try singleOp(.binary(.add), [TensorType(.f32, [count]), TensorType(.f32, [count])])
            let source = try emitC(f, options: CodegenOptions(threads: 2)).source
            #expect(source.contains("kiln_parallel_for(") == parallel, "\(count) elements")
        }
        let f = try singleOp(.unary(.exp), [TensorType(.f32, [threshold / 8])])
        #expect(try emitC(f, options: CodegenOptions(threads: 2)).source.contains("kiln_parallel_for("))
    }

    /// `kiln_threads_stop` joins the workers; the pool then runs every part on the calling
    /// thread, with the same results. Freeing functions stops their workers.
    @Test func workersStopWithTheCode() throws {
        let f = try Self.functions[3]
        let inputs = try testInputs(f, seed: 4)
        let reference = try interpret(f, inputs: inputs)
        let compiled = try JITCompiler(capacity: 0).compile(f, options: Self.parallel(4))
        #expect(mismatch(try compiled.run(inputs), reference, .exact) == nil)
        let stop = try #require(compiled.symbol(threadsStopSymbol))
        typealias Stop = @convention(c) () -> Void
        compiled.withEntryAndArena { _, _ in
            unsafeBitCast(stop, to: Stop.self)()
            unsafeBitCast(stop, to: Stop.self)()
        }
        #expect(mismatch(try compiled.run(inputs), reference, .exact) == nil)

        func threadCount() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        }
        let compiler = JITCompiler(capacity: 0)
        var live: [CompiledFunction] = []
        for threads in 2...31 {
            let g = try compiler.compile(f, options: Self.parallel(threads))
            _ = try g.run(inputs)
            live.append(g)
        }
        let running = try threadCount()
        live.removeAll()
        let after = try threadCount()
        // 30 pools of 1...30 workers: 465 threads; other tests start and stop a few meanwhile.
        #expect(running - after >= 400, "\(running) threads with the pools, \(after) after freeing them")
    }
}
