import KilnIR

// Reference kernels of the layout ops (docs/ir.md, "Layout"). Each one describes where every
// output element comes from as a start and per-axis strides into `x`, and copies along a
// `StridedWalk` over the output.

/// Fills `out` in row-major order from `x`, read from `start` with `strides` (one per output axis).
private func fill(_ out: HostTensor, from x: HostTensor, start: Int = 0, strides: [Int]) {
    let shape = out.type.shape
    copyElements(StridedWalk(shape: shape, source: (start, strides), destination: (0, rowMajorStrides(shape))),
                 from: x, to: out)
}

/// `broadcast_in_dim`: an output axis not in `dims`, or fed by an axis of size 1, reads with stride 0.
func broadcastKernel(dims: [Int], _ x: HostTensor, _ out: HostTensor) {
    let xStrides = rowMajorStrides(x.type.shape)
    var strides = [Int](repeating: 0, count: out.type.rank)
    for (axis, d) in dims.enumerated() where x.type.shape[axis] != 1 {
        strides[d] = xStrides[axis]
    }
    fill(out, from: x, strides: strides)
}

/// `transpose`: output axis k walks `x`'s axis `perm[k]`.
func transposeKernel(perm: [Int], _ x: HostTensor, _ out: HostTensor) {
    let xStrides = rowMajorStrides(x.type.shape)
    fill(out, from: x, strides: perm.map { xStrides[$0] })
}

/// `slice`: starts at `start`, steps by `stride` along each axis.
func sliceKernel(start: [Int], stride: [Int], _ x: HostTensor, _ out: HostTensor) {
    let xStrides = rowMajorStrides(x.type.shape)
    fill(out, from: x, start: zip(start, xStrides).map(*).reduce(0, +), strides: zip(stride, xStrides).map(*))
}

/// `reverse`: a reversed axis starts at its last element and steps backwards.
func reverseKernel(axes: [Int], _ x: HostTensor, _ out: HostTensor) {
    let shape = x.type.shape
    var strides = rowMajorStrides(shape)
    var start = 0
    for axis in axes {
        start += (shape[axis] - 1) * strides[axis]
        strides[axis] = -strides[axis]
    }
    fill(out, from: x, start: start, strides: strides)
}

/// Copies all of `x` into the block of `out` whose first element is at `offset`.
private func place(_ x: HostTensor, at offset: Int, in out: HostTensor) {
    let shape = x.type.shape
    copyElements(StridedWalk(shape: shape, source: (0, rowMajorStrides(shape)), destination: (offset, rowMajorStrides(out.type.shape))),
                 from: x, to: out)
}

/// `concatenate`: each operand fills the next block along `axis`.
func concatenateKernel(axis: Int, _ xs: [HostTensor], _ out: HostTensor) {
    let axisStride = rowMajorStrides(out.type.shape)[axis]
    var position = 0
    for x in xs {
        place(x, at: position * axisStride, in: out)
        position += x.type.shape[axis]
    }
}

/// `pad`: `value` everywhere, then `x` at offset `low`.
func padKernel(low: [Int], value: Scalar, _ x: HostTensor, _ out: HostTensor) {
    fillConstant(.splat(value), out)
    place(x, at: zip(low, rowMajorStrides(out.type.shape)).map(*).reduce(0, +), in: out)
}
