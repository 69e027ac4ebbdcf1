import KilnIR

// Losses never broadcast their two operands: predictions [4,1] against targets [4] would compare
// every pair ([4,4]) and train to a wrong answer, so shapes must be equal.

/// Mean squared error over all elements; `predictions` and `targets` have one shape.
public func mse(_ predictions: Tensor, _ targets: Tensor) throws(KilnError) -> Tensor {
    try requireSameShape("mse", predictions, "predictions", targets, "targets")
    let d = try predictions - targets
    return try (d * d).mean()
}

/// Softmax cross-entropy of `logits: [batch, classes]` against integer `labels: [batch]` in
/// `0..<classes`, averaged over the batch. Stable for large logits (log-sum-exp with the max
/// subtracted). `labelSmoothing` ε in [0, 1) trains against `(1 - ε) one_hot + ε / classes`, as
/// PyTorch's `label_smoothing`. Eager labels are checked at once; traced ones by the `Trainer`,
/// once per data set.
public func crossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Double = 0) throws(KilnError) -> Tensor {
    guard logits.rank == 2, labels.rank == 1, labels.dtype.isInteger, labels.shape[0] == logits.shape[0] else {
        throw KilnError("crossEntropy needs logits [batch, classes] and integer labels [batch], got \(logits.type) and \(labels.type)")
    }
    guard (0..<1).contains(labelSmoothing) else {
        throw KilnError("crossEntropy: labelSmoothing must be in [0, 1), got \(labelSmoothing)")
    }
    let classes = logits.shape[1]
    if let trace = labels.trace {
        trace.requireLabels(labels, below: classes)
    } else {
        try checkLabels(try labels.host(), classes: classes, loss: "crossEntropy")
    }
    var targets = try labels.oneHot(depth: classes, dtype: logits.dtype)
    if labelSmoothing > 0 { targets = try targets * (1 - labelSmoothing) + labelSmoothing / Double(classes) }
    return try -(logSoftmax(logits, axis: 1) * targets).sum(axes: [1]).mean()
}

/// Cross-entropy of `logits` against soft `targets` (rows summing to 1, same shape), averaged over
/// the batch.
public func softCrossEntropy(logits: Tensor, targets: Tensor) throws(KilnError) -> Tensor {
    try requireSameShape("softCrossEntropy", logits, "logits", targets, "targets")
    let perRow = try (logSoftmax(logits, axis: -1) * targets).sum(axes: [-1])
    return try -perRow.mean()
}

/// `KL(targets ‖ softmax(logits))` over the last axis, averaged over the batch (the first axis):
/// `Σ t (log t - log_softmax(logits)) / batch`, with `0 log 0 = 0` — PyTorch's
/// `kl_div(log_softmax(logits), targets, reduction="batchmean")`.
public func klDivergence(logits: Tensor, targets: Tensor) throws(KilnError) -> Tensor {
    try requireSameShape("klDivergence", logits, "logits", targets, "targets")
    let tiny = logits.dtype == .f64 ? Double.leastNormalMagnitude : Double(Float.leastNormalMagnitude)
    let perElement = try targets * (log(targets.maximum(tiny)) - logSoftmax(logits, axis: -1))
    return try perElement.sum() / Double(logits.shape.first ?? 1)
}

/// Knowledge distillation (Hinton et al.): `T² · KL(softmax(teacher / T) ‖ softmax(student / T))`,
/// averaged over the batch. The teacher's logits are detached, so no gradient reaches the teacher.
public func distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, temperature: Double = 1) throws(KilnError) -> Tensor {
    guard temperature > 0, temperature.isFinite else {
        throw KilnError("distillationLoss: temperature must be positive, got \(temperature)")
    }
    try requireSameShape("distillationLoss", studentLogits, "studentLogits", teacherLogits, "teacherLogits")
    let teacher = try softmax(teacherLogits.detached() / temperature, axis: -1)
    return try klDivergence(logits: studentLogits / temperature, targets: teacher) * (temperature * temperature)
}

/// Binary cross-entropy of `logits` against `targets` in [0, 1] (same shape), averaged; computed as
/// `max(z, 0) - z t + log(1 + exp(-|z|))`, stable for any logit.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor) throws(KilnError) -> Tensor {
    try requireSameShape("binaryCrossEntropy", logits, "logits", targets, "targets")
    let perElement = try relu(logits) - logits * targets + log(exp(-abs(logits)) + 1)
    return try perElement.mean()
}

/// Throws, naming `loss`, both operands and the fix, unless `a` and `b` have the same shape.
private func requireSameShape(_ loss: String, _ a: Tensor, _ aName: String, _ b: Tensor, _ bName: String) throws(KilnError) {
    guard a.shape != b.shape else { return }
    var message = "\(loss): \(aName) \(a.type) and \(bName) \(b.type) have different shapes"
    if let both = broadcastShape(a.shape, b.shape) {
        message += "; they would only match by broadcasting to \(both), pairing every element with every other"
    }
    let count = { (s: [Int]) in s.reduce(1, *) }
    let fix = count(a.shape) == count(b.shape) ? "reshape one to the other's shape, e.g. \(aName).reshaped(\(b.shape))"
                                               : "give both the same shape"
    throw KilnError(message + "; \(fix)")
}
