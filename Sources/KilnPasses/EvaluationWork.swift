import KilnIR

/// An estimate of the element operations the reference kernel spends on `op`: each operand and
/// result element once, plus the multiply-adds of contractions and the window of pools. `fold`
/// uses it so that no constant expression makes compilation slow.
func evaluationWork(_ op: Op, _ operands: [TensorType], _ result: TensorType) -> Int {
    let elements = operands.reduce(result.count) { $0 + $1.count }
    let extra: Int
    switch op {
    case .constant, .iota, .unary, .binary, .compare, .select, .convert, .reduce, .argmax,
         .broadcastInDim, .reshape, .transpose, .slice, .concatenate, .pad, .reverse,
         .gather, .scatterAdd, .oneHot, .rngUniform, .rngNormal:
        extra = 0
    case .matmul(let transposeA, _):
        let a = operands[0]
        extra = saturatingProduct([result.count, a.shape[a.rank - (transposeA ? 2 : 1)]])
    case .conv2d:
        extra = saturatingProduct([result.count] + operands[1].shape.dropFirst())
    case .conv2dTranspose:
        extra = saturatingProduct([operands[0].count] + operands[1].shape.dropFirst())
    case .conv2dFilterGrad:
        let grad = operands[1].shape
        extra = saturatingProduct([result.count, grad[0], grad[2], grad[3]])
    case .maxPool2d(let p), .avgPool2d(let p):
        extra = saturatingProduct([result.count] + p.window)
    case .maxPool2dGrad(let p), .avgPool2dGrad(let p):
        extra = saturatingProduct([operands[1].count] + p.window)
    }
    return elements.addingReportingOverflow(extra).overflow ? Int.max : elements + extra
}

/// The product of `factors`, or `Int.max` when it overflows.
private func saturatingProduct(_ factors: [Int]) -> Int {
    var product = 1
    for f in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: f)
        if overflow { return Int.max }
        product = next
    }
    return product
}
