import KilnIR

/// Mean squared error over all elements.
public func mse(_ predictions: Tensor, _ targets: Tensor) throws(KilnError) -> Tensor {
    let d = try predictions - targets
    return try (d * d).mean()
}

/// Softmax cross-entropy of `logits: [batch, classes]` against integer `labels: [batch]`, averaged
/// over the batch. Stable for large logits (log-sum-exp with the max subtracted).
public func crossEntropy(logits: Tensor, labels: Tensor) throws(KilnError) -> Tensor {
    guard logits.rank == 2, labels.rank == 1, labels.dtype.isInteger, labels.shape[0] == logits.shape[0] else {
        throw KilnError("crossEntropy needs logits [batch, classes] and integer labels [batch], got \(logits.type) and \(labels.type)")
    }
    let logProbabilities = try logSoftmax(logits, axis: 1)
    let picked = try (logProbabilities * labels.oneHot(depth: logits.shape[1], dtype: logits.dtype)).sum(axes: [1])
    return try -picked.mean()
}

/// Cross-entropy of `logits` against soft `targets` (rows summing to 1), averaged over the batch
/// (knowledge distillation uses it with a teacher's softened probabilities).
public func softCrossEntropy(logits: Tensor, targets: Tensor) throws(KilnError) -> Tensor {
    let perRow = try (logSoftmax(logits, axis: -1) * targets).sum(axes: [-1])
    return try -perRow.mean()
}

/// Binary cross-entropy of `logits` against `targets` in [0, 1], averaged; computed as
/// `max(z, 0) - z t + log(1 + exp(-|z|))`, stable for any logit.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor) throws(KilnError) -> Tensor {
    let perElement = try relu(logits) - logits * targets + log(exp(-abs(logits)) + 1)
    return try perElement.mean()
}
