import Foundation
import KilnIR
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// `matmul-transpose` changes which BLAS call runs, so under OpenBLAS (whose kernels, and so
/// summation orders, differ between CPUs and between transpose flags) its results may differ in
/// the last bits: they stay within the forward-error bound of a dot product. Each result is
/// within `γ_K · (|A|·|B|)_ij` of the exact product (`γ_K = K·u / (1 - K·u)`, `u` the unit
/// roundoff), so the two differ by at most twice that.
@Suite struct BLASRewriteBoundTests {
    /// (m, k, n, transpose a, transpose b, batch); k large enough that BLAS blocks the sum.
    static let shapes: [(m: Int, k: Int, n: Int, ta: Bool, tb: Bool, batch: Int?)] = [
        (33, 257, 47, true, false, nil), (64, 300, 16, false, true, nil), (17, 129, 65, true, true, nil),
        (9, 200, 31, true, false, 3), (40, 96, 24, false, true, 2),
    ]

    @Test(arguments: shapes.indices)
    func matmulTransposeStaysWithinTheDotProductBound(_ index: Int) throws {
        let (m, k, n, ta, tb, batch) = Self.shapes[index]
        let lead = batch.map { "\($0)," } ?? ""
        let perm = batch == nil ? "[1,0]" : "[0,2,1]"
        let aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n]
        func type(_ s: [Int]) -> String { "f32[\(lead)\(s.map(String.init).joined(separator: ","))]" }
        let at = ta ? "%at = transpose(%a) {perm = \(perm)} : \(type([m, k]))\n" : ""
        let bt = tb ? "%bt = transpose(%b) {perm = \(perm)} : \(type([k, n]))\n" : ""
        let text = """
            func @f(%a: \(type(aShape)), %b: \(type(bShape))) -> (\(type([m, n]))) {
            \(at)\(bt)%c = matmul(\(ta ? "%at" : "%a"), \(tb ? "%bt" : "%b")) : \(type([m, n]))
            return %c
            }
            """
        let before = try parseModule(text, file: "bound.kir")
        var after = before
        _ = try PassPipeline(parsing: "simplify,dce", options: PassOptions()).run(on: &after)
        let rewritten = printModule(after)
        #expect(!rewritten.contains("transpose("), "the rewrite did not fire:\n\(rewritten)")

        let f = before.functions[0], g = after.functions[0]
        let inputs = try randomInputs(for: f, seed: UInt64(index))
        let x = try interpret(f, inputs: inputs)[0].doubles, y = try interpret(g, inputs: inputs)[0].doubles
        let a = inputs[0].doubles, b = inputs[1].doubles
        let u = Double(Float.ulpOfOne) / 2, gamma = Double(k) * u / (1 - Double(k) * u)
        for e in 0..<(batch ?? 1) {
            for i in 0..<m {
                for j in 0..<n {
                    var magnitude = 0.0
                    for p in 0..<k {
                        let ai = e * m * k + (ta ? p * m + i : i * k + p)
                        let bi = e * k * n + (tb ? j * k + p : p * n + j)
                        magnitude += abs(a[ai] * b[bi])
                    }
                    let o = e * m * n + i * n + j
                    #expect(abs(x[o] - y[o]) <= 2 * gamma * magnitude, "element \(o): \(x[o]) vs \(y[o])")
                }
            }
        }
    }
}
