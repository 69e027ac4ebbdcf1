import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// Batched convolutions against the interpreter. A chunk of samples is one gemm (its im2col
/// columns side by side), so the sums are blocked differently from the interpreter's
/// sample-by-sample products. Both are within `γ_K·(|A|·|B|)` of the exact result (`γ_K =
/// K·u/(1−K·u)`, `u` the unit roundoff), so they differ by at most `2·γ_K·(|A|·|B|)` per element,
/// with `|A|·|B|` the same convolution of the operands' absolute values and `K` the number of
/// terms each result adds: `C·KH·KW` (conv2d), input channels plus `KH·KW` (conv2d_transpose:
/// a product, then col2im's sum), `N·Ho·Wo` (conv2d_filter_grad). With a bound of one element
/// per chunk every product is one sample's, the interpreter's order: bit-exact.
@Suite struct ConvolutionJITTests {
    /// A convolution case: attributes, input and filter shapes.
    struct Case: CustomStringConvertible {
        var a: ConvAttributes
        var input: [Int], filter: [Int]
        var description: String { "input \(input) filter \(filter) \(a)" }
    }

    static let cases: [Case] = [
        Case(a: ConvAttributes(stride: [1, 1], padding: [1, 1], dilation: [1, 1]), input: [5, 3, 7, 6], filter: [4, 3, 3, 3]),
        Case(a: ConvAttributes(stride: [2, 1], padding: [1, 2], dilation: [1, 1]), input: [3, 2, 9, 8], filter: [5, 2, 3, 2]),
        Case(a: ConvAttributes(stride: [1, 2], padding: [0, 1], dilation: [2, 1]), input: [4, 3, 7, 9], filter: [2, 3, 3, 2]),
        Case(a: ConvAttributes(stride: [3, 3], padding: [2, 2], dilation: [2, 2]), input: [2, 1, 11, 10], filter: [3, 1, 3, 3]),
        Case(a: ConvAttributes(), input: [1, 3, 5, 5], filter: [4, 3, 2, 2]),
        Case(a: ConvAttributes(), input: [7, 3, 4, 5], filter: [6, 3, 1, 1]),
        Case(a: ConvAttributes(), input: [6, 2, 4, 4], filter: [1, 2, 3, 3]),
        // Unit stride, responses as wide as the image (the shifted-run paths of im2col and
        // col2im): dilated, a window wider than the image, padding rows that see no image row at
        // all, and window columns a whole image width away from the response's.
        Case(a: ConvAttributes(stride: [1, 1], padding: [2, 2], dilation: [2, 2]), input: [3, 2, 6, 7], filter: [3, 2, 3, 3]),
        Case(a: ConvAttributes(stride: [1, 1], padding: [2, 2], dilation: [1, 1]), input: [2, 2, 3, 3], filter: [2, 2, 5, 5]),
        Case(a: ConvAttributes(stride: [1, 1], padding: [3, 1], dilation: [1, 1]), input: [2, 3, 4, 5], filter: [2, 3, 3, 3]),
        Case(a: ConvAttributes(stride: [1, 1], padding: [1, 2], dilation: [1, 2]), input: [3, 2, 4, 2], filter: [2, 2, 3, 3]),
    ]

    /// Chunk bounds: whole batches (the default), chunks of two samples and a smaller last one
    /// (forced by a bound just under three samples' columns), and one sample per product.
    static func bounds(_ columnsPerSample: Int) -> [Int] {
        [CodegenOptions.defaultConvolutionChunkElements, 3 * columnsPerSample - 1, 1]
    }

    /// im2col elements of one sample of `c` (the same for its three products).
    static func columnsPerSample(_ c: Case) throws -> Int {
        let response = try inferResultTypes(.conv2d(c.a), [TensorType(.f32, c.input), TensorType(.f32, c.filter)])[0]
        return c.filter[1] * c.filter[2] * c.filter[3] * response.shape[2] * response.shape[3]
    }

    /// The three convolution products of `c`, each with the number of terms its results add.
    static func products(_ c: Case, _ dtype: DType) throws -> [(f: Function, terms: Int)] {
        let (input, filter) = (TensorType(dtype, c.input), TensorType(dtype, c.filter))
        let response = try inferResultTypes(.conv2d(c.a), [input, filter])[0]
        let window = Array(c.filter[2...])
        let forward = try singleOp(.conv2d(c.a), [input, filter])
        // conv2d_transpose back to the input's shape: output padding covers the strides' remainder.
        let outputPadding = (0..<2).map { axis in
            let span = (response.shape[2 + axis] - 1) * c.a.stride[axis] - 2 * c.a.padding[axis]
                + c.a.dilation[axis] * (window[axis] - 1) + 1
            return c.input[2 + axis] - span
        }
        let transpose = try singleOp(.conv2dTranspose(c.a, outputPadding: outputPadding), [response, filter])
        let filterGrad = try singleOp(.conv2dFilterGrad(c.a, window: window), [input, response])
        return [(forward, c.filter[1] * window[0] * window[1]),
                (transpose, c.filter[0] + window[0] * window[1]),
                (filterGrad, c.input[0] * response.shape[2] * response.shape[3])]
    }

