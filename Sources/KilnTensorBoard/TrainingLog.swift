import Kiln
import KilnIR
import KilnSupport

/// A training run's TensorBoard log: `Trainer.trainEpoch(_:epoch:every:log:observe:)` writes the
/// training loss (`train/loss`), the learning rate (`train/learning_rate`) and the training speed
/// (`train/steps_per_second`) at every step whose number is a multiple of `every`, and
/// `epochEnded` the test loss and accuracy (`test/loss`, `test/accuracy`) and syncs the file.
/// Steps are the trainer's global step count (1-based, going on across epochs and resumes).
public final class TrainingLog {
    public let writer: SummaryWriter
    /// Steps between two training-loss records.
    public let every: Int

    /// A log in a new event file in `directory` (created when missing), recording the training
    /// loss at the steps that are multiples of `every`.
    public init(directory: String, every: Int = 10) throws(KilnError) {
        guard every >= 1 else { throw KilnError("a training log records every N steps with N at least 1, got \(every)") }
        writer = try SummaryWriter(logDirectory: directory)
        self.every = every
    }

    /// Records the evaluation after an epoch, at the trainer's step `step`, and syncs the file.
    public func epochEnded(_ evaluation: Evaluation, step: Int) throws(KilnError) {
        var values = [(tag: "test/loss", value: evaluation.loss)]
        if let accuracy = evaluation.accuracy { values.append(("test/accuracy", accuracy)) }
        try writer.addScalars(values, step: step)
        try writer.flush()
    }
}

extension Trainer {
    /// `trainEpoch(_:epoch:every:observe:)` that also writes the training loss, learning rate and
    /// steps per second to `log` (when given) at the steps whose number is a multiple of
    /// `log.every`. The compiled loop returns to Swift only at those steps and `every`'s. A
    /// failed write stops the epoch and is thrown.
    @discardableResult
    public func trainEpoch(_ loader: DataLoader, epoch: Int, every: Int = 1, log: TrainingLog?,
                           observe: @escaping (Int, Double) -> Bool = { _, _ in false }) throws -> Int {
        guard let log else { return try trainEpoch(loader, epoch: epoch, every: every, observe: observe) }
        let every = max(every, 1), steps = loader.dataset.count / loader.batchSize, first = stepCount
        // Logged steps of this epoch: done = offset, offset + log.every, ... (offset 0 meaning log.every).
        let offset = (log.every - first % log.every) % log.every
        var last = (done: 0, time: monotonicSeconds())
        var failure: (any Error)?
        let callbackEvery = greatestCommonDivisor(every, greatestCommonDivisor(log.every, offset))
        let done = try trainEpoch(loader, epoch: epoch, every: callbackEvery) { done, loss in
            if (first + done) % log.every == 0 {
                do {
                    let now = monotonicSeconds()
                    try log.writer.addScalars([("train/loss", loss),
                                               ("train/learning_rate", try self.optimizer.schedule.rate(at: first + done)),
                                               ("train/steps_per_second", Double(done - last.done) / max(now - last.time, 1e-9))],
                                              step: first + done)
                    last = (done, now)
                } catch {
                    failure = error
                    return true
                }
            }
            return (done % every == 0 || done == steps) && observe(done, loss)
        }
        if let failure { throw failure }
        return done
    }
}

private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int { b == 0 ? a : greatestCommonDivisor(b, a % b) }
