import KilnIR

/// A learning rate as a function of the (1-based) step, computed with tensor ops so that a compiled
/// training loop evaluates it in-graph.
public enum Schedule: Sendable {
    case constant(Double)
    /// From `initial` down to `final` linearly over `steps`, then `final`.
    case linear(initial: Double, final: Double, steps: Int)
    /// `initial * rate^(step / decaySteps)`.
    case exponential(initial: Double, rate: Double, decaySteps: Int)
    /// `initial * factor^floor(step / every)`.
    case step(initial: Double, factor: Double, every: Int)
    /// Cosine from `initial` to `final` over `steps`, then `final`.
    case cosine(initial: Double, final: Double, steps: Int)

    /// The rate at `step` (an f32 scalar tensor, eager or traced).
    public func rate(at step: Tensor) throws(KilnError) -> Tensor {
        switch self {
        case .constant(let lr):
            return try step.scalar(lr)
        case let .linear(initial, final, steps):
            let progress = try (step / Double(Swift.max(steps, 1))).minimum(1)
            return try progress * (final - initial) + initial
        case let .exponential(initial, rate, decaySteps):
            return try step.scalar(rate).pow(step / Double(Swift.max(decaySteps, 1))) * initial
        case let .step(initial, factor, every):
            return try step.scalar(factor).pow(floor(step / Double(Swift.max(every, 1)))) * initial
        case let .cosine(initial, final, steps):
            let progress = try (step / Double(Swift.max(steps, 1))).minimum(1)
            return try (cos(progress * Double.pi) + 1) * (0.5 * (initial - final)) + final
        }
    }

    /// Throws, naming `optimizer` and the argument, unless every rate is positive (a `final` may
    /// be 0) and every step count positive.
    public func checkArguments(optimizer: String) throws(KilnError) {
        let owner = "\(optimizer)'s schedule"
        func positive(_ name: String, _ value: Double) throws(KilnError) {
            try requireRange(owner, name, value, value > 0, "positive")
        }
        func steps(_ name: String, _ value: Int) throws(KilnError) {
            try requireRange(owner, name, Double(value), value > 0, "positive")
        }
        switch self {
        case .constant(let lr): try positive("learning rate", lr)
        case let .linear(initial, final, count), let .cosine(initial, final, count):
            try positive("initial", initial)
            try requireRange(owner, "final", final, final >= 0, "0 or more")
            try steps("steps", count)
        case let .exponential(initial, rate, decaySteps):
            try positive("initial", initial)
            try positive("rate", rate)
            try steps("decaySteps", decaySteps)
        case let .step(initial, factor, every):
            try positive("initial", initial)
            try positive("factor", factor)
            try steps("every", every)
        }
    }

    /// The rate at `step`, as a number.
    public func rate(at step: Int) throws(KilnError) -> Double {
        try rate(at: Tensor(scalar: Double(step))).item()
    }
}
