/// The multiply-adds of a contraction or window op (`matmul`, convolutions, pools and their
/// gradients), saturating at `Int.max`; 0 for every other op.
public func multiplyAdds(_ op: Op, _ operands: [TensorType], _ result: TensorType) -> Int {
    switch op {
    case .constant, .iota, .unary, .binary, .compare, .select, .convert, .reduce, .argmax,
         .broadcastInDim, .reshape, .transpose, .slice, .concatenate, .pad, .reverse,
         .gather, .scatterAdd, .oneHot, .rngUniform, .rngNormal, .allReduce:
        return 0
    case .fused(let body):
        var total = 0
        for inst in body.body {
            let count = multiplyAdds(inst.op, inst.operands.map(body.type(of:)), body.type(of: inst.results[0]))
            total = total.addingReportingOverflow(count).overflow ? Int.max : total + count
        }
        return total
    case .matmul(let transposeA, _):
        let a = operands[0]
        return saturatingProduct([result.count, a.shape[a.rank - (transposeA ? 2 : 1)]])
    case .conv2d:
        return saturatingProduct([result.count] + operands[1].shape.dropFirst())
    case .conv2dTranspose:
        return saturatingProduct([operands[0].count] + operands[1].shape.dropFirst())
    case .conv2dFilterGrad:
        let grad = operands[1].shape
        return saturatingProduct([result.count, grad[0], grad[2], grad[3]])
    case .maxPool2d(let p), .avgPool2d(let p):
        return saturatingProduct([result.count] + p.window)
    case .maxPool2dGrad(let p), .avgPool2dGrad(let p):
        return saturatingProduct([operands[1].count] + p.window)
    }
}

/// Floating-point operations of one call of `f`: two per multiply-add of contractions, one per
/// element of arithmetic, comparisons and reductions; layout, indexing and constants count zero.
public func flopCount(of f: Function) -> Int {
    var total = 0
    for inst in f.body {
        let operands = inst.operands.map(f.type(of:))
        let result = f.type(of: inst.results[0])
        let flops: Int
        switch inst.op {
        case .matmul, .conv2d, .conv2dTranspose, .conv2dFilterGrad:
            flops = multiplyAdds(inst.op, operands, result).multipliedReportingOverflow(by: 2).partialValue
        case .maxPool2d, .avgPool2d, .maxPool2dGrad, .avgPool2dGrad:
            flops = multiplyAdds(inst.op, operands, result)
        case .unary, .binary, .compare, .select, .rngUniform, .rngNormal, .allReduce:
            flops = result.count
        case .reduce, .argmax:
            flops = operands[0].count
        case .constant, .iota, .convert, .broadcastInDim, .reshape, .transpose, .slice, .concatenate, .pad,
             .reverse, .gather, .scatterAdd, .oneHot:
            flops = 0
        case .fused(let body):
            flops = flopCount(of: body)
        }
        total = total.addingReportingOverflow(flops).overflow ? Int.max : total + flops
    }
    return total
}

/// The product of `factors`, or `Int.max` when it overflows.
public func saturatingProduct(_ factors: [Int]) -> Int {
    var product = 1
    for f in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: f)
        if overflow { return Int.max }
        product = next
    }
    return product
}
