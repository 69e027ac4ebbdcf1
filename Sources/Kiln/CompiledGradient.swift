import KilnAutodiff
import KilnIR
import KilnRuntime

/// The gradient of a scalar function of some inputs with respect to its float inputs — saliency
/// maps, integrated gradients, adversarial examples — traced once, differentiated by `grad`,
/// optimized and compiled (or interpreted, or run eagerly on the tape). Models read inside `f`
/// use their parameters' current values at every call; call `model.setTraining(false)` first
/// for evaluation-mode behaviour (dropout off).
///
///     let saliency = try CompiledGradient(inputs: [x.type, labels.type]) { t in
///         try (model(t[0]) * t[1].oneHot(depth: 10, dtype: .f32)).sum()
///     }
///     let (score, gradients) = try saliency([x, labels])   // gradients[0]: d score / d x
public final class CompiledGradient {
    public let mode: ExecutionMode
    /// The traced function (`inputs..., [rng_key], parameters...` → the scalar) and its gradient
    /// function (→ the scalar, then one gradient per float input); nil in eager mode.
    public let function: Function?, gradientFunction: Function?
    private let inputTypes: [TensorType]
    private let body: ([Tensor]) throws -> Tensor
    private let compiled: CompiledTrace?
    /// Calls so far: the random key of the next one.
    private var calls = 0

    /// Traces `f` on inputs of `inputs` (unless `mode` is `.eager`) and differentiates it with
    /// respect to every float input; `f` must return a scalar float.
    public init(inputs: [TensorType], mode: ExecutionMode = .compiled, _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        (inputTypes, body, self.mode) = (inputs, f, mode)
        guard mode != .eager else { (function, gradientFunction, compiled) = (nil, nil, nil); return }
        let names = inputs.indices.map { "input\($0)" }
        let traced = try trace(name: "score", inputs: Array(zip(names, inputs))) { [try f($0).reshaped([])] }
        let wrt = zip(names, inputs).filter { $0.1.dtype.isFloat }.map(\.0)
        guard !wrt.isEmpty else { throw KilnError("CompiledGradient needs at least one f32 or f64 input to differentiate with respect to; got \(inputs)") }
        let g = try grad(traced.function, wrt: wrt)
        (function, gradientFunction) = (traced.function, g)
        compiled = try CompiledTrace(g, inputCount: inputs.count, parameters: traced.parameters, mode: mode)
    }

    /// `f(inputs)` and its gradient with respect to each input: nil for integer inputs.
    public func callAsFunction(_ inputs: [HostTensor]) throws -> (value: Double, gradients: [HostTensor?]) {
        guard inputs.map(\.type) == inputTypes else {
            throw KilnError("CompiledGradient was traced for inputs \(inputTypes), got \(inputs.map(\.type)); create one per input type")
        }
        calls += 1
        guard let compiled else { return try eager(inputs) }
        let results = try compiled.run(inputs, key: calls)
        var next = results.dropFirst().makeIterator()
        return (results[0][0].asDouble, inputTypes.map { $0.dtype.isFloat ? next.next() : nil })
    }

    /// The same on the tape: each float input becomes a `Parameter`, and `backward` fills its gradient.
    private func eager(_ inputs: [HostTensor]) throws -> (value: Double, gradients: [HostTensor?]) {
        let leaves = inputs.map { $0.type.dtype.isFloat ? Parameter($0, name: "input") : nil }
        let value = try body(zip(inputs, leaves).map { x, p in p?.tensor ?? Tensor(x) })
        try value.backward()
        var gradients: [HostTensor?] = []
        for (x, p) in zip(inputs, leaves) {
            gradients.append(try p.map { try $0.grad ?? HostTensor(zeros: x.type) })
        }
        return (try value.item(), gradients)
    }
}