    /// Compiled with `options` against the interpreter within `2·γ_K·(|A|·|B|)` (exact when
    /// `exact`); nil when they agree.
    static func problem(_ f: Function, terms: Int, options: CodegenOptions, exact: Bool, seed: UInt64) throws -> String? {
        let inputs = try testInputs(f, seed: seed, edges: false)
        let compiled = try JITCompiler.shared.compile(f, options: options).run(inputs)
        let reference = try interpret(f, inputs: inputs)
        if exact { return mismatch(compiled, reference, .exact) }
        let magnitudes = try interpret(f, inputs: try inputs.map(absolute))
        let u = f.paramTypes[0].dtype == .f32 ? 0x1p-24 : 0x1p-53
        let k = Double(terms)
        let gamma = k * u / (1 - k * u)
        for i in 0..<reference[0].count {
            let (c, r) = (compiled[0][i].asDouble, reference[0][i].asDouble)
            let bound = 2 * gamma * (1 + gamma) * magnitudes[0][i].asDouble
            if !((c - r).magnitude <= bound) {
                return "element \(i): compiled \(c), interpreter \(r), bound \(bound)"
            }
        }
        return nil
    }

    @Test(arguments: [DType.f32, .f64])
    func productsMatchTheInterpreter(dtype: DType) throws {
        for c in Self.cases {
            for (f, terms) in try Self.products(c, dtype) {
                for bound in Self.bounds(try Self.columnsPerSample(c)) {
                    let options = CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: bound)
                    if let p = try Self.problem(f, terms: terms, options: options, exact: bound == 1, seed: 3) {
                        Issue.record("\(f.body[0].op.name) \(c), chunk bound \(bound): \(p)")
                    }
                }
            }
        }
    }

    /// Random shapes, attributes, batches and chunk bounds (`KILN_CONV_CASES`, default 12).
    @Test func randomProductsMatchTheInterpreter() throws {
        for seed in randomSeeds(countVariable: "KILN_CONV_CASES", defaultCount: 12) {
            var rng = SplitMix64(seed: seed &+ 77)
            let r = { (range: ClosedRange<Int>) in Int.random(in: range, using: &rng) }
            let a = ConvAttributes(stride: [r(1...3), r(1...3)], padding: [r(0...2), r(0...2)], dilation: [r(1...2), r(1...2)])
            let (kh, kw) = (r(1...3), r(1...3))
            let c = Case(a: a, input: [r(1...9), r(1...4), r(5...12), r(5...12)], filter: [r(1...6), 0, kh, kw])
            var fixed = c
            fixed.filter[1] = c.input[1]
            guard (try? inferResultTypes(.conv2d(a), [TensorType(.f32, fixed.input), TensorType(.f32, fixed.filter)])) != nil else { continue }
            let dtype: DType = seed % 2 == 0 ? .f32 : .f64
            for (f, terms) in try Self.products(fixed, dtype) {
                let options = CodegenOptions(convolutionChunkElements: r(1...2000))
                if let p = try Self.problem(f, terms: terms, options: options, exact: false, seed: seed) {
                    Issue.record("seed \(seed) (KILN_RANDOM_SEED=\(seed) KILN_CONV_CASES=1): \(f.body[0].op.name) \(fixed), chunk bound \(options.convolutionChunkElements): \(p)")
                }
            }
        }
    }

    /// Threads split a chunk's im2col, col2im and row copies by sample (or by block of rows), each
    /// part writing its own samples' columns or images, so the gemm calls and every sum are those
    /// of one thread: bit-exact against one thread, and within the bound above of the interpreter
    /// (exact with one sample per product), on 2 and 3 threads with every loop parallel.
    @Test(arguments: [2, 3])
    func threadsSplitTheChunks(threads: Int) throws {
        for c in Self.cases {
            for (f, terms) in try Self.products(c, .f32) {
                let perSample = try Self.columnsPerSample(c)
                for bound in Self.bounds(perSample) {
                    let options = CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: bound,
                                                 threads: threads, parallelThreshold: 0)
                    let serial = CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: bound, threads: 1)
                    let compiled = try JITCompiler.shared.compile(f, options: options)
                    let chunked = bound >= 2 * perSample && c.input[0] > 1
                    #expect(!chunked || compiled.cSource.contains("kiln_parallel_for("), "\(f.body[0].op.name) \(c), bound \(bound)")
                    let inputs = try testInputs(f, seed: 11, edges: false)
                    let one = try JITCompiler.shared.compile(f, options: serial).run(inputs)
                    if let p = mismatch(try compiled.run(inputs), one, .exact) {
                        Issue.record("\(f.body[0].op.name) \(c), chunk bound \(bound), \(threads) threads against 1: \(p)")
                    }
                    if let p = try Self.problem(f, terms: terms, options: options, exact: bound == 1, seed: 11) {
                        Issue.record("\(f.body[0].op.name) \(c), chunk bound \(bound), \(threads) threads: \(p)")
                    }
                }
            }
        }
    }

    /// conv2d, bias and relu: the fuse pass takes the convolution into the epilogue's kernel,
    /// whose loop reads the product (straight from the output for one sample per product, else
    /// from scratch in `[O, N·P]` order, one chunk at a time after the chunk's gemm). Bit-exact against the interpreter per sample, and
    /// against the unfused compiled function (the same gemm calls) for whole and chunked batches.
    @Test func epilogueFusesIntoTheConvolution() throws {
        let source = """
        func @f(%x: f32[5,3,7,6], %w: f32[4,3,3,3], %b: f32[4]) -> (f32[5,4,7,6], f32[5,4,7,6]) {
          %y = conv2d(%x, %w) {stride = [1,1], padding = [1,1], dilation = [1,1]} : f32[5,4,7,6]
          %bb = broadcast_in_dim(%b) {shape = [5,4,7,6], dims = [1]} : f32[5,4,7,6]
          %z = add(%y, %bb) : f32[5,4,7,6]
          %r = relu(%z) : f32[5,4,7,6]
          return %z, %r
        }
        """
        let original = try parseFunction(source)
        var fused = original
        #expect(try Fusion().run(on: &fused))
        #expect(fused.body.count == 1, "one kernel: the convolution and its epilogue\n\(printFunction(fused))")
        let inputs = try testInputs(original, seed: 5, edges: false)
        let perSample = CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: 1)
        let compiled = try JITCompiler.shared.compile(fused, options: perSample)
        #expect(mismatch(try compiled.run(inputs), try interpret(original, inputs: inputs), .exact) == nil)
        for bound in [CodegenOptions.defaultConvolutionChunkElements, 2 * 27 * 42] {
            let options = CodegenOptions(convolutionChunkElements: bound)
            let parallel = CodegenOptions(convolutionChunkElements: bound, threads: 2, parallelThreshold: 0)
            let threaded = try JITCompiler.shared.compile(fused, options: parallel)
            #expect(threaded.cSource.contains("kiln_parallel_for("))
            let kernel = try JITCompiler.shared.compile(fused, options: options)
            let unfused = try JITCompiler.shared.compile(original, options: options)
            #expect(kernel.cSource.contains("= prod + ") && kernel.arenaPeakBytes > 0)
            let calls = kernel.cSource.components(separatedBy: "cblas_sgemm(101").count - 1
            #expect(calls == (bound == 2 * 27 * 42 ? 2 : 1), "a loop over chunks of two samples, then the last one")
            // The loop runs after each chunk's gemm, so scratch holds the columns and one chunk's product.
            let chunk = bound == 2 * 27 * 42 ? 2 : 5
            #expect(kernel.arenaPeakBytes <= (27 * chunk * 42 * 4 + 63) / 64 * 64 + 4 * chunk * 42 * 4, "\(kernel.arenaPeakBytes) bytes")
            #expect(mismatch(try kernel.run(inputs), try unfused.run(inputs), .exact) == nil, "chunk bound \(bound)")
            #expect(mismatch(try threaded.run(inputs), try unfused.run(inputs), .exact) == nil, "chunk bound \(bound), 2 threads")
        }
    }

    /// A product whose scratch would pass 2^40 bytes is refused at code generation.
    @Test func hugeScratchIsAnError() throws {
        let f = try singleOp(.conv2d(ConvAttributes(stride: [1, 1], padding: [0, 0], dilation: [1, 1])),
                             [TensorType(.f32, [1, 4096, 1024, 1024]), TensorType(.f32, [1, 4096, 16, 16])])
        #expect(throws: KilnError.self) { try emitC(f) }
    }
}

/// `t` with every element replaced by its absolute value.
private func absolute(_ t: HostTensor) throws -> HostTensor {
    let out = try HostTensor(zeros: t.type)
    for i in 0..<t.count { out[i] = .float(t[i].asDouble.magnitude) }
    return out
}
