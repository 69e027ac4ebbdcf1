import KilnIR
import KilnPasses
import Testing

/// Behaviour of the passes on long and wide functions: the small cases pin the output the
/// quadratic implementations gave (fusion boundaries, yields, names), the large ones check the
/// result's structure at sizes those implementations took minutes for. No test is timed: times
/// are in `kiln bench passes` (docs/benchmarks.md).
@Suite struct PassScalingTests {
    /// `text` after `passes`, printed.
    private func optimized(_ text: String, passes: String) throws -> String {
        var module = try parseModule(text, file: "case.kir")
        var pipeline = try PassPipeline(parsing: passes)
        pipeline.verifyEach = true
        _ = try pipeline.run(on: &module)
        return printModule(module)
    }

    /// A chain read from outside (the reshape) between two members is cut there: the kernel must stand
    /// before its reader. The value returned from the middle of the second kernel is yielded.
    @Test func readerBetweenMembersSplitsTheChain() throws {
        let input = """
        func @split(%x: f32[4], %y: f32[4], %w: f32[4,4], %z: f32[2,4]) -> (f32[4], f32[2,4], f32[4]) {
          %v1 = add(%x, %y) : f32[4]
          %v2 = mul(%v1, %y) : f32[4]
          %v3 = add(%v2, %x) : f32[4]
          %r = reshape(%v3) {shape = [1,4]} : f32[1,4]
          %v4 = sub(%v3, %y) : f32[4]
          %v5 = add(%v4, %v2) : f32[4]
          %v6 = mul(%v5, %v5) : f32[4]
          %b = broadcast_in_dim(%r) {shape = [2,4], dims = [0,1]} : f32[2,4]
          %zz = add(%b, %z) : f32[2,4]
          return %v6, %zz, %v4
        }

        """
        #expect(try optimized(input, passes: "fuse") == """
        func @split(%x: f32[4], %y: f32[4], %w: f32[4,4], %z: f32[2,4]) -> (f32[4], f32[2,4], f32[4]) {
          (%v2, %v3) = fused(%x, %y) {
            ^(%x: f32[4], %y: f32[4]):
              %v1 = add(%x, %y) : f32[4]
              %v2 = mul(%v1, %y) : f32[4]
              %v3 = add(%v2, %x) : f32[4]
              yield %v2, %v3
          } : (f32[4], f32[4])
          %r = reshape(%v3) {shape = [1,4]} : f32[1,4]
          (%v4, %v6) = fused(%v3, %y, %v2) {
            ^(%v3: f32[4], %y: f32[4], %v2: f32[4]):
              %v4 = sub(%v3, %y) : f32[4]
              %v5 = add(%v4, %v2) : f32[4]
              %v6 = mul(%v5, %v5) : f32[4]
              yield %v4, %v6
          } : (f32[4], f32[4])
          %zz = fused(%r, %z) {
            ^(%r: f32[1,4], %z: f32[2,4]):
              %b = broadcast_in_dim(%r) {shape = [2,4], dims = [0,1]} : f32[2,4]
              %zz = add(%b, %z) : f32[2,4]
              yield %zz
          } : f32[2,4]
          return %v6, %zz, %v4
        }

        """)
    }

    /// A chain adding a new parameter at every step is cut when the kernel would read a ninth tensor.
    @Test func inputLimitSplitsTheChain() throws {
        let input = """
        func @wide_inputs(%p0: f32[3], %p1: f32[3], %p2: f32[3], %p3: f32[3], %p4: f32[3], %p5: f32[3], %p6: f32[3], %p7: f32[3], %p8: f32[3], %p9: f32[3]) -> (f32[3]) {
          %s1 = add(%p0, %p1) : f32[3]
          %s2 = add(%s1, %p2) : f32[3]
          %s3 = add(%s2, %p3) : f32[3]
          %s4 = add(%s3, %p4) : f32[3]
          %s5 = add(%s4, %p5) : f32[3]
          %s6 = add(%s5, %p6) : f32[3]
          %s7 = add(%s6, %p7) : f32[3]
          %s8 = add(%s7, %p8) : f32[3]
          %s9 = add(%s8, %p9) : f32[3]
          return %s9
        }

        """
        #expect(try optimized(input, passes: "fuse") == """
        func @wide_inputs(%p0: f32[3], %p1: f32[3], %p2: f32[3], %p3: f32[3], %p4: f32[3], %p5: f32[3], %p6: f32[3], %p7: f32[3], %p8: f32[3], %p9: f32[3]) -> (f32[3]) {
          %s7 = fused(%p0, %p1, %p2, %p3, %p4, %p5, %p6, %p7) {
            ^(%p0: f32[3], %p1: f32[3], %p2: f32[3], %p3: f32[3], %p4: f32[3], %p5: f32[3], %p6: f32[3], %p7: f32[3]):
              %s1 = add(%p0, %p1) : f32[3]
              %s2 = add(%s1, %p2) : f32[3]
              %s3 = add(%s2, %p3) : f32[3]
              %s4 = add(%s3, %p4) : f32[3]
              %s5 = add(%s4, %p5) : f32[3]
              %s6 = add(%s5, %p6) : f32[3]
              %s7 = add(%s6, %p7) : f32[3]
              yield %s7
          } : f32[3]
          %s9 = fused(%s7, %p8, %p9) {
            ^(%s7: f32[3], %p8: f32[3], %p9: f32[3]):
              %s8 = add(%s7, %p8) : f32[3]
              %s9 = add(%s8, %p9) : f32[3]
              yield %s9
          } : f32[3]
          return %s9
        }

        """)
    }

    /// A product read twice by its epilogue still joins the kernel.
    @Test func epilogueReadsTheProductTwice() throws {
        let input = """
        func @epilogue(%a: f32[4,4], %w: f32[4,4]) -> (f32[4,4]) {
          %m = matmul(%a, %w) : f32[4,4]
          %t = add(%m, %m) : f32[4,4]
          %u = mul(%t, %m) : f32[4,4]
          %v = tanh(%u) : f32[4,4]
          return %v
        }

        """
        #expect(try optimized(input, passes: "fuse") == """
        func @epilogue(%a: f32[4,4], %w: f32[4,4]) -> (f32[4,4]) {
          %v = fused(%a, %w) {
            ^(%a: f32[4,4], %w: f32[4,4]):
              %m = matmul(%a, %w) : f32[4,4]
              %t = add(%m, %m) : f32[4,4]
              %u = mul(%t, %m) : f32[4,4]
              %v = tanh(%u) : f32[4,4]
              yield %v
          } : f32[4,4]
          return %v
        }

        """)
    }

    /// Each division by the constant makes a reciprocal named after it, skipping names in use.
    @Test func reciprocalsGetTheNextFreeName() throws {
        let input = """
        func @scale(%x: f32[4]) -> (f32[4]) {
          %c = constant() {value = 4.0} : f32[4]
          %c.inv.1 = constant() {value = 3.0} : f32[4]
          %a = div(%x, %c) : f32[4]
          %b = div(%a, %c) : f32[4]
          %d = div(%b, %c) : f32[4]
          %e = add(%d, %c.inv.1) : f32[4]
          return %e
        }

        """
        #expect(try optimized(input, passes: "simplify") == """
        func @scale(%x: f32[4]) -> (f32[4]) {
          %c = constant() {value = 4.0} : f32[4]
          %c.inv.1 = constant() {value = 3.0} : f32[4]
          %c.inv = constant() {value = 0.25} : f32[4]
          %a = mul(%x, %c.inv) : f32[4]
          %c.inv.2 = constant() {value = 0.25} : f32[4]
          %b = mul(%a, %c.inv.2) : f32[4]
          %c.inv.3 = constant() {value = 0.25} : f32[4]
          %d = mul(%b, %c.inv.3) : f32[4]
          %e = add(%d, %c.inv.1) : f32[4]
          return %e
        }

        """)
    }

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
