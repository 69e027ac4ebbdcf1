import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

/// How `grad` sums cotangents: slices of one value assembled by one `concatenate`, products
/// sharing a weight summed as one product over concatenated operands; checked against central
/// differences in f64 and by the instructions the gradient holds.
@Suite struct CotangentSumTests {
    /// `%x`'s rows 0..<2, 2..<4 and twice 5..<7 (row 4 unused) and `%y`'s overlapping rows 0..<3 and
    /// 2..<5; `%w` in four products, one of them with `w` transposed.
    static let program = """
    func @f(%x: f64[7,3], %y: f64[5,4], %w: f64[3,4], %q: f64[2,4]) -> (f64[]) {
      %a = slice(%x) {start = [0,0], limit = [2,3], stride = [1,1]} : f64[2,3]
      %b = slice(%x) {start = [2,0], limit = [4,3], stride = [1,1]} : f64[2,3]
      %c = slice(%x) {start = [5,0], limit = [7,3], stride = [1,1]} : f64[2,3]
      %c2 = slice(%x) {start = [5,0], limit = [7,3], stride = [1,1]} : f64[2,3]
      %pa = matmul(%a, %w) : f64[2,4]
      %pb = matmul(%b, %w) : f64[2,4]
      %cc = mul(%c, %c2) : f64[2,3]
      %pc = matmul(%cc, %w) : f64[2,4]
      %pq = matmul(%q, %w) {transpose_b = true} : f64[2,3]
      %s = add(%pa, %pb) : f64[2,4]
      %sc = mul(%s, %pc) : f64[2,4]
      %t = tanh(%sc) : f64[2,4]
      %l1 = reduce_sum(%t) {axes = [0,1]} : f64[]
      %qa = mul(%pq, %a) : f64[2,3]
      %l2 = reduce_sum(%qa) {axes = [0,1]} : f64[]
      %ya = slice(%y) {start = [0,0], limit = [3,4], stride = [1,1]} : f64[3,4]
      %yb = slice(%y) {start = [2,0], limit = [5,4], stride = [1,1]} : f64[3,4]
      %yy = mul(%ya, %yb) : f64[3,4]
      %l3 = reduce_sum(%yy) {axes = [0,1]} : f64[]
      %l12 = add(%l1, %l2) : f64[]
      %loss = add(%l12, %l3) : f64[]
      return %loss
    }
    """

    @Test func sumsMatchFiniteDifferences() throws {
        let f = try parseFunction(Self.program)
        var rng = SeededGenerator(seed: 41)
        let inputs = try f.paramTypes.map { try rng.tensor($0) }
        try checkGradient(f, inputs, wrt: ["x", "y", "w", "q"])
    }

    @Test func slicesAreConcatenatedAndSharedProductsSummedAsOne() throws {
        let f = try parseFunction(Self.program)
        let g = try grad(f, wrt: ["x", "y", "w"])
        let producer = Dictionary(g.body.flatMap { inst in inst.results.map { ($0, inst) } }, uniquingKeysWith: { a, _ in a })
        let (dx, dy, dw) = (g.results[1], g.results[2], g.results[3])
        // d x: one concatenate of the three row blocks and zeros for row 4, no padded copies.
        let concat = try #require(producer[dx])
        #expect(concat.op == .concatenate(axis: 0))
        #expect(concat.operands.map { g.type(of: $0).shape } == [[2, 3], [2, 3], [1, 3], [2, 3]])
        // d y: the overlapping slices fall back to zero-padded copies added up.
        #expect(producer[dy]?.op == .binary(.add))
        #expect(g.body.filter { if case .pad = $0.op { true } else { false } }.count == 2)
        // d w: one product over the four uses' operands, concatenated along the contracted axis.
        let product = try #require(producer[dw])
        #expect(product.op == .matmul(transposeA: true, transposeB: false))
        for operand in product.operands {
            #expect(producer[operand]?.op == .concatenate(axis: 0))
            #expect(g.type(of: operand).shape[0] == 8)
        }
        #expect(g.body.filter { if case .matmul = $0.op { true } else { false } }.count == 4 + 1 + 3)
    }
}
