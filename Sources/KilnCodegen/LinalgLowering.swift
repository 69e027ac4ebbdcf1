import KilnIR

// matmul is one cblas_?gemm call (a loop of calls per batch for rank 3), with transposes folded
// into the flags. Convolutions build on the same call (ConvolutionLowering.swift).
//
// On the unit's pool a large product is split among Kiln's threads by columns (or by rows, when
// it has more rows than columns), each part one cblas call on its slice, and OpenBLAS runs one
// thread of its own for the length of the entry point (`openblas_set_num_threads(1)`, restored on
// return). One pool then runs everything: waking Kiln's workers right after OpenBLAS's costs
// about 8 µs, and OpenBLAS's own threads split small or skinny products badly. Each element is
// still one OpenBLAS dot product over the whole contracted axis, but OpenBLAS picks its kernel
// by the slice's size, so the last bits depend on the thread count (never on the run).

/// CBLAS enum values, passed as plain ints (generated code includes no header).
private enum CBLAS {
    static let rowMajor = 101, noTrans = 111, trans = 112
}

/// One row-major `C = alpha·op(A)·op(B) + beta·C` call; matrices are C pointer expressions.
struct GemmCall {
    var transA = false, transB = false
    var m: Int, n: Int, k: Int
    var a: String, lda: Int
    var b: String, ldb: Int
    var beta: Int = 0
    var c: String, ldc: Int
}

extension KernelBuilder {
    /// The product `g`, split among the pool's threads when it is large enough (see above);
    /// `passing` names the `long` locals its pointer expressions use.
    mutating func gemm(_ dtype: DType, _ g: GemmCall, passing: [String] = []) throws(KilnError) {
        let largest = max(g.m, g.n, g.k, g.lda, g.ldb, g.ldc)
        guard largest <= Int(Int32.max) else {
            throw KilnError("a matrix product of size \(g.m)x\(g.k) by \(g.k)x\(g.n) exceeds the 2^31-1 rows or columns BLAS accepts; use smaller shapes")
        }
        use(.gemm(dtype))
        let byColumns = g.n >= g.m
        // A product's work: its multiply-adds over 4, so that one of about 10 µs reaches the threshold.
        let (macs, overflow) = (g.m * g.n).multipliedReportingOverflow(by: g.k)
        parallelFor(byColumns ? g.n : g.m, grain: 16, work: overflow ? Int.max : macs / 4, passing: passing) { k, range in
            guard range.parts > 1 else { return k.line(gemmCall(dtype, g)) }
            k.use(.blasThreads(.set))
            k.line(byColumns ? gemmCall(dtype, g, n: "hi - lo", b: g.transB ? "\(g.b) + lo * \(max(1, g.ldb))" : "\(g.b) + lo", c: "\(g.c) + lo")
                             : gemmCall(dtype, g, m: "hi - lo", a: g.transA ? "\(g.a) + lo" : "\(g.a) + lo * \(max(1, g.lda))", c: "\(g.c) + lo * \(max(1, g.ldc))"))
        }
    }

    /// `out = 0` over `count` elements.
    mutating func zero(_ count: Int, _ dtype: DType) {
        fill("out", count: count, value: Scalar.int(0).cast(to: dtype), dtype)
    }

    /// `out = op(a)·op(b)`, per batch for rank 3.
    mutating func lowerMatmul(transposeA: Bool, transposeB: Bool, _ a: TensorType, _ b: TensorType, _ out: TensorType) throws(KilnError) {
        let r = out.rank
        let (m, n) = (out.shape[r - 2], out.shape[r - 1])
        let k = transposeA ? a.shape[r - 2] : a.shape[r - 1]
        guard out.count > 0 else { return }
        guard k > 0 else { return zero(out.count, out.dtype) }
        let batch = r == 3 ? out.shape[0] : 1
        if batch > 1 { open("for (long p = 0; p < \(batch); p++)") }
        let at = { (name: String, size: Int) in batch > 1 ? "\(name) + p * \(size)" : name }
        try gemm(out.dtype, GemmCall(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                                 a: at("a", m * k), lda: a.shape[r - 1], b: at("b", k * n), ldb: b.shape[r - 1],
                                 c: at("out", m * n), ldc: n), passing: batch > 1 ? ["p"] : [])
        if batch > 1 { close() }
    }
}

/// The C call computing `g`, or a slice of it: `m`, `n` and the pointers replaced when given.
private func gemmCall(_ dtype: DType, _ g: GemmCall, m: String? = nil, n: String? = nil,
                      a: String? = nil, b: String? = nil, c: String? = nil) -> String {
    let suffix = dtype == .f32 ? ".0f" : ".0"
    let flags = [CBLAS.rowMajor, g.transA ? CBLAS.trans : CBLAS.noTrans, g.transB ? CBLAS.trans : CBLAS.noTrans]
    let args = flags.map(String.init) + [m ?? "\(g.m)", n ?? "\(g.n)", "\(g.k)", "1\(suffix)", a ?? g.a, "\(max(1, g.lda))",
                                         b ?? g.b, "\(max(1, g.ldb))", "\(g.beta)\(suffix)", c ?? g.c, "\(max(1, g.ldc))"]
    return "\(PreludeItem.gemm(dtype).functionName)(\(args.joined(separator: ", ")));"
}
