import KilnIR

// Reference kernels of the reductions (docs/ir.md, "Reductions").

/// `reduce_sum`/`reduce_max`/`reduce_min` over any set of axes.
///
/// The output starts at the op's identity (0, -inf/min, +inf/max), then one row-major pass over
/// `x` folds each element into the output element it belongs to (a reduced axis has stride 0
/// in the output). Each output element therefore sees its inputs in row-major order, with an
/// accumulator of `x`'s dtype.
func reduceKernel(_ op: ReduceOp, axes: [Int], _ x: HostTensor, _ out: HostTensor) {
    switch x.type.dtype {
    case .f32: reduce(op, Float.self, axes: axes, x, out)
    case .f64: reduce(op, Double.self, axes: axes, x, out)
    case .i32: reduce(op, Int32.self, axes: axes, x, out)
    case .i64: reduce(op, Int64.self, axes: axes, x, out)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

private func reduce<T: NumericElement>(_ op: ReduceOp, _: T.Type, axes: [Int], _ x: HostTensor, _ out: HostTensor) {
    let shape = x.type.shape
    let keptStrides = rowMajorStrides(out.type.shape)
    var destinationStrides = [Int](repeating: 0, count: shape.count)
    for (k, axis) in shape.indices.filter({ !axes.contains($0) }).enumerated() {
        destinationStrides[axis] = keptStrides[k]
    }
    let walk = StridedWalk(shape: shape, source: (0, rowMajorStrides(shape)), destination: (0, destinationStrides))

    @inline(__always) func fold(from identity: T, _ combine: (T, T) -> T) {
        let (src, dst) = (x.pointer(T.self), out.pointer(T.self))
        for i in 0..<out.count { dst[i] = identity }
        walk.forEachRow { s, d, count, sourceStep, destinationStep in
            if destinationStep == 0 {  // the row is reduced into one element: keep it in a register
                var acc = dst[d]
                for k in 0..<count { acc = combine(acc, src[s + k * sourceStep]) }
                dst[d] = acc
            } else {
                for k in 0..<count {
                    let j = d + k * destinationStep
                    dst[j] = combine(dst[j], src[s + k * sourceStep])
                }
            }
        }
    }
    switch op {
    case .sum: fold(from: .zero, T.add)
    case .max: fold(from: .lowest, maxPropagatingNaN)
    case .min: fold(from: .highest, minPropagatingNaN)
    }
}

/// `argmax` along `axis`: the index of the first maximum, or of the first NaN.
func argmaxKernel(axis: Int, _ x: HostTensor, _ out: HostTensor) {
    switch x.type.dtype {
    case .f32: argmax(Float.self, axis: axis, x, out)
    case .f64: argmax(Double.self, axis: axis, x, out)
    case .i32: argmax(Int32.self, axis: axis, x, out)
    case .i64: argmax(Int64.self, axis: axis, x, out)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

private func argmax<T: NumericElement>(_: T.Type, axis: Int, _ x: HostTensor, _ out: HostTensor) {
    let shape = x.type.shape
    let size = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    let outer = shape[..<axis].reduce(1, *)
    let (src, dst) = (x.pointer(T.self), out.pointer(Int32.self))
    for o in 0..<outer {
        for i in 0..<inner {
            let first = o * size * inner + i
            var (best, bestIndex) = (src[first], 0)
            var k = 1
            while k < size && !best.isNaN {
                let v = src[first + k * inner]
                if v.isNaN || v > best { (best, bestIndex) = (v, k) }
                k += 1
            }
            dst[o * inner + i] = Int32(truncatingIfNeeded: bestIndex)
        }
    }
}
