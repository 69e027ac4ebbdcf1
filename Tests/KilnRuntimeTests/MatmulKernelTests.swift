import KilnIR
@testable import KilnRuntime
import Testing

@Suite struct MatmulKernelTests {
    static let flagPairs = [(false, false), (false, true), (true, false), (true, true)]

    @Test(arguments: [DType.f32, .f64])
    func handComputed(dtype: DType) throws {
        let a = try HostTensor(TensorType(dtype, [2, 3]), doubles: [1, 2, 3, 4, 5, 6])
        let b = try HostTensor(TensorType(dtype, [3, 2]), doubles: [7, 8, 9, 10, 11, 12])
        let out = try evaluate(.matmul(transposeA: false, transposeB: false), [a, b])
        #expect(out.type == TensorType(dtype, [2, 2]))
        #expect(out.doubles == [58, 64, 139, 154])
        // bᵀ · aᵀ = (a · b)ᵀ
        let swapped = try evaluate(.matmul(transposeA: true, transposeB: true), [b, a])
        #expect(swapped.doubles == [58, 139, 64, 154])
    }

    /// Every transpose-flag combination, rank 2 and batched rank 3, against the definition.
    @Test(arguments: [DType.f32, .f64], [false, true])
    func matchesTripleLoop(dtype: DType, batched: Bool) throws {
        var random = KernelTestRandom(seed: batched ? 11 : 7)
        let batch = batched ? [3] : []
        for (ta, tb) in Self.flagPairs {
            for (m, k, n) in [(1, 1, 1), (3, 7, 1), (1, 3, 7), (7, 3, 5), (4, 1, 6), (7, 7, 7)] {
                let a = try random.tensor(TensorType(dtype, batch + (ta ? [k, m] : [m, k])))
                let b = try random.tensor(TensorType(dtype, batch + (tb ? [n, k] : [k, n])))
                let out = try evaluate(.matmul(transposeA: ta, transposeB: tb), [a, b])
                #expect(out.type == TensorType(dtype, batch + [m, n]))
                let tolerance = dtype == .f32 ? 1e-5 : 1e-13
                #expect(maxDifference(out.doubles, referenceMatmul(ta, tb, a, b)) <= tolerance,
                        "transpose \(ta) \(tb), m \(m) k \(k) n \(n)")
            }
        }
    }

    /// Under `ProductOrder.sequential` every flag combination gives the bits of one f32
    /// accumulator summing along the contracted index in order.
    @Test func sequentialOrderIsOneAccumulatorInOrder() throws {
        var random = KernelTestRandom(seed: 5)
        let (m, k, n) = (5, 300, 4)
        let a = try random.tensor(TensorType(.f32, [m, k])), b = try random.tensor(TensorType(.f32, [k, n]))
        let at = try evaluate(.transpose(perm: [1, 0]), [a]), bt = try evaluate(.transpose(perm: [1, 0]), [b])
        var expected: [Float] = []
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += a.pointer(Float.self)[i * k + p] * b.pointer(Float.self)[p * n + j] }
                expected.append(sum)
            }
        }
        for (ta, tb) in Self.flagPairs {
            let out = try ProductOrder.$current.withValue(.sequential) {
                try evaluate(.matmul(transposeA: ta, transposeB: tb), [ta ? at : a, tb ? bt : b])
            }
            #expect((0..<out.count).map { out.pointer(Float.self)[$0].bitPattern } == expected.map(\.bitPattern),
                    "transpose \(ta) \(tb)")
        }
    }

    @Test func emptyContractionGivesZeros() throws {
        let a = try HostTensor(zeros: TensorType(.f64, [2, 0]))
        let b = try HostTensor(zeros: TensorType(.f64, [0, 3]))
        let out = try evaluate(.matmul(transposeA: false, transposeB: false), [a, b])
        #expect(out.type == TensorType(.f64, [2, 3]))
        #expect(out.doubles == [Double](repeating: 0, count: 6))
        let noBatch = try evaluate(.matmul(transposeA: false, transposeB: false),
                                   [HostTensor(zeros: TensorType(.f32, [0, 2, 3])), HostTensor(zeros: TensorType(.f32, [0, 3, 4]))])
        #expect(noBatch.type == TensorType(.f32, [0, 2, 4]))
    }

    /// The loop product (used beyond BLAS's 32-bit sizes) equals BLAS's, with row strides wider
    /// than the rows and accumulation into a non-zero result.
    @Test(arguments: [false, true])
    func loopProductMatchesBLAS(accumulate: Bool) {
        var random = KernelTestRandom(seed: 3)
        let (m, n, k, ld) = (3, 5, 4, 9)
        let a = (0..<ld * ld).map { _ in random.unit() }
        let b = (0..<ld * ld).map { _ in random.unit() }
        let start = (0..<m * ld).map { _ in random.unit() }
        for (ta, tb) in Self.flagPairs {
            var viaBLAS = start, viaLoops = start
            gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a, lda: ld, b, ldb: ld,
                 accumulate: accumulate, &viaBLAS, ldc: ld)
            loopGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a, lda: ld, b, ldb: ld,
                     accumulate: accumulate, &viaLoops, ldc: ld)
            #expect(maxDifference(viaBLAS, viaLoops) <= 1e-14, "transpose \(ta) \(tb)")
            #expect(viaBLAS != start)
            // Entries past the n columns of each row are outside the product and stay as they were.
            #expect((0..<m).allSatisfy { i in viaLoops[(i * ld + n)..<(i * ld + ld)] == start[(i * ld + n)..<(i * ld + ld)] })
        }
    }
}

/// `op(a) · op(b)` per batch entry, straight from the definition.
private func referenceMatmul(_ ta: Bool, _ tb: Bool, _ a: HostTensor, _ b: HostTensor) -> [Double] {
    let (x, y) = (a.doubles, b.doubles)
    let rank = a.type.rank
    let (a0, a1) = (a.type.shape[rank - 2], a.type.shape[rank - 1])
    let (b0, b1) = (b.type.shape[rank - 2], b.type.shape[rank - 1])
    let (m, k, n) = (ta ? a1 : a0, ta ? a0 : a1, tb ? b0 : b1)
    let batch = rank == 3 ? a.type.shape[0] : 1
    var out: [Double] = []
    for t in 0..<batch {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = x[t * a0 * a1 + (ta ? p * a1 + i : i * a1 + p)]
                    let bv = y[t * b0 * b1 + (tb ? j * b1 + p : p * b1 + j)]
                    sum += av * bv
                }
                out.append(sum)
            }
        }
    }
    return out
}
