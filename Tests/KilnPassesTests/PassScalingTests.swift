import KilnIR
import KilnPasses
import Testing

/// Behaviour of the passes on long and wide functions at sizes the quadratic implementations took
/// minutes for. The output those implementations gave on small cases (fusion boundaries, yields,
/// names) is pinned by check files: ir-examples/passes/fuse_reader_splits_chain.kir,
/// fuse_input_limit.kir, fuse_epilogue_reads_product_twice.kir, simplify_reciprocal_names.kir.
/// No test is timed: times are in `kiln bench passes` (docs/benchmarks.md).
@Suite struct PassScalingTests {
    /// A chain of 5,000 adds of one parameter becomes one kernel holding all of them.
    @Test func longChainIsOneKernel() throws {
        let b = FunctionBuilder(name: "chain")
        let x = b.parameter("x", TensorType(.f32, [4]))
        let y = b.parameter("y", TensorType(.f32, [4]))
        var v = x
        for _ in 0..<5000 { v = try b.emit(.binary(.add), [v, y]) }
        var f = b.finish(returning: [v])
        _ = try PassPipeline.standard().run(on: &f)
        try verify(f)
        let kernel = try #require(f.body.first)
        guard f.body.count == 1, case .fused(let body) = kernel.op else {
            Issue.record("expected one fused kernel:\n\(printFunction(f))")
            return
        }
        #expect(kernel.operands == f.params && kernel.results == f.results)
        #expect(body.body.count == 5000 && body.results.count == 1)
    }

    /// 2,000 divisions by one constant each get a reciprocal with a distinct name, in order.
    @Test func manyReciprocalsOfOneConstant() throws {
        let b = FunctionBuilder(name: "scale")
        var v = b.parameter("x", TensorType(.f32, [4]))
        let c = try b.emit(.constant(.splat(.float(2)), TensorType(.f32, [4])), [], name: "c")
        for _ in 0..<2000 { v = try b.emit(.binary(.div), [v, c]) }
        var f = b.finish(returning: [v])
        _ = try PassPipeline(passes: [AlgebraicSimplification()]).run(on: &f)
        try verify(f)
        let names = f.body.compactMap { inst -> String? in
            guard case .constant = inst.op else { return nil }
            return f.name(of: inst.results[0])
        }
        #expect(names == ["c", "c.inv"] + (1..<2000).map { "c.inv.\($0)" })
    }
}
