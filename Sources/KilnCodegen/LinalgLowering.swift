import KilnIR

// matmul is one cblas_?gemm call (a loop of calls per batch for rank 3), with transposes folded
// into the flags. Convolutions are im2col / col2im in arena scratch plus gemm, one sample at a time.
// A convolution with an empty image (or nothing to contract) is all zeros, as in the interpreter:
// padding alone contributes nothing, even against an infinite filter weight.

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

    /// `kiln_im2col` of sample `n` of `input` into `scratch`, or the sample itself when the
    /// convolution is 1x1 with unit stride and no padding (then the columns are the input).
    private mutating func columns(_ input: TensorType, window: [Int], _ a: ConvAttributes, _ outHW: [Int]) throws(KilnError) -> String {
        let (c, h, w) = (input.shape[1], input.shape[2], input.shape[3])
        let sample = "input + n * \(c * h * w)"
        if window == [1, 1] && a.stride == [1, 1] && a.padding == [0, 0] { return sample }
        scratchBytes = try scratchSize([c, window[0], window[1], outHW[0], outHW[1], input.dtype.byteSize])
        let args = [sample, "scratch"] + [c, h, w, window[0], window[1], a.stride[0], a.stride[1],
                                          a.padding[0], a.padding[1], a.dilation[0], a.dilation[1], outHW[0], outHW[1]].map(String.init)
        use(.im2col(input.dtype))
        line("\(PreludeItem.im2col(input.dtype).functionName)(\(args.joined(separator: ", ")));")
        return "scratch"
    }

    /// out[n] (O × Ho·Wo) = filter (O × C·KH·KW) · im2col(input[n]).
    mutating func lowerConv2d(_ a: ConvAttributes, _ input: TensorType, _ filter: TensorType, _ out: TensorType) throws(KilnError) {
        let (batch, o, hw) = (out.shape[0], out.shape[1], out.shape[2] * out.shape[3])
        let ckk = filter.shape[1] * filter.shape[2] * filter.shape[3]
        guard out.count > 0 else { return }
        guard input.count > 0 else { return zero(out.count, out.dtype) }
        open("for (long n = 0; n < \(batch); n++)")
        let cols = try columns(input, window: Array(filter.shape[2...]), a, Array(out.shape[2...]))
        try gemm(out.dtype, GemmCall(m: o, n: hw, k: ckk, a: "filter", lda: ckk, b: cols, ldb: hw, c: "out + n * \(o * hw)", ldc: hw))
        close()
    }

    /// scratch (Co·KH·KW × H·W) = filterᵀ · input[n], then col2im scatters it into out[n].
    mutating func lowerConv2dTranspose(_ a: ConvAttributes, _ input: TensorType, _ filter: TensorType, _ out: TensorType) throws(KilnError) {
        let (batch, ci, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (co, kh, kw) = (filter.shape[1], filter.shape[2], filter.shape[3])
        let (ho, wo) = (out.shape[2], out.shape[3])
        guard out.count > 0 else { return }
        guard ci * h * w > 0 else { return zero(out.count, out.dtype) }
        scratchBytes = try scratchSize([co, kh, kw, h, w, out.dtype.byteSize])
        open("for (long n = 0; n < \(batch); n++)")
        try gemm(out.dtype, GemmCall(transA: true, m: co * kh * kw, n: h * w, k: ci, a: "filter", lda: co * kh * kw,
                                 b: "input + n * \(ci * h * w)", ldb: h * w, c: "scratch", ldc: h * w))
        let args = ["scratch", "out + n * \(co * ho * wo)"] + [co, ho, wo, kh, kw, a.stride[0], a.stride[1], a.padding[0],
                                                              a.padding[1], a.dilation[0], a.dilation[1], h, w].map(String.init)
        use(.col2im(out.dtype))
        line("\(PreludeItem.col2im(out.dtype).functionName)(\(args.joined(separator: ", ")));")
        close()
    }

    /// out (O × C·KH·KW) = sum over n of grad[n] (O × Ho·Wo) · im2col(input[n])ᵀ.
    mutating func lowerConv2dFilterGrad(_ a: ConvAttributes, window: [Int], _ input: TensorType, _ grad: TensorType, _ out: TensorType) throws(KilnError) {
        let (batch, o, hw) = (grad.shape[0], grad.shape[1], grad.shape[2] * grad.shape[3])
        let ckk = out.shape[1] * out.shape[2] * out.shape[3]
        guard out.count > 0 else { return }
        zero(out.count, out.dtype)
        guard input.count > 0 && grad.count > 0 else { return }
        open("for (long n = 0; n < \(batch); n++)")
        let cols = try columns(input, window: window, a, Array(grad.shape[2...]))
        try gemm(out.dtype, GemmCall(transB: true, m: o, n: ckk, k: hw, a: "grad + n * \(o * hw)", lda: hw, b: cols, ldb: hw,
                                 beta: 1, c: "out", ldc: ckk))
        close()
    }
}

/// Bytes of im2col scratch, the product of `factors`, or an error when that passes 2^40.
private func scratchSize(_ factors: [Int]) throws(KilnError) -> Int {
    var bytes = 1
    for f in factors {
        let (product, overflow) = bytes.multipliedReportingOverflow(by: f)
        guard !overflow, product <= 1 << 40 else {
            throw KilnError("a convolution needs more than 2^40 bytes of im2col scratch; use smaller shapes")
        }
        bytes = product
    }
    return bytes
}
