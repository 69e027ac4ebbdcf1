import KilnIR
import KilnRuntime

/// A trainable tensor owned by a layer. Optimizers update `value` in place; eager `backward()`
/// accumulates into `grad`.
public final class Parameter: @unchecked Sendable, CustomStringConvertible {
    /// A readable name, such as `weight`; `Module.namedParameters` gives the full path.
    public var name: String
    public var value: HostTensor
    /// The gradient accumulated by eager `backward()`, nil until then (see `zeroGrad`).
    public var grad: HostTensor?

    public init(_ value: HostTensor, name: String = "param") {
        self.value = value
        self.name = name
    }

    public var type: TensorType { value.type }

    /// The parameter as a DSL tensor: eager, with gradients flowing back to this parameter.
    public var tensor: Tensor { Tensor(eager: value, node: TapeNode(parameter: self)) }

    public var description: String { "Parameter \(name): \(value.type)" }
}
