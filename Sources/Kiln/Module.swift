import KilnIR
import KilnRuntime

/// A layer or model: a function of one tensor with trainable parameters.
///
/// A module implements `forward(_:)` and is called as `model(x)`. Parameters are discovered by
/// reflection over stored properties: `Parameter`s, nested modules, and arrays of either. No
/// hand-written parameter lists.
public protocol Module: AnyObject {
    /// The module's computation; call the module (`model(x)`) rather than this, so that errors
    /// and traced instructions name the caller's line.
    func forward(_ x: Tensor) throws -> Tensor
}

extension Module {
    /// Runs `forward(x)`. An error from inside names the line of user code that made the call:
    /// this one, or a line in a user module's `forward` nearer the failing op.
    public func callAsFunction(_ x: Tensor, file: StaticString = #fileID, line: UInt = #line,
                               column: UInt = #column) throws -> Tensor {
        try atCallSite(file, line, column) { try forward(x) }
    }

    /// Every parameter with its path, e.g. `layers.0.weight`, in declaration order.
    public var namedParameters: [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        var seen: Set<ObjectIdentifier> = []
        collectParameters(of: self, prefix: "", into: &out, seen: &seen)
        return out
    }

    public var parameters: [Parameter] { namedParameters.map(\.1) }

    /// Switches dropout and batch norm (and any `TrainingModeSwitchable` inside) between training
    /// and evaluation behaviour.
    public func setTraining(_ training: Bool) {
        visitModules(self) { ($0 as? TrainingModeSwitchable)?.training = training }
    }

    /// Clears the gradients eager `backward()` accumulated.
    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// The number of scalars of all parameters, buffers included, each shared one once
    /// (`ModelSummary.totalParameters`; `summary(input:)` also counts the trainable ones).
    public var parameterCount: Int { parameters.map(\.type.count).reduce(0, +) }
}

/// A module whose behaviour differs in training and evaluation (dropout, batch norm).
public protocol TrainingModeSwitchable: AnyObject {
    var training: Bool { get set }
}

private func collectParameters(of value: Any, prefix: String, into out: inout [(String, Parameter)],
                               seen: inout Set<ObjectIdentifier>) {
    for child in Mirror(reflecting: value).children {
        let name = prefix + (child.label ?? "_")
        collect(child.value, name: name, into: &out, seen: &seen)
    }
}

private func collect(_ value: Any, name: String, into out: inout [(String, Parameter)], seen: inout Set<ObjectIdentifier>) {
    switch value {
    case let p as Parameter:
        if seen.insert(ObjectIdentifier(p)).inserted { out.append((name, p)) }
    case let m as any Module:
        if seen.insert(ObjectIdentifier(m)).inserted { collectParameters(of: m, prefix: name + ".", into: &out, seen: &seen) }
    case let items as [Any]:
        for (i, item) in items.enumerated() { collect(item, name: "\(name).\(i)", into: &out, seen: &seen) }
    default:
        break
    }
}

private func visitModules(_ value: Any, _ body: (AnyObject) -> Void) {
    if let m = value as? any Module { body(m) }
    for child in Mirror(reflecting: value).children {
        switch child.value {
        case let m as any Module: visitModules(m, body)
        case let items as [Any]: for item in items { visitModules(item, body) }
        default: break
        }
    }
}

/// Modules applied in order. An error inside layer `i` is prefixed with its path, `layers.i: `.
public final class Sequential: Module {
    public let layers: [any Module]
    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    public func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            do { h = try layer(h) } catch { throw prefixed(error, path: "layers.\(i)") }
        }
        return h
    }
}

/// A parameter-free layer applying a function, e.g. `Activation(relu)`.
public final class Activation: Module {
    let body: (Tensor) throws -> Tensor
    public init(_ body: @escaping (Tensor) throws -> Tensor) { self.body = body }
    public func forward(_ x: Tensor) throws -> Tensor { try body(x) }
}

/// Flattens every axis after the first (the batch).
public final class Flatten: Module {
    public init() {}
    public func forward(_ x: Tensor) throws -> Tensor {
        try x.reshaped([x.shape.first ?? 1, -1])
    }
}
