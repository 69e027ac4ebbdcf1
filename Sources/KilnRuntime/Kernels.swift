import KilnIR

/// Applies `op` to concrete operands and returns all its results: a fused kernel interprets its
/// body, every other op has one result (see `evaluate`).
public func evaluateResults(_ op: Op, _ operands: [HostTensor]) throws(KilnError) -> [HostTensor] {
    if case .fused(let body) = op { return try interpret(body, inputs: operands) }
    return [try evaluate(op, operands)]
}

/// Applies one op to concrete operands with the reference kernels: the interpreter, constant
/// folding and eager mode all evaluate ops through this one function.
///
/// Operands are checked by type inference first, so kernels can rely on valid shapes.
public func evaluate(_ op: Op, _ operands: [HostTensor]) throws(KilnError) -> HostTensor {
    let type = try inferResultTypes(op, operands.map(\.type))[0]
    let out = try HostTensor(zeros: type)
    switch op {
    case let .constant(literal, _): fillConstant(literal, out)
    case let .iota(axis, _): fillIota(axis: axis, out)
    case .unary(let u): unaryKernel(u, operands[0], out)
    case .binary(let b): binaryKernel(b, operands[0], operands[1], out)
    case .compare(let d): compareKernel(d, operands[0], operands[1], out)
    case .select: selectKernel(operands[0], operands[1], operands[2], out)
    case .convert: convertKernel(operands[0], out)
    case let .reduce(r, axes): reduceKernel(r, axes: axes, operands[0], out)
    case .argmax(let axis): argmaxKernel(axis: axis, operands[0], out)
    case .broadcastInDim(_, let dims): broadcastKernel(dims: dims, operands[0], out)
    case .reshape: out.data.copyMemory(from: operands[0].data, byteCount: type.byteCount)
    case .transpose(let perm): transposeKernel(perm: perm, operands[0], out)
    case let .slice(start, _, stride): sliceKernel(start: start, stride: stride, operands[0], out)
    case .concatenate(let axis): concatenateKernel(axis: axis, operands, out)
    case let .pad(low, _, value): padKernel(low: low, value: value, operands[0], out)
    case .reverse(let axes): reverseKernel(axes: axes, operands[0], out)
    case let .matmul(ta, tb): matmulKernel(transposeA: ta, transposeB: tb, operands[0], operands[1], out)
    case .conv2d(let a): conv2dKernel(a, operands[0], operands[1], out)
    case .conv2dTranspose(let a, _): conv2dTransposeKernel(a, operands[0], operands[1], out)
    case .conv2dFilterGrad(let a, _): conv2dFilterGradKernel(a, operands[0], operands[1], out)
    case .maxPool2d(let p): maxPool2dKernel(p, operands[0], out)
    case .avgPool2d(let p): avgPool2dKernel(p, operands[0], out)
    case .maxPool2dGrad(let p): maxPool2dGradKernel(p, operands[0], operands[1], out)
    case .avgPool2dGrad(let p): avgPool2dGradKernel(p, operands[1], out)
    case .gather(let axis): gatherKernel(axis: axis, operands[0], operands[1], out)
    case .scatterAdd(let axis): scatterAddKernel(axis: axis, operands[0], operands[1], operands[2], out)
    case .oneHot: oneHotKernel(operands[0], out)
    case .rngUniform(let seed, _): rngUniformKernel(seed: seed, key: operands.first, out)
    case .rngNormal(let seed, _): rngNormalKernel(seed: seed, key: operands.first, out)
    case .allReduce(let r): try allReduceKernel(r, operands[0], out)
    case .fused: throw KilnError("'fused' has several results; evaluate it with evaluateResults")
    }
    return out
}
