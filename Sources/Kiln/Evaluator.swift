import KilnIR
import KilnRuntime

/// Loss and accuracy of a model over a data set, computed in evaluation mode (dropout off, batch
/// norm on its running statistics) by a traced, optimized and compiled function (or eagerly).
public struct Evaluation: Sendable {
    /// Mean loss per example.
    public var loss: Double
    /// Fraction of examples whose largest output is the label (classification only, else nil).
    public var accuracy: Double?
}

/// Evaluates and predicts with compiled code: one function per batch type, traced once.
public final class Evaluator {
    public let model: any Module
    public let mode: ExecutionMode
    let loss: LossFunction?
    /// When set, each rank evaluates every `size`-th batch and the sums are reduced over the ranks.
    public let dataParallel: DataParallel?
    private var compiled: [String: CompiledTrace] = [:]
    /// Runs so far: the random key of the next one (a model drawing random numbers draws anew each run).
    private var runs = 0

    /// An evaluator computing `loss` (and accuracy, for classifiers) in `evaluate`.
    public init(model: any Module, loss: @escaping LossFunction, mode: ExecutionMode = .compiled,
                dataParallel: DataParallel? = nil) {
        (self.model, self.loss, self.mode, self.dataParallel) = (model, loss, mode, dataParallel)
    }

    /// An evaluator that only predicts (`evaluate` needs a loss).
    public init(model: any Module, mode: ExecutionMode = .compiled) {
        (self.model, self.loss, self.mode, self.dataParallel) = (model, nil, mode, nil)
    }

    /// Loss and accuracy over every example of `loader` (use one without `dropLast`, and without
    /// shuffling, to see each example once).
    public func evaluate(_ loader: DataLoader) throws -> Evaluation {
        let order = loader.order(epoch: 0)
        var lossSum = 0.0, correct = 0.0, classifies = true, seen = 0
        for b in stride(from: dataParallel?.rank ?? 0, to: loader.batchCount, by: dataParallel?.size ?? 1) {
            let (x, y) = try loader.batch(b, of: order)
            let size = x.type.shape.first ?? 0
            let results = try run(x, y)
            lossSum += results[0][0].asDouble * Double(size)
            if results.count > 1 { correct += results[1][0].asDouble } else { classifies = false }
            seen += size
        }
        if let dataParallel {
            let sums = try dataParallel.sum([lossSum, correct, Double(seen), classifies ? 0 : 1])
            (lossSum, correct, seen, classifies) = (sums[0], sums[1], Int(sums[2]), sums[3] == 0)
        }
        guard seen > 0 else { throw KilnError("evaluate needs at least one example") }
        return Evaluation(loss: lossSum / Double(seen), accuracy: classifies ? correct / Double(seen) : nil)
    }

    /// The model's outputs for the batch `x`, in evaluation mode (compiled once per input type).
    public func predict(_ x: HostTensor) throws -> HostTensor {
        try run(key: "predict \(x.type)", inputs: [("x", x)]) { inputs in [try self.model(inputs[0])] }[0]
    }

    /// (mean loss, number correct) of one batch.
    private func run(_ x: HostTensor, _ y: HostTensor) throws -> [HostTensor] {
        guard let loss else {
            throw KilnError("this Evaluator was made without a loss, so it only predicts; create it with Evaluator(model:loss:) to evaluate")
        }
        return try run(key: "evaluate \(x.type) \(y.type)", inputs: [("x", x), ("y", y)]) { inputs in
            let output = try self.model(inputs[0])
            return [try loss(output, inputs[1]).reshaped([])] + (try correctCount(output, inputs[1]).map { [$0] } ?? [])
        }
    }

    /// `body` on `inputs` in evaluation mode: eagerly, or traced once per `key`, optimized and
    /// compiled (or interpreted), with the model's current parameter values.
    private func run(key: String, inputs: [(String, HostTensor)], _ body: ([Tensor]) throws -> [Tensor]) throws -> [HostTensor] {
        model.setTraining(false)
        defer { model.setTraining(true) }
        runs += 1
        if mode == .eager {
            var results: [HostTensor] = []
            for t in try body(inputs.map { Tensor($0.1) }) { results.append(try t.host()) }
            return results
        }
        if compiled[key] == nil {
            let traced = try trace(name: "evaluate", inputs: inputs.map { ($0.0, $0.1.type) }, body)
            compiled[key] = try CompiledTrace(traced.function, inputCount: inputs.count, parameters: traced.parameters, mode: mode)
        }
        guard let entry = compiled[key] else { throw KilnError.internal("no evaluation function") }
        return try entry.run(inputs.map(\.1), key: runs)
    }
}

/// How many rows of `output: [n, classes]` have their largest value at the integer label, or nil
/// when this is not classification.
private func correctCount(_ output: Tensor, _ labels: Tensor) throws -> Tensor? {
    guard output.rank == 2, labels.rank == 1, labels.dtype.isInteger else { return nil }
    let predicted = try output.argmax(axis: 1).converted(to: labels.dtype)
    return try (predicted .== labels).converted(to: .f32).sum()
}
