import KilnIR

// Layout ops are all one loop nest: `dst[dstBase + i·dstStrides] = src[srcBase + i·srcStrides]`
// over a shape, with strides precomputed here (0 to repeat, negative to reverse). Nothing is
// materialized beyond the result.

/// An array walked by a strided copy: an element offset and one stride per axis of the copy.
struct StridedView {
    var name: String
    var base: Int
    var strides: [Int]
}

extension KernelBuilder {
    /// `dst[...] = src[...]` for every index of `shape`, after merging axes both views walk as one.
    /// The innermost run is a `memcpy` when both sides are contiguous, a loop otherwise.
    mutating func stridedCopy(_ shape: [Int], _ dtype: DType, dst: StridedView, src: StridedView) {
        guard !shape.contains(0) else { return }
        let (dims, strides) = collapseAxes(shape, [dst.strides, src.strides])
        let run = dims[dims.count - 1], ds = strides[0][dims.count - 1], ss = strides[1][dims.count - 1]
        let offsets = openLoops(Array(dims.dropLast()), [("o", dst.base, Array(strides[0].dropLast())),
                                                         ("s", src.base, Array(strides[1].dropLast()))])
        let (o, s) = (offsets[0], offsets[1])
        if run == 1 {
            line("\(element(dst.name, o, "0")) = \(element(src.name, s, "0"));")
        } else if ds == 1 && ss == 1 {
            line(call(.memcpy, offsetPointer(dst.name, o), offsetPointer(src.name, s), "\(run) * sizeof(\(cType(dtype)))") + ";")
        } else if ss == 0 {
            indexLoop(run, index: "j") { _, j in "\(element(dst.name, o, scaled(j, ds))) = \(element(src.name, s, "0"));" }
        } else {
            indexLoop(run, index: "j") { _, j in "\(element(dst.name, o, scaled(j, ds))) = \(element(src.name, s, scaled(j, ss)));" }
        }
        closeLoops()
    }

    /// `out[i] = x[j]` with `j[k] = x.shape[k] == 1 ? 0 : i[dims[k]]`.
    mutating func lowerBroadcast(dims: [Int], _ x: TensorType, _ out: TensorType) {
        let xStrides = rowMajorStrides(x.shape)
        var srcStrides = [Int](repeating: 0, count: out.rank)
        for (k, d) in dims.enumerated() where x.shape[k] != 1 { srcStrides[d] = xStrides[k] }
        stridedCopy(out.shape, out.dtype, dst: contiguous("out", out.shape), src: StridedView(name: "x", base: 0, strides: srcStrides))
    }

    /// `out[i] = x[j]` with `j[perm[k]] = i[k]`.
    mutating func lowerTranspose(perm: [Int], _ x: TensorType, _ out: TensorType) {
        let xStrides = rowMajorStrides(x.shape)
        stridedCopy(out.shape, out.dtype, dst: contiguous("out", out.shape),
                    src: StridedView(name: "x", base: 0, strides: perm.map { xStrides[$0] }))
    }

    /// `out[i] = x[start + i * stride]`.
    mutating func lowerSlice(start: [Int], stride: [Int], _ x: TensorType, _ out: TensorType) {
        let xStrides = rowMajorStrides(x.shape)
        let base = zip(start, xStrides).map { $0 * $1 }.reduce(0, +)
        stridedCopy(out.shape, out.dtype, dst: contiguous("out", out.shape),
                    src: StridedView(name: "x", base: base, strides: zip(stride, xStrides).map { $0 * $1 }))
    }

    /// `out[i] = x[i']`, `i'[a] = dim[a] - 1 - i[a]` on the listed axes.
    mutating func lowerReverse(axes: [Int], _ x: TensorType) {
        var strides = rowMajorStrides(x.shape)
        var base = 0
        for a in axes where x.shape[a] > 0 {
            base += (x.shape[a] - 1) * strides[a]
            strides[a] = -strides[a]
        }
        stridedCopy(x.shape, x.dtype, dst: contiguous("out", x.shape), src: StridedView(name: "x", base: base, strides: strides))
    }

    /// `out = value` everywhere, then `x` copied into the interior starting at `low`.
    mutating func lowerPad(low: [Int], value: Scalar, _ x: TensorType, _ out: TensorType) {
        if out.count > x.count { fill("out", count: out.count, value: value, out.dtype) }
        let outStrides = rowMajorStrides(out.shape)
        let base = zip(low, outStrides).map { $0 * $1 }.reduce(0, +)
        stridedCopy(x.shape, x.dtype, dst: StridedView(name: "out", base: base, strides: outStrides), src: contiguous("x", x.shape))
    }

    /// Each operand `x<n>` copied into its block of `out` along `axis`.
    mutating func lowerConcatenate(axis: Int, _ operands: [TensorType], _ out: TensorType) {
        let outStrides = rowMajorStrides(out.shape)
        var start = 0
        for (n, x) in operands.enumerated() {
            stridedCopy(x.shape, x.dtype, dst: StridedView(name: "out", base: start * outStrides[axis], strides: outStrides),
                        src: contiguous("x\(n)", x.shape))
            start += x.shape[axis]
        }
    }
}

/// A row-major array of `shape` named `name`.
func contiguous(_ name: String, _ shape: [Int]) -> StridedView {
    StridedView(name: name, base: 0, strides: rowMajorStrides(shape))
}

/// `index * stride` as short C.
func scaled(_ index: String, _ stride: Int) -> String {
    stride == 1 ? index : "(\(index)) * \(stride)"
}
