import KilnIR

/// For each operand of `op`, whether a gradient flows to it through the op.
///
/// Only float operands of ops with a float result can carry gradients. Beyond that, ops that make
/// values from nothing or from integers (`constant`, `iota`, `rng_*`, `one_hot`, `argmax`,
/// `compare`), piecewise-constant ops (`sign`, `floor`), `stop_gradient`, the condition of `select`, the indices of
/// `gather`/`scatter_add` and the `input` operand of the pooling gradients (it only steers where
/// the gradient goes) have none.
public func differentiableOperands(of op: Op, operandTypes: [TensorType], resultType: TensorType) -> [Bool] {
    let positions: (Int) -> Bool
    switch op {
    case .constant, .iota, .compare, .argmax, .oneHot, .rngUniform, .rngNormal, .unary(.sign), .unary(.floor),
         .unary(.stopGradient):
        positions = { _ in false }
    case .select, .maxPool2dGrad, .avgPool2dGrad:
        positions = { $0 != 0 }
    case .gather, .scatterAdd:
        positions = { $0 != 1 }
    case .unary, .binary, .convert, .reduce, .broadcastInDim, .reshape, .transpose, .slice, .concatenate,
         .pad, .reverse, .matmul, .conv2d, .conv2dTranspose, .conv2dFilterGrad, .maxPool2d, .avgPool2d, .fused, .allReduce:
        positions = { _ in true }
    }
    return operandTypes.indices.map { resultType.dtype.isFloat && operandTypes[$0].dtype.isFloat && positions($0) }
}
