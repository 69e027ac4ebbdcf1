import KilnIR
import KilnRuntime

/// Records DSL operations on traced tensors as the body of one IR function.
///
/// Eager tensors that meet a traced one are lifted into the trace: a `Parameter`'s tensor becomes a
/// function parameter (once per parameter), any other eager tensor a constant.
public final class Trace {
    let builder: FunctionBuilder
    /// Values of the taped eager tensors already replayed, by node (kept alive so ids stay unique).
    private var nodeValues: [ObjectIdentifier: Value] = [:]
    private var retainedNodes: [TapeNode] = []
    private var parameterValues: [ObjectIdentifier: Value] = [:]
    /// The parameters lifted so far, in the order of their function parameters.
    public private(set) var parameters: [Parameter] = []

    public init(name: String) { builder = FunctionBuilder(name: name) }

    /// The `i64[]` input keying random ops (dropout, `randomNormal`...), added the first time one
    /// needs it; a compiled training loop passes the step number. The finished function takes it
    /// after the inputs, before the lifted parameters.
    public private(set) lazy var randomKey: Tensor = {
        usesRandomKey = true
        return input("rng_key", TensorType(.i64, []))
    }()
    /// Whether `randomKey` was created.
    public private(set) var usesRandomKey = false
    /// The random draws recorded so far (`randomNormal` and the like).
    var randomDraws = RandomDraws()
    /// Integer values that must lie in `0..<classes` (labels of `crossEntropy`).
    var labelBounds: [(value: Value, classes: Int)] = []

    /// New values for non-trainable parameters (buffers) computed by the traced code, such as batch
    /// norm's running statistics: a training step returns them so that they are stored after it.
    public private(set) var bufferUpdates: [(Parameter, Tensor)] = []

    /// Records that buffer `p` takes `value` after the traced function runs.
    func update(_ p: Parameter, to value: Tensor) throws(KilnError) {
        guard !p.trainable, value.type == p.type else {
            throw KilnError("only a non-trainable parameter of the same type can be updated by traced code; \(p) got \(value.type)")
        }
        bufferUpdates.removeAll { $0.0 === p }
        bufferUpdates.append((p, value))
    }

    /// A new function parameter (an input of the traced function).
    public func input(_ name: String, _ type: TensorType) -> Tensor {
        Tensor(traced: builder.parameter(name, type), in: self)
    }

    /// The IR value for `t` in this trace.
    func value(of t: Tensor) throws(KilnError) -> Value {
        switch t.storage {
        case let .traced(v, trace):
            guard trace === self else { throw KilnError("a tensor of one trace is used in another; trace a model once per function") }
            return v
        case let .eager(host, node):
            guard let node else {
                let literal = Literal.dense((0..<host.count).map { host[$0] })
                return try builder.emit(.constant(host.count == 1 ? .splat(host[0]) : literal, host.type), [])
            }
            return try value(of: node)
        }
    }

    /// A taped eager value replayed into the trace: a parameter becomes a function parameter (once,
    /// unless rebound), an op computed eagerly from parameters is recorded again, so gradients
    /// reach the parameters.
    private func value(of node: TapeNode) throws(KilnError) -> Value {
        switch node.kind {
        case .parameter(let p):
            return parameterValue(p)
        case let .op(op, operands, _):
            if let v = nodeValues[ObjectIdentifier(node)] { return v }
            var values: [Value] = []
            for t in operands { values.append(try value(of: t)) }
            let v = try builder.emit(op, values)
            nodeValues[ObjectIdentifier(node)] = v
            retainedNodes.append(node)
            return v
        }
    }

    /// The value `p` reads as: its function parameter, lifted the first time, or what `rebind` set.
    private func parameterValue(_ p: Parameter) -> Value {
        if let existing = parameterValues[ObjectIdentifier(p)] { return existing }
        let v = builder.parameter(p.name, p.type)
        parameterValues[ObjectIdentifier(p)] = v
        parameters.append(p)
        return v
    }

    /// Makes later reads of the lifted parameter `p` give `value` (a custom step's updated parameter).
    func rebind(_ p: Parameter, to value: Value) { parameterValues[ObjectIdentifier(p)] = value }

    /// Maps `randomKey` to the key random draws use (a data-parallel rank's offset key); set
    /// before the first draw.
    var drawKeyMapping: ((Tensor) throws(KilnError) -> Tensor)?
    private var mappedDrawKey: Tensor?

    /// The key random draws read: `randomKey`, through `drawKeyMapping` when set.
    func drawKey() throws(KilnError) -> Tensor {
        if let mappedDrawKey { return mappedDrawKey }
        let key = try drawKeyMapping?(randomKey) ?? randomKey
        mappedDrawKey = key
        return key
    }

    /// The function returning `results`.
    public func finish(returning results: [Tensor]) throws(KilnError) -> Function {
        var values: [Value] = []
        for r in results { values.append(try value(of: r)) }
        var f = builder.finish(returning: values)
        let lifted = Set(parameterValues.values)
        if usesRandomKey, let key = try? value(of: randomKey), let first = f.params.firstIndex(where: lifted.contains),
           let at = f.params.firstIndex(of: key), at > first {
            f.params.remove(at: at)
            f.params.insert(key, at: first)
        }
        return f
    }
}

/// Traces `body` on inputs of `inputTypes` into a function named `name`. Returns the function and
/// the parameters it reads (its parameters after the inputs, in order). When `body` draws random
/// numbers the function also takes an `rng_key: i64[]` between the inputs and the parameters.
public func trace(name: String, inputs: [(String, TensorType)],
                  _ body: ([Tensor]) throws -> [Tensor]) throws -> (function: Function, parameters: [Parameter]) {
    let t = Trace(name: name)
    let tensors = inputs.map { t.input($0.0, $0.1) }
    let f = try t.finish(returning: try body(tensors))
    return (f, t.parameters)
}
