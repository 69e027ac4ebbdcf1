import Foundation
import KilnCodegen
import KilnIR
@testable import KilnJIT
import KilnRuntime
import Testing

/// The kernel library libtcc's code calls for im2col, col2im and pools (KernelLibrary.swift):
/// its committed C is the generated C, libtcc's units call it and gcc's keep their own loops, and
/// both tiers give the interpreter's bits on 1 and 2 threads.
@Suite struct KernelLibraryTests {
    /// `Sources/CKilnKernels/<path>`.
    static func libraryFile(_ path: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CKilnKernels").appendingPathComponent(path)
    }

    /// The committed library equals the generated one; `KILN_WRITE_KERNEL_LIBRARY=1` rewrites it.
    @Test func committedSourceIsTheGeneratedSource() throws {
        for (path, text) in [("kiln_kernels.c", kernelLibrarySource()), ("include/kiln_kernels.h", kernelLibraryHeader())] {
            let url = Self.libraryFile(path)
            if ProcessInfo.processInfo.environment["KILN_WRITE_KERNEL_LIBRARY"] == "1" {
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
            #expect(try String(contentsOf: url, encoding: .utf8) == text,
                    "Sources/CKilnKernels/\(path) is stale: run KILN_WRITE_KERNEL_LIBRARY=1 swift test --skip-build --filter KernelLibraryTests, then rebuild")
        }
    }

    /// Every library function binds, and a unit calls it under libtcc only.
    @Test func libtccCallsTheLibraryAndGccKeepsItsLoops() throws {
        for name in allExternalSymbols where name.hasPrefix("kiln_lib_") { #expect(externalSymbolAddress(name) != nil, "\(name)") }
        let f = try singleOp(.maxPool2d(PoolAttributes(window: [2, 2])), [TensorType(.f32, [2, 3, 8, 8])])
        let source = try JITCompiler.shared.compile(f, options: exactOptions).cSource
        #expect(source.contains("void kiln_lib_max_pool_f32("))
        let call = try #require(source.range(of: "kiln_lib_max_pool_f32(out, x, 0, 6, 8, 8, 4, 4, 2, 2, 2, 2, 0, 0);"))
        let alternative = try #require(source.range(of: "#else", range: call.upperBound..<source.endIndex))
        #expect(source[..<call.lowerBound].contains("#ifdef __TINYC__"))
        #expect(source[alternative.upperBound...].contains("int take = (best == best) & ((v > best) | (v != v));"))
    }

    /// Options with every loop of at least two chunks on `threads` threads.
    static func options(threads: Int, chunked: Bool) -> CodegenOptions {
        CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: chunked ? CodegenOptions.defaultConvolutionChunkElements : 1,
                       threads: threads, parallelThreshold: 0)
    }

    /// Why libtcc's (library) and gcc's (own loops) results on `f` differ from each other or,
    /// when `exact`, from the interpreter's; nil when they agree bit for bit.
    static func problem(_ f: Function, _ inputs: [HostTensor], options: CodegenOptions, exact: Bool) throws -> String? {
        let (baseline, optimized, compiled) = try OptimizingTierTests.bothTiers(f, inputs, options: options)
        guard compiled.isOptimized else { return "not optimized: \(compiled.optimizingTierStatus)" }
        if let problem = mismatch(optimized, baseline, .exact) { return "gcc vs tcc: \(problem)" }
        guard exact else { return nil }
        return mismatch(baseline, try interpret(f, inputs: inputs), .exact).map { "tcc vs interpreter: \($0)" }
    }

    static let pools: [(PoolAttributes, [Int])] = [
        (PoolAttributes(window: [2, 2]), [1, 3, 8, 6]),
        (PoolAttributes(window: [2, 2]), [3, 2, 7, 9]),
        (PoolAttributes(window: [3, 3], stride: [2, 2], padding: [1, 1]), [2, 3, 9, 8]),
        (PoolAttributes(window: [3, 2], stride: [1, 2], padding: [1, 0]), [1, 2, 5, 7]),
    ]

    @Test(arguments: [1, 2], [DType.f32, .f64])
    func poolsAgreeAcrossTiers(threads: Int, dtype: DType) throws {
        for (p, shape) in Self.pools {
            let input = TensorType(dtype, shape)
            for (op, gradOp) in [(Op.maxPool2d(p), Op.maxPool2dGrad(p)), (.avgPool2d(p), .avgPool2dGrad(p))] {
                let f = try singleOp(op, [input])
                let g = try singleOp(gradOp, [input, f.resultTypes[0]])
                for (function, seed) in [(f, UInt64(1)), (g, 2)] {
                    for edges in [true, false] {
                        let problem = try Self.problem(function, try testInputs(function, seed: seed, edges: edges),
                                                       options: Self.options(threads: threads, chunked: false), exact: true)
                        #expect(problem == nil, "\(op) \(shape), \(threads) threads: \(problem ?? "")")
                    }
                }
            }
        }
    }

    /// Convolutions: with one sample per product, libtcc's, gcc's and the interpreter's bits; with
    /// batched products, libtcc's and gcc's (the same gemm calls around im2col and col2im).
    @Test(arguments: [1, 2])
    func convolutionsAgreeAcrossTiers(threads: Int) throws {
        for c in ConvolutionJITTests.cases {
            for (f, _) in try ConvolutionJITTests.products(c, .f32) {
                let inputs = try testInputs(f, edges: false)
                for chunked in [false, true] {
                    let problem = try Self.problem(f, inputs, options: Self.options(threads: threads, chunked: chunked), exact: !chunked)
                    #expect(problem == nil, "\(c), chunked \(chunked), \(threads) threads: \(problem ?? "")")
                }
            }
        }
    }
}
