import KilnIR

/// Cotangent of operand `i` of `c = op(a) · op(b)`: `d op(a) = ct · op(b)ᵀ` and
/// `d op(b) = op(a)ᵀ · ct`, each transposed back when its operand was transposed.
func matmulPullback<E: GradientEmitter>(transposeA ta: Bool, transposeB tb: Bool, operand i: Int,
                                        _ a: E.Handle, _ b: E.Handle, _ ct: E.Handle,
                                        _ e: E) throws(KilnError) -> E.Handle {
    let p = matmulPullbackProduct(transposeA: ta, transposeB: tb, operand: i, a, b, ct)
    return try e.emit(.matmul(transposeA: p.transposeA, transposeB: p.transposeB), [p.lhs, p.rhs])
}

/// The product `matmulPullback` emits for operand `i`: its flags and operands.
func matmulPullbackProduct<H>(transposeA ta: Bool, transposeB tb: Bool, operand i: Int, _ a: H, _ b: H,
                              _ ct: H) -> (transposeA: Bool, transposeB: Bool, lhs: H, rhs: H) {
    if i == 0 {
        return ta ? (tb, true, b, ct) : (false, !tb, ct, b)
    }
    return tb ? (true, ta, ct, a) : (!ta, false, a, ct)
}

/// `conv2d_transpose(grad, filter)` sized to give back `spatial`: the adjoint of a `conv2d` (with
/// `a` and `window`) whose input has that spatial size. The output padding restores the rows and
/// columns the convolution's floor division dropped.
private func conv2dAdjoint<E: GradientEmitter>(_ a: ConvAttributes, _ grad: E.Handle, _ filter: E.Handle,
                                               spatial: [Int], window: [Int], _ e: E) throws(KilnError) -> E.Handle {
    let outputPadding = (0..<2).map { (axis: Int) -> Int in
        let span = a.dilation[axis] * (window[axis] - 1) + 1
        return (spatial[axis] + 2 * a.padding[axis] - span) % a.stride[axis]
    }
    return try e.emit(.conv2dTranspose(a, outputPadding: outputPadding), [grad, filter])
}

/// Cotangents of `conv2d(input, filter)`: `conv2d_transpose` for the input, `conv2d_filter_grad` for the filter.
func conv2dPullback<E: GradientEmitter>(_ a: ConvAttributes, operand i: Int, _ input: E.Handle, _ filter: E.Handle,
                                        _ ct: E.Handle, _ e: E) throws(KilnError) -> E.Handle {
    let window = Array(e.type(of: filter).shape[2...])
    if i == 0 {
        return try conv2dAdjoint(a, ct, filter, spatial: Array(e.type(of: input).shape[2...]), window: window, e)
    }
    return try e.emit(.conv2dFilterGrad(a, window: window), [input, ct])
}

/// Cotangents of `conv2d_transpose(input, filter)`, the adjoint of `conv2d` with the same filter:
/// `conv2d(ct, filter)` for the input and `conv2d_filter_grad(ct, input)` (roles swapped) for the
/// filter. When `output_padding` reaches the stride (possible when dilation exceeds it) that
/// `conv2d` yields extra trailing rows or columns, which are dropped, and `input` is zero-padded to match.
func conv2dTransposePullback<E: GradientEmitter>(_ a: ConvAttributes, operand i: Int, _ input: E.Handle,
                                                 _ filter: E.Handle, _ ct: E.Handle,
                                                 _ e: E) throws(KilnError) -> E.Handle {
    let inputShape = e.type(of: input).shape
    if i == 0 {
        return try e.slice(e.emit(.conv2d(a), [ct, filter]), start: [0, 0, 0, 0], limit: inputShape)
    }
    let adjointShape = try inferResultTypes(.conv2d(a), [e.type(of: ct), e.type(of: filter)])[0].shape
    let extra = [0, 0] + (2..<4).map { adjointShape[$0] - inputShape[$0] }
    let window = Array(e.type(of: filter).shape[2...])
    return try e.emit(.conv2dFilterGrad(a, window: window), [ct, e.pad(input, low: [0, 0, 0, 0], high: extra)])
}

/// Cotangents of `conv2d_filter_grad(input, grad)`, bilinear in its operands: the input's is
/// `conv2d_transpose(grad, ct)` and the gradient operand's is `conv2d(input, ct)`.
func conv2dFilterGradPullback<E: GradientEmitter>(_ a: ConvAttributes, operand i: Int, _ input: E.Handle,
                                                  _ grad: E.Handle, _ ct: E.Handle,
                                                  _ e: E) throws(KilnError) -> E.Handle {
    if i == 0 {
        let shape = e.type(of: input).shape
        return try conv2dAdjoint(a, grad, ct, spatial: Array(shape[2...]), window: Array(e.type(of: ct).shape[2...]), e)
    }
    return try e.emit(.conv2d(a), [input, ct])
}

/// Cotangent of the gradient operand of `max_pool2d_grad(input, grad)`, which sends each window's
/// gradient to the first maximum of the window: the adjoint reads `ct` back at that position.
/// Window position `(i, j)` of every output is a strided slice of the padded input; going through
/// the positions last to first, each one equal to the window's maximum overwrites the choice, so
/// the first maximum is the one left.
func maxPoolGradPullback<E: GradientEmitter>(_ p: PoolAttributes, _ input: E.Handle, _ ct: E.Handle,
                                             _ e: E) throws(KilnError) -> E.Handle {
    let pooled = try e.emit(.maxPool2d(p), [input])
    let out = e.type(of: pooled).shape
    let edge = [0, 0] + p.padding
    let paddedInput = try e.pad(input, low: edge, high: edge, value: -.infinity)
    let paddedCt = try e.pad(ct, low: edge, high: edge)
    var chosen = try e.zeros(like: pooled)
    for i in (0..<p.window[0]).reversed() {
        for j in (0..<p.window[1]).reversed() {
            let start = [0, 0, i, j]
            let limit = [out[0], out[1], i + (out[2] - 1) * p.stride[0] + 1, j + (out[3] - 1) * p.stride[1] + 1]
            let stride = [1, 1] + p.stride
            let isMax = try e.compare(e.slice(paddedInput, start: start, limit: limit, stride: stride), .eq, pooled)
            chosen = try e.select(isMax, e.slice(paddedCt, start: start, limit: limit, stride: stride), chosen)
        }
    }
    return chosen
}
