import KilnIR

func maxPool2dKernel(_ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: maxPool(Float.self, p, input, out)
    case .f64: maxPool(Double.self, p, input, out)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

func avgPool2dKernel(_ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: avgPool(Float.self, p, input, out)
    case .f64: avgPool(Double.self, p, input, out)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

func maxPool2dGradKernel(_ p: PoolAttributes, _ input: HostTensor, _ grad: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: maxPoolGrad(Float.self, p, input, grad, out)
    case .f64: maxPoolGrad(Double.self, p, input, grad, out)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

func avgPool2dGradKernel(_ p: PoolAttributes, _ grad: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: avgPoolGrad(Float.self, p, grad, out)
    case .f64: avgPoolGrad(Double.self, p, grad, out)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

private func maxPool<T: BinaryFloatingPoint>(_: T.Type, _ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {
    let (x, y) = (input.pointer(T.self), out.pointer(T.self))
    let width = input.type.shape[3]
    PoolGeometry(p, input: input.type, output: out.type).forEachWindow { plane, o, rows, columns in
        y[o] = windowArgmax(x + plane, width: width, rows, columns).map { x[plane + $0] } ?? -T.infinity
    }
}

private func maxPoolGrad<T: BinaryFloatingPoint>(_: T.Type, _ p: PoolAttributes, _ input: HostTensor,
                                                 _ grad: HostTensor, _ out: HostTensor) {
    let (x, g, dx) = (input.pointer(T.self), grad.pointer(T.self), out.pointer(T.self))
    let width = input.type.shape[3]
    PoolGeometry(p, input: input.type, output: grad.type).forEachWindow { plane, o, rows, columns in
        if let i = windowArgmax(x + plane, width: width, rows, columns) { dx[plane + i] += g[o] }
    }
}

private func avgPool<T: BinaryFloatingPoint>(_: T.Type, _ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {
    let (x, y) = (input.pointer(T.self), out.pointer(T.self))
    let width = input.type.shape[3]
    let windowSize = T(p.window[0] * p.window[1])
    PoolGeometry(p, input: input.type, output: out.type).forEachWindow { plane, o, rows, columns in
        var sum: T = 0
        for r in rows {
            for c in columns { sum += x[plane + r * width + c] }
        }
        y[o] = sum / windowSize
    }
}

private func avgPoolGrad<T: BinaryFloatingPoint>(_: T.Type, _ p: PoolAttributes, _ grad: HostTensor, _ out: HostTensor) {
    let (g, dx) = (grad.pointer(T.self), out.pointer(T.self))
    let width = out.type.shape[3]
    let windowSize = T(p.window[0] * p.window[1])
    PoolGeometry(p, input: out.type, output: grad.type).forEachWindow { plane, o, rows, columns in
        let share = g[o] / windowSize
        for r in rows {
            for c in columns { dx[plane + r * width + c] += share }
        }
    }
}

/// Index (within the plane) of the first maximum of a window in row-major order; a NaN counts as
/// the maximum, so the first NaN wins. Nil for a window wholly in the padding (an empty image).
@inline(__always)
private func windowArgmax<T: BinaryFloatingPoint>(_ plane: UnsafePointer<T>, width: Int,
                                                  _ rows: Range<Int>, _ columns: Range<Int>) -> Int? {
    guard let top = rows.first, let left = columns.first else { return nil }
    var best = top * width + left
    var bestValue = plane[best]
    for r in rows {
        for c in columns {
            let i = r * width + c
            let v = plane[i]
            if v.isNaN { return i }
            let better = v > bestValue
            best = better ? i : best
            bestValue = better ? v : bestValue
        }
    }
    return best
}

/// The windows of a 2-D pooling of NCHW `input` into NCHW `output`, clipped to the image.
private struct PoolGeometry {
    let planes, height, width, outHeight, outWidth: Int
    let p: PoolAttributes

    init(_ p: PoolAttributes, input: TensorType, output: TensorType) {
        planes = input.shape[0] * input.shape[1]
        (height, width) = (input.shape[2], input.shape[3])
        (outHeight, outWidth) = (output.shape[2], output.shape[3])
        self.p = p
    }

    /// The in-image part of the window starting at `origin` of size `window` along an axis of `size`.
    private func clip(_ origin: Int, _ window: Int, _ size: Int) -> Range<Int> {
        max(origin, 0)..<min(origin + window, size)
    }

    /// Calls `body(plane, output, rows, columns)` for every output element, in order: `plane` is
    /// the offset of its input plane, `output` its flat index, `rows` and `columns` its window.
    @inline(__always)
    func forEachWindow(_ body: (Int, Int, Range<Int>, Range<Int>) -> Void) {
        var o = 0
        for n in 0..<planes {
            let plane = n * height * width
            for y in 0..<outHeight {
                let rows = clip(y * p.stride[0] - p.padding[0], p.window[0], height)
                for x in 0..<outWidth {
                    body(plane, o, rows, clip(x * p.stride[1] - p.padding[1], p.window[1], width))
                    o += 1
                }
            }
        }
    }
}
