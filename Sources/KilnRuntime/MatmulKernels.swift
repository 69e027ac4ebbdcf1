import CBLAS
import KilnIR

/// How the reference kernels sum matrix products (matmul and the convolutions' GEMMs).
///
/// OpenBLAS picks its kernels by CPU (AVX-512 or AVX2, say) and each sums in its own order, and
/// a transpose flag can pick a different kernel too: under `.blas` the last bits of a product
/// depend on the machine and on the flags. Under `.sequential` every product sums along the
/// contracted index in order, so its bits are the same on every CPU and for every layout of the
/// operands: what tests of bit-exact rewrites compare under (docs/passes.md, Exactness).
public enum ProductOrder: Sendable {
    /// Through OpenBLAS: fast; rounding within BLAS's bound, bits depending on the CPU.
    case blas
    /// Plain loops, one accumulator, contracted index ascending: slow, the same bits everywhere.
    case sequential

    /// The order in force for the current task (and the threads it runs on); `.blas` by default.
    @TaskLocal public static var current: ProductOrder = .blas
}

/// The element types the BLAS-backed kernels handle: `Float` (sgemm) and `Double` (dgemm).
protocol BLASFloat: BinaryFloatingPoint {
    /// Row-major `c = alpha · op(a) · op(b) + beta · c` through `cblas_?gemm`.
    static func blasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                         _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                         _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
}

extension Float: BLASFloat {
    static func blasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                         _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                         _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: BLASFloat {
    static func blasGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                         _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                         _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

/// Row-major `c = op(a) · op(b)` (or `c += op(a) · op(b)` when `accumulate`), where `op(a)` is
/// `m×k`, `op(b)` is `k×n`, `op` transposes when its flag is set, and `lda`, `ldb`, `ldc` are the
/// row strides of the matrices as stored.
///
/// BLAS does the work under `ProductOrder.blas`; `ProductOrder.sequential`, empty products and
/// sizes beyond BLAS's 32-bit integers take `loopGemm`.
func gemm<T: BLASFloat>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                        _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                        accumulate: Bool, _ c: UnsafeMutablePointer<T>, ldc: Int) {
    let sizes = [m, n, k, lda, ldb, ldc]
    guard ProductOrder.current == .blas, sizes.allSatisfy({ $0 >= 1 && $0 <= Int(Int32.max) }) else {
        loopGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 a, lda: lda, b, ldb: ldb, accumulate: accumulate, c, ldc: ldc)
        return
    }
    T.blasGemm(transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
               Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
}

/// The product `gemm` computes, as plain loops (summing in order of the contracted index).
func loopGemm<T: BLASFloat>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                            accumulate: Bool, _ c: UnsafeMutablePointer<T>, ldc: Int) {
    // op(a)[i, p] = a[i * aRow + p * aCol], op(b)[p, j] = b[p * bRow + j * bCol]
    let (aRow, aCol) = transposeA ? (1, lda) : (lda, 1)
    let (bRow, bCol) = transposeB ? (1, ldb) : (ldb, 1)
    for i in 0..<m {
        for j in 0..<n {
            var sum: T = 0
            for p in 0..<k { sum += a[i * aRow + p * aCol] * b[p * bRow + j * bCol] }
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum
        }
    }
}

func matmulKernel(transposeA: Bool, transposeB: Bool, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: batchedMatmul(Float.self, transposeA: transposeA, transposeB: transposeB, a, b, out)
    case .f64: batchedMatmul(Double.self, transposeA: transposeA, transposeB: transposeB, a, b, out)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

/// `out = op(a) · op(b)` for rank-2 operands, or one such product per batch entry for rank 3.
private func batchedMatmul<T: BLASFloat>(_: T.Type, transposeA: Bool, transposeB: Bool,
                                         _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    let rank = out.type.rank
    let (m, n) = (out.type.shape[rank - 2], out.type.shape[rank - 1])
    let k = a.type.shape[transposeA ? rank - 2 : rank - 1]
    let batch = rank == 3 ? out.type.shape[0] : 1
    let (pa, pb, pc) = (a.pointer(T.self), b.pointer(T.self), out.pointer(T.self))
    for i in 0..<batch {
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             pa + i * m * k, lda: a.type.shape[rank - 1], pb + i * k * n, ldb: b.type.shape[rank - 1],
             accumulate: false, pc + i * m * n, ldc: n)
    }
}
