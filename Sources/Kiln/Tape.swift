import KilnIR
import KilnRuntime

/// How an eager tensor was computed, when gradients may flow through it: a parameter (a leaf) or an
/// op applied to tensors. Eager `backward()` walks these nodes in reverse.
final class TapeNode {
    enum Kind {
        case parameter(Parameter)
        case op(Op, operands: [Tensor], result: HostTensor)
    }
    let kind: Kind
    /// Whether `backward()` computes a gradient here: the node depends on a trained parameter
    /// (trainable and not frozen when the node was made).
    let needsGradient: Bool

    init(parameter: Parameter) {
        kind = .parameter(parameter)
        needsGradient = parameter.trainable && !parameter.frozen
    }
    init(op: Op, operands: [Tensor], result: HostTensor) {
        kind = .op(op, operands: operands, result: result)
        needsGradient = operands.contains { $0.node?.needsGradient == true }
    }

    var parameter: Parameter? {
        if case .parameter(let p) = kind { return p }
        return nil
    }
}

extension Tensor {
    var node: TapeNode? {
        if case .eager(_, let n) = storage { return n }
        return nil
    }
}
