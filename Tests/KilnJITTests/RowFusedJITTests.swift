import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import Testing

/// Row-wise fused kernels (reductions over the last axis with their elementwise producers and
/// consumers) compiled to one loop over rows agree bit for bit with the interpreter on the
/// unfused function, edge values (NaN, infinities, signed zeros) included.
@Suite struct RowFusedJITTests {
    static let passExamples = FusedJITTests.examples.appendingPathComponent("passes")

    /// The pass examples: after `fuse`, one C kernel per instruction left (the row composite is
    /// one), and the results of the original function.
    @Test(arguments: [("fuse_softmax_row.kir", 1), ("fuse_layer_norm_row.kir", 1), ("fuse_cross_entropy_row.kir", 3)])
    func passExampleMatchesTheInterpreter(_ file: String, kernels: Int) throws {
        let original = try #require(loadModule(path: Self.passExamples.appendingPathComponent(file).path).functions.first)
        var f = original
        #expect(try Fusion().run(on: &f))
        let compiled = try JITCompiler.shared.compile(f, options: exactOptions)
        #expect(compiled.cSource.components(separatedBy: "static void v").count - 1 == kernels)
        for (seed, edges) in [(UInt64(1), true), (2, false)] {
            let inputs = try testInputs(original, seed: seed, edges: edges)
            if let problem = mismatch(try compiled.run(inputs), try interpret(original, inputs: inputs), .exact) {
                Issue.record("\(file): \(problem)")
            }
        }
    }

