import KilnIR
import KilnRuntime

/// An IR function used as a layer: its first parameter is the input, the others are weights held
/// as `Parameter`s (so that a `Trainer` updates them and checkpoints save them), and the module's
/// output is one of its results. This is how a model imported from elsewhere (e.g. ONNX, see
/// docs/ecosystem.md) is fine-tuned:
///
/// ```swift
/// let imported = try ONNXImporter.importModel(path: "mlp.onnx")
/// let model = try FunctionModule(imported.function, weights: imported.weights, frozen: ["fc1.weight"])
/// let trainer = try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, ...)
/// ```
///
/// The body is replayed op by op, eagerly or into a trace, like any DSL code; `weights.K` in
/// `namedParameters` (and so in checkpoints) is the function's weight parameter K, named
/// `weightNames[K]`.
public final class FunctionModule: Module {
    public let function: Function
    /// One per parameter of `function` after the input, in order.
    public let weights: [Parameter]
    /// The parameter names of `weights`, as `function` names them.
    public let weightNames: [String]
    /// The result returned by `forward`.
    public let output: Int

    /// A module running `function` with `weights` (values by parameter name, for every parameter
    /// after the first); the weights named in `frozen` are not trained (they become buffers).
    public init(_ function: Function, weights values: [(String, HostTensor)], frozen: Set<String> = [],
                output: Int = 0) throws(KilnError) {
        guard let input = function.params.first else {
            throw KilnError("@\(function.name) has no parameter to take the module's input")
        }
        guard function.results.indices.contains(output) else {
            throw KilnError("@\(function.name) has \(function.results.count) results; output \(output) is out of range")
        }
        let byName = Dictionary(values, uniquingKeysWith: { first, _ in first })
        let names = function.params.dropFirst().map { function.name(of: $0) }
        for name in frozen where !names.contains(name) {
            throw KilnError("frozen weight '\(name)' is not a parameter of @\(function.name); its weights are \(names.joined(separator: ", "))")
        }
        var weights: [Parameter] = []
        for (name, type) in zip(names, function.paramTypes.dropFirst()) {
            guard let value = byName[name] else {
                throw KilnError("no value for weight %\(name) (\(type)) of @\(function.name); pass every parameter after %\(function.name(of: input))")
            }
            guard value.type == type else {
                throw KilnError("weight %\(name) of @\(function.name) is \(type) but its value is \(value.type)")
            }
            weights.append(Parameter(try value.copy(), name: name, trainable: !frozen.contains(name)))
        }
        (self.function, self.weights, self.weightNames, self.output) = (function, weights, names, output)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let inputType = function.type(of: function.params[0])
        guard x.type == inputType else {
            throw KilnError("@\(function.name) takes \(inputType) as %\(function.name(of: function.params[0])), got \(x.type)")
        }
        var values = [Tensor?](repeating: nil, count: function.values.count)
        values[function.params[0].id] = x
        for (p, w) in zip(function.params.dropFirst(), weights) { values[p.id] = w.tensor }
        for instruction in function.body {
            var operands: [Tensor] = []
            for v in instruction.operands {
                guard let t = values[v.id] else { throw KilnError.internal("@\(function.name) reads a value before defining it") }
                operands.append(t)
            }
            guard instruction.results.count == 1 else {
                throw KilnError("@\(function.name) holds a '\(instruction.op.name)' with several results; a FunctionModule replays single-result ops (use the function before fusion)")
            }
            values[instruction.results[0].id] = try apply(instruction.op, operands, context: x, at: instruction.location)
        }
        guard let result = values[function.results[output].id] else { throw KilnError.internal("@\(function.name) returns an undefined value") }
        return result
    }
}
