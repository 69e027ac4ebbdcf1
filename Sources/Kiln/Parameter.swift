import KilnIR
import KilnRuntime

/// A tensor owned by a layer: a trainable weight (optimizers update `value`; eager `backward()`
/// accumulates into `grad`), or a non-trainable buffer such as batch norm's running statistics,
/// which the layer itself updates (and which checkpoints keep too).
public final class Parameter: @unchecked Sendable, CustomStringConvertible {
    /// A readable name, such as `weight`; `Module.namedParameters` gives the full path.
    public var name: String
    public var value: HostTensor
    /// The gradient accumulated by eager `backward()`, nil until then (see `zeroGrad`).
    public var grad: HostTensor?

    /// False for buffers: no gradient, no optimizer update.
    public let trainable: Bool
    /// A frozen trainable parameter is not trained: no gradient is computed for it (eagerly or in
    /// the traced step), no optimizer state is kept, and its value stays bit-identical. See
    /// `Module.freeze`.
    public var frozen = false

    public init(_ value: HostTensor, name: String = "param", trainable: Bool = true) {
        self.value = value
        self.name = name
        self.trainable = trainable
    }

    public var type: TensorType { value.type }

    /// The parameter as a DSL tensor: eager, with gradients flowing back to this parameter.
    public var tensor: Tensor { Tensor(eager: value, node: TapeNode(parameter: self)) }

    public var description: String { "Parameter \(name): \(value.type)" }
}
