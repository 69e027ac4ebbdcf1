import KilnIR
import KilnRuntime
import Synchronization

// Random tensors in model code (a VAE's reparameterization noise, a GAN's latent batch). Each draw
// is the IR's counter-based generator (`rng_uniform`/`rng_normal`) keyed by the training step and
// seeded by `seed` and the number of draws with that seed made before it in the same step, so
// every step draws fresh values, two draws in one step differ, and a traced step (compiled or
// interpreted) draws the very numbers an eager step does.

/// A tensor of `shape` uniform in [`low`, `high`), of `like`'s dtype (a float) and in its trace
/// when it is traced.
public func randomUniform(_ shape: [Int], like x: Tensor, low: Double = 0, high: Double = 1,
                          seed: UInt64 = 0) throws(KilnError) -> Tensor {
    guard low < high, low.isFinite, high.isFinite else {
        throw KilnError("randomUniform needs finite low < high, got low = \(low), high = \(high)")
    }
    let u = try randomDraw(shape, like: x, seed: seed, "randomUniform") { .rngUniform(seed: $0, $1) }
    return low == 0 && high == 1 ? u : try u * (high - low) + low
}

/// A tensor of `shape` drawn from N(`mean`, `standardDeviation`²), of `like`'s dtype (a float).
public func randomNormal(_ shape: [Int], like x: Tensor, mean: Double = 0, standardDeviation: Double = 1,
                         seed: UInt64 = 0) throws(KilnError) -> Tensor {
    guard standardDeviation > 0, standardDeviation.isFinite, mean.isFinite else {
        throw KilnError("randomNormal needs a finite mean and a positive standardDeviation, got mean = \(mean), standardDeviation = \(standardDeviation)")
    }
    let z = try randomDraw(shape, like: x, seed: seed, "randomNormal") { .rngNormal(seed: $0, $1) }
    return mean == 0 && standardDeviation == 1 ? z : try z * standardDeviation + mean
}

/// A tensor of `shape` holding 1 with probability `probability` and 0 otherwise, of `like`'s
/// dtype (a float).
public func bernoulli(_ shape: [Int], probability: Double, like x: Tensor, seed: UInt64 = 0) throws(KilnError) -> Tensor {
    guard (0...1).contains(probability) else {
        throw KilnError("bernoulli needs a probability in [0, 1], got \(probability)")
    }
    let u = try randomDraw(shape, like: x, seed: seed, "bernoulli") { .rngUniform(seed: $0, $1) }
    return try (u .< probability).converted(to: x.dtype)
}

/// One `rng_*` op of `shape` and `x`'s dtype, keyed by the step (traced: the trace's `rng_key`
/// input; eager: the current eager random step) and seeded by the next draw of `seed` in this step.
private func randomDraw(_ shape: [Int], like x: Tensor, seed: UInt64, _ caller: String,
                        _ op: (Int64, TensorType) -> Op) throws(KilnError) -> Tensor {
    guard x.dtype.isFloat else {
        throw KilnError("\(caller) draws floats: pass a float tensor as like:, got \(x.type)")
    }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw KilnError("\(caller): shape \(shape) has a negative size") }
    let type = TensorType(x.dtype, shape)
    if let trace = x.trace {
        return try apply(op(trace.randomDraws.next(seed), type), [trace.drawKey()])
    }
    let (key, drawSeed) = EagerRandomStep.current.draws.withLock { ($0.key, $0.next(seed)) }
    return try apply(op(drawSeed, type), [try Tensor(TensorType(.i64, []), [Double(key)])])
}

/// The draws made in one step: how many per seed, giving each draw its own op seed.
struct RandomDraws {
    /// The step's key (eager draws; a trace keys by its `rng_key` input instead).
    var key: Int64 = 0
    private var counts: [UInt64: UInt64] = [:]

    init(key: Int64 = 0) { self.key = key }

    /// The op seed of the next draw with `seed`: `seed` itself first, then mixed with the draw's index.
    mutating func next(_ seed: UInt64) -> Int64 {
        let n = counts[seed, default: 0]
        counts[seed] = n + 1
        return Int64(bitPattern: n == 0 ? seed : mix64(seed ^ (n &* 0x9E37_79B9_7F4A_7C15)))
    }
}

/// The key and draws of eager random ops. An eager `Trainer` runs each update in a step of its own
/// (keyed by the 1-based step count, as the traced step's `rng_key`); outside one, every draw
/// continues one process-wide step, so each draws anew.
final class EagerRandomStep: Sendable {
    let draws: Mutex<RandomDraws>
    init(key: Int) { draws = Mutex(RandomDraws(key: Int64(key))) }

    @TaskLocal static var current = EagerRandomStep(key: 0)
}

/// Runs `body` with eager random draws keyed by `step`, counted from zero.
func withEagerRandomStep<T>(_ step: Int, _ body: () throws -> T) rethrows -> T {
    try EagerRandomStep.$current.withValue(EagerRandomStep(key: step), operation: body)
}