    /// A row input, a row-shaped yield, a yielded broadcast of a row value, an element value of
    /// the first pass yielded and read back by the second, and 7 columns.
    @Test func rowInputsAndYieldsOfEachShape() throws {
        let f = try parseFunction("""
        func @f(%x: f32[3,7], %bias: f32[3]) -> (f32[3,7], f32[3], f32[3,7], f32[3,7]) {
          (%e, %lse, %sb, %q) = fused(%x, %bias) {
            ^(%x: f32[3,7], %bias: f32[3]):
              %e = exp(%x) : f32[3,7]
              %s = reduce_sum(%e) {axes = [1]} : f32[3]
              %l = log(%s) : f32[3]
              %lse = add(%l, %bias) : f32[3]
              %sb = broadcast_in_dim(%lse) {shape = [3,7], dims = [0]} : f32[3,7]
              %q = mul(%e, %sb) : f32[3,7]
              yield %e, %lse, %sb, %q
          } : (f32[3,7], f32[3], f32[3,7], f32[3,7])
          return %e, %lse, %sb, %q
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f, seed: 6))
    }

    /// Reductions of copied views: the rows of a transpose (strided rows), of a broadcast along
    /// the rows (stride 0) and of a broadcast across them, over a batch of 2x3 rows.
    @Test func reductionsOfCopiedViews() throws {
        let original = try parseFunction("""
        func @f(%w: f32[5,3,2], %v: f32[5], %c: f32[2,3]) -> (f32[2,3], f32[2,3], f32[2,3]) {
          %wt = transpose(%w) {perm = [2,1,0]} : f32[2,3,5]
          %t = reduce_max(%wt) {axes = [2]} : f32[2,3]
          %tn = neg(%t) : f32[2,3]
          %vb = broadcast_in_dim(%v) {shape = [2,3,5], dims = [2]} : f32[2,3,5]
          %s = reduce_sum(%vb) {axes = [2]} : f32[2,3]
          %ss = mul(%s, %s) : f32[2,3]
          %cb = broadcast_in_dim(%c) {shape = [2,3,5], dims = [0,1]} : f32[2,3,5]
          %q = reduce_min(%cb) {axes = [2]} : f32[2,3]
          %qe = exp(%q) : f32[2,3]
          return %tn, %ss, %qe
        }
        """)
        var f = original
        #expect(try Fusion().run(on: &f))
        #expect(f.body.count == 3 && f.body.allSatisfy { if case .fused = $0.op { true } else { false } })
        let inputs = try testInputs(original, seed: 8)
        if let problem = mismatch(try JITCompiler.shared.compile(f, options: exactOptions).run(inputs),
                                  try interpret(original, inputs: inputs), .exact) {
            Issue.record("\(problem)")
        }
    }

    /// Row maxima and minima fold with one compare-select and a NaN flag; their bits stay the
    /// interpreter's: ties of +0 and -0 in either order, NaNs first, inside or last in the row,
    /// rows of infinities, in f32 and f64, on libtcc's and on gcc's code.
    @Test func rowMaximaAndMinimaKeepEveryBit() throws {
        for dtype in ["f32", "f64"] {
            let t = "\(dtype)[8,9]", r = "\(dtype)[8]"
            let original = try parseFunction("""
            func @f(%x: \(t)) -> (\(r), \(r), \(t)) {
              %e = neg(%x) : \(t)
              %mx = reduce_max(%e) {axes = [1]} : \(r)
              %mn = reduce_min(%e) {axes = [1]} : \(r)
              %b = broadcast_in_dim(%mx) {shape = [8,9], dims = [0]} : \(t)
              %d = sub(%e, %b) : \(t)
              return %mx, %mn, %d
            }
            """)
            var f = original
            #expect(try Fusion().run(on: &f))
            let inf = Double.infinity
            let nan1 = Double(bitPattern: 0x7ff8_0000_2000_0000), nan2 = Double(bitPattern: 0xfff8_0000_4000_0000)
            let rows: [[Double]] = [
                [0, -0.0, 0, -0.0, 1, 2, -0.0, 0, -0.0], [-0.0, 0, -0.0, 0, 3, -0.0, 5, 0, 0],
                [nan1, 1, 2, nan2, -1, 0, 4, 5, 6], [1, 2, nan2, 3, nan1, 4, 5, 6, 7],
                [1, -2, 3, -4, 5, -6, 7, -8, nan1], Array(repeating: inf, count: 9),
                Array(repeating: -inf, count: 9), [3, 1, 4, 1, 5, 9, 2, 6, -5],
            ]
            let x = try HostTensor(original.type(of: original.params[0]), doubles: rows.flatMap { $0 })
            let reference = try interpret(original, inputs: [x])
            let tiers = [try JITCompiler(capacity: 1).compile(f, options: exactOptions),
                         try JITCompiler(capacity: 1).compile(f, options: exactOptions, tier: .optimizing)]
            #expect(tiers[1].isOptimized)
            for compiled in tiers {
                if let problem = mismatch(try compiled.run([x]), reference, .exact) {
                    Issue.record("\(dtype), \(compiled.isOptimized ? "gcc" : "libtcc"): \(problem)")
                }
            }
        }
    }

    /// Element values kept in row buffers: an f64 one of the first pass read by the third, an
    /// i32 one of the first pass read by the second, and one of the second read by the third;
    /// two reductions of different dtypes in one pass.
    @Test func rowBuffersAcrossPasses() throws {
        let f = try parseFunction("""
        func @f(%x: f64[3,6], %k: i32[3,6]) -> (f64[3,6]) {
          %y = fused(%x, %k) {
            ^(%x: f64[3,6], %k: i32[3,6]):
              %a = exp(%x) : f64[3,6]
              %kk = mul(%k, %k) : i32[3,6]
              %s = reduce_sum(%a) {axes = [1]} : f64[3]
              %km = reduce_max(%kk) {axes = [1]} : i32[3]
              %kmb = broadcast_in_dim(%km) {shape = [3,6], dims = [0]} : i32[3,6]
              %kd = sub(%kk, %kmb) : i32[3,6]
              %sb = broadcast_in_dim(%s) {shape = [3,6], dims = [0]} : f64[3,6]
              %kf = convert(%kd) {dtype = "f64"} : f64[3,6]
              %b = mul(%kf, %sb) : f64[3,6]
              %t = reduce_max(%b) {axes = [1]} : f64[3]
              %tb = broadcast_in_dim(%t) {shape = [3,6], dims = [0]} : f64[3,6]
              %c = sub(%a, %tb) : f64[3,6]
              %y = add(%c, %b) : f64[3,6]
              yield %y
          } : f64[3,6]
          return %y
        }
        """)
        let compiled = try JITCompiler.shared.compile(f, options: exactOptions)
        for buffer in ["double *r", "int *r"] { #expect(compiled.cSource.contains(buffer)) }
        try expectMatchesInterpreter(f, try testInputs(f, seed: 9))
    }

    /// Rows of no elements (the reductions' identities), a vector reduced to a scalar row, and an
    /// integer minimum converted per row.
    @Test func emptyRowsScalarRowsAndIntegers() throws {
        let f = try parseFunction("""
        func @f(%e: f32[2,0], %v: f64[9], %k: i32[4,5]) -> (f32[2], f32[2,0], f64[], f32[4]) {
          (%m, %z) = fused(%e) {
            ^(%e: f32[2,0]):
              %n = neg(%e) : f32[2,0]
              %m = reduce_max(%n) {axes = [1]} : f32[2]
              %mb = broadcast_in_dim(%m) {shape = [2,0], dims = [0]} : f32[2,0]
              %z = sub(%n, %mb) : f32[2,0]
              yield %m, %z
          } : (f32[2], f32[2,0])
          %t = fused(%v) {
            ^(%v: f64[9]):
              %a = abs(%v) : f64[9]
              %s = reduce_sum(%a) {axes = [0]} : f64[]
              %t = sqrt(%s) : f64[]
              yield %t
          } : f64[]
          %c = fused(%k) {
            ^(%k: i32[4,5]):
              %d = mul(%k, %k) : i32[4,5]
              %lo = reduce_min(%d) {axes = [1]} : i32[4]
              %c = convert(%lo) {dtype = "f32"} : f32[4]
              yield %c
          } : f32[4]
          return %m, %z, %t, %c
        }
        """)
        try expectMatchesInterpreter(f, try testInputs(f, seed: 7))
    }
}
