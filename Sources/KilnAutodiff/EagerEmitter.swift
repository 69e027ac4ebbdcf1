import KilnIR
import KilnRuntime

/// Runs gradient rules on concrete tensors with the reference kernels: eager autograd and the
/// gradient checks use the very rules the symbolic `grad` transform emits as IR.
public struct EagerEmitter: GradientEmitter {
    public init() {}
    public func type(of tensor: HostTensor) -> TensorType { tensor.type }
    public func emit(_ op: Op, _ operands: [HostTensor]) throws(KilnError) -> HostTensor { try evaluate(op, operands) }
}
