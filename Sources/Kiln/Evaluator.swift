import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime

/// Loss and accuracy of a model over a data set, computed in evaluation mode (dropout off, batch
/// norm on its running statistics) by a traced, optimized and compiled function (or eagerly).
public struct Evaluation: Sendable {
    /// Mean loss per example.
    public var loss: Double
    /// Fraction of examples whose largest output is the label (classification only, else nil).
    public var accuracy: Double?
}

/// Evaluates and predicts with compiled code: one function per batch size, traced once.
public final class Evaluator {
    public let model: any Module
    public let mode: ExecutionMode
    let loss: LossFunction
    private var compiled: [Int: (function: Function, code: CompiledFunction?, parameters: [Parameter])] = [:]

    public init(model: any Module, loss: @escaping LossFunction, mode: ExecutionMode = .compiled) {
        (self.model, self.loss, self.mode) = (model, loss, mode)
    }

    /// Loss and accuracy over `(inputs, labels)` in batches of at most `batchSize` rows.
    public func evaluate(inputs: HostTensor, labels: HostTensor, batchSize: Int = 1000) throws -> Evaluation {
        let n = inputs.type.shape.first ?? 0
        guard n > 0, labels.type.shape.first == n else {
            throw KilnError("evaluate needs inputs and labels with the same, non-zero number of rows, got \(inputs.type) and \(labels.type)")
        }
        var lossSum = 0.0, correct = 0.0, classifies = true
        var start = 0
        while start < n {
            let size = min(batchSize, n - start)
            let rows = (Int64(start)..<Int64(start + size)).map { $0 }[...]
            let x = try HostTensor(zeros: inputs.type.with(shape: [size] + inputs.type.shape.dropFirst()))
            let y = try HostTensor(zeros: labels.type.with(shape: [size] + labels.type.shape.dropFirst()))
            try gatherRows(inputs, rows, into: x)
            try gatherRows(labels, rows, into: y)
            let results = try run(x, y)
            lossSum += results[0][0].asDouble * Double(size)
            if results.count > 1 { correct += results[1][0].asDouble } else { classifies = false }
            start += size
        }
        return Evaluation(loss: lossSum / Double(n), accuracy: classifies ? correct / Double(n) : nil)
    }

    /// (mean loss, number correct) of one batch.
    private func run(_ x: HostTensor, _ y: HostTensor) throws -> [HostTensor] {
        model.setTraining(false)
        defer { model.setTraining(true) }
        if mode == .eager {
            let output = try model(Tensor(x))
            var results = [try loss(output, Tensor(y)).reshaped([]).host()]
            if let correct = try correctCount(output, Tensor(y)) { results.append(try correct.host()) }
            return results
        }
        let size = x.type.shape[0]
        if compiled[size] == nil {
            let traced = try trace(name: "evaluate", inputs: [("x", x.type), ("y", y.type)]) { inputs in
                let output = try model(inputs[0])
                return [try loss(output, inputs[1]).reshaped([])] + (try correctCount(output, inputs[1]).map { [$0] } ?? [])
            }
            var f = traced.function
            _ = try PassPipeline.standard().run(on: &f)
            compiled[size] = (f, mode == .compiled ? try JITCompiler.shared.compile(f) : nil, traced.parameters)
        }
        guard let entry = compiled[size] else { throw KilnError("internal: no evaluation function") }
        let inputs = [x, y] + entry.parameters.map(\.value)
        return try entry.code?.run(inputs) ?? interpret(entry.function, inputs: inputs)
    }
}

/// How many rows of `output: [n, classes]` have their largest value at the integer label, or nil
/// when this is not classification.
private func correctCount(_ output: Tensor, _ labels: Tensor) throws -> Tensor? {
    guard output.rank == 2, labels.rank == 1, labels.dtype.isInteger else { return nil }
    let predicted = try output.argmax(axis: 1).converted(to: labels.dtype)
    return try (predicted .== labels).converted(to: .f32).sum()
}
