import KilnIR

// matmul is one cblas_?gemm call (a loop of calls per batch for rank 3), with transposes folded
// into the flags. Convolutions build on the same call (ConvolutionLowering.swift).

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
    mutating func gemm(_ dtype: DType, _ g: GemmCall) throws(KilnError) {
        let largest = max(g.m, g.n, g.k, g.lda, g.ldb, g.ldc)
        guard largest <= Int(Int32.max) else {
            throw KilnError("a matrix product of size \(g.m)x\(g.k) by \(g.k)x\(g.n) exceeds the 2^31-1 rows or columns BLAS accepts; use smaller shapes")
        }
        let suffix = dtype == .f32 ? ".0f" : ".0"
        let flags = [CBLAS.rowMajor, g.transA ? CBLAS.trans : CBLAS.noTrans, g.transB ? CBLAS.trans : CBLAS.noTrans]
        let args = flags.map(String.init) + ["\(g.m)", "\(g.n)", "\(g.k)", "1\(suffix)", g.a, "\(max(1, g.lda))",
                                             g.b, "\(max(1, g.ldb))", "\(g.beta)\(suffix)", g.c, "\(max(1, g.ldc))"]
        use(.gemm(dtype))
        line("\(PreludeItem.gemm(dtype).functionName)(\(args.joined(separator: ", ")));")
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
                                 c: at("out", m * n), ldc: n))
        if batch > 1 { close() }
    }
}
