import KilnIR
import KilnRuntime

/// An update rule for parameters, written with tensor ops so the same code runs eagerly and is
/// traced into the compiled training step.
public protocol Optimizer: AnyObject {
    var schedule: Schedule { get }
    /// L2 weight decay added to the gradient (`grad + decay * p`); AdamW decays the weights instead.
    var weightDecay: Double { get }
    /// When set, gradients are scaled together so that their global L2 norm is at most this.
    var clipNorm: Double? { get }
    /// How many state tensors (shaped like the parameter, starting at zero) it keeps per parameter.
    var stateCount: Int { get }
    /// The new parameter and state, given the gradient, the learning rate and the 1-based step.
    func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor])
    /// Throws naming the first argument out of its range; `Trainer` calls it before training.
    /// The default checks the schedule, `weightDecay` and `clipNorm`.
    func checkArguments() throws(KilnError)
}

extension Optimizer {
    public func checkArguments() throws(KilnError) { try checkCommonArguments() }

    /// The checks every optimizer shares: the schedule's rates positive, `weightDecay >= 0`,
    /// `clipNorm > 0`.
    public func checkCommonArguments() throws(KilnError) {
        let name = String(describing: type(of: self))
        try schedule.checkArguments(optimizer: name)
        try requireRange(name, "weightDecay", weightDecay, weightDecay >= 0, "0 or more")
        if let clipNorm { try requireRange(name, "clipNorm", clipNorm, clipNorm > 0, "positive") }
    }
}

/// Throws "`owner`: `argument` must be `expected`, got v" unless `ok` (and `value` is finite).
func requireRange(_ owner: String, _ argument: String, _ value: Double, _ ok: Bool, _ expected: String) throws(KilnError) {
    guard ok, value.isFinite else { throw KilnError("\(owner): \(argument) must be \(expected), got \(value)") }
}

/// Throws unless `value` lies in [0, 1), naming `argument` of `owner`.
func requireFraction(_ owner: String, _ argument: String, _ value: Double) throws(KilnError) {
    try requireRange(owner, argument, value, (0..<1).contains(value), "in [0, 1)")
}

/// Plain stochastic gradient descent: `p -= lr * g`.
public final class SGD: Optimizer {
    public let schedule: Schedule, weightDecay: Double, clipNorm: Double?
    public init(_ schedule: Schedule, weightDecay: Double = 0, clipNorm: Double? = nil) {
        (self.schedule, self.weightDecay, self.clipNorm) = (schedule, weightDecay, clipNorm)
    }
    public convenience init(lr: Double) { self.init(.constant(lr)) }
    public var stateCount: Int { 0 }
    public func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor]) {
        (try p - lr * grad, [])
    }
}

/// SGD with momentum (`v = mu v + g`), optionally Nesterov (`p -= lr (g + mu v)`).
public final class Momentum: Optimizer {
    public let schedule: Schedule, weightDecay: Double, clipNorm: Double?
    public let momentum: Double, nesterov: Bool
    public init(_ schedule: Schedule, momentum: Double = 0.9, nesterov: Bool = false, weightDecay: Double = 0,
                clipNorm: Double? = nil) {
        (self.schedule, self.momentum, self.nesterov) = (schedule, momentum, nesterov)
        (self.weightDecay, self.clipNorm) = (weightDecay, clipNorm)
    }
    public var stateCount: Int { 1 }
    public func checkArguments() throws(KilnError) {
        try checkCommonArguments()
        try requireFraction("Momentum", "momentum", momentum)
    }
    public func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor]) {
        let v = try state[0] * momentum + grad
        let direction = nesterov ? try grad + v * momentum : v
        return (try p - lr * direction, [v])
    }
}

/// Adam (Kingma & Ba) with bias correction; `decoupled` makes it AdamW (weights decay by
/// `lr * weightDecay * p`, not through the gradient).
public final class Adam: Optimizer {
    public let schedule: Schedule, clipNorm: Double?
    public let beta1: Double, beta2: Double, epsilon: Double, decoupled: Bool
    let decay: Double
    public var weightDecay: Double { decoupled ? 0 : decay }

    public init(_ schedule: Schedule, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decoupled: Bool = false, clipNorm: Double? = nil) {
        (self.schedule, self.beta1, self.beta2, self.epsilon) = (schedule, beta1, beta2, epsilon)
        (self.decay, self.decoupled, self.clipNorm) = (weightDecay, decoupled, clipNorm)
    }
    public convenience init(lr: Double) { self.init(.constant(lr)) }
    public var stateCount: Int { 2 }
    public func checkArguments() throws(KilnError) {
        try checkCommonArguments()
        try requireFraction("Adam", "beta1", beta1)
        try requireFraction("Adam", "beta2", beta2)
        try requireRange("Adam", "epsilon", epsilon, epsilon > 0, "positive")
        try requireRange("Adam", "weightDecay", decay, decay >= 0, "0 or more")
    }

    public func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor]) {
        let m = try state[0] * beta1 + grad * (1 - beta1)
        let v = try state[1] * beta2 + grad * grad * (1 - beta2)
        let mHat = try m / (1 - step.scalar(beta1).pow(step))
        let vHat = try v / (1 - step.scalar(beta2).pow(step))
        var next = try p - lr * mHat / (sqrt(vHat) + epsilon)
        if decoupled && decay != 0 { next = try next - lr * p * decay }
        return (next, [m, v])
    }
}

/// AdamW: Adam with decoupled weight decay.
public func AdamW(_ schedule: Schedule, weightDecay: Double = 0.01, clipNorm: Double? = nil) -> Adam {
    Adam(schedule, weightDecay: weightDecay, decoupled: true, clipNorm: clipNorm)
}

/// RMSprop: `s = rho s + (1-rho) g^2; p -= lr g / (sqrt(s) + eps)`.
public final class RMSprop: Optimizer {
    public let schedule: Schedule, weightDecay: Double, clipNorm: Double?
    public let rho: Double, epsilon: Double
    public init(_ schedule: Schedule, rho: Double = 0.9, epsilon: Double = 1e-8, weightDecay: Double = 0, clipNorm: Double? = nil) {
        (self.schedule, self.rho, self.epsilon, self.weightDecay, self.clipNorm) = (schedule, rho, epsilon, weightDecay, clipNorm)
    }
    public var stateCount: Int { 1 }
    public func checkArguments() throws(KilnError) {
        try checkCommonArguments()
        try requireFraction("RMSprop", "rho", rho)
        try requireRange("RMSprop", "epsilon", epsilon, epsilon > 0, "positive")
    }
    public func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor]) {
        let s = try state[0] * rho + grad * grad * (1 - rho)
        return (try p - lr * grad / (sqrt(s) + epsilon), [s])
    }
}

/// AdaGrad: `s += g^2; p -= lr g / (sqrt(s) + eps)`.
public final class AdaGrad: Optimizer {
    public let schedule: Schedule, weightDecay: Double, clipNorm: Double?
    public let epsilon: Double
    public init(_ schedule: Schedule, epsilon: Double = 1e-10, weightDecay: Double = 0, clipNorm: Double? = nil) {
        (self.schedule, self.epsilon, self.weightDecay, self.clipNorm) = (schedule, epsilon, weightDecay, clipNorm)
    }
    public var stateCount: Int { 1 }
    public func checkArguments() throws(KilnError) {
        try checkCommonArguments()
        try requireRange("AdaGrad", "epsilon", epsilon, epsilon > 0, "positive")
    }
    public func update(_ p: Tensor, grad: Tensor, state: [Tensor], lr: Tensor, step: Tensor) throws -> (Tensor, [Tensor]) {
        let s = try state[0] + grad * grad
        return (try p - lr * grad / (sqrt(s) + epsilon), [s])
    }
}

extension Optimizer {
    /// Applies weight decay and global-norm clipping, then `update` to every parameter: the one
    /// definition of a training update, used eagerly and when tracing the compiled step.
    func applyUpdates(parameters: [Tensor], grads: [Tensor], states: [[Tensor]], step: Tensor) throws -> (parameters: [Tensor], states: [[Tensor]]) {
        var g = grads
        if weightDecay != 0 {
            for i in g.indices { g[i] = try g[i] + parameters[i] * weightDecay }
        }
        if let clipNorm, let first = g.first {
            var total = try (first * first).sum()
            for t in g.dropFirst() { total = try total + (t * t).sum() }
            let factor = try (sqrt(total) + 1e-6).pow(-1).minimum(1 / clipNorm) * clipNorm
            for i in g.indices { g[i] = try g[i] * factor }
        }
        let lr = try schedule.rate(at: step)
        var newParameters: [Tensor] = [], newStates: [[Tensor]] = []
        for i in parameters.indices {
            let (p, s) = try update(parameters[i], grad: g[i], state: states[i], lr: lr, step: step)
            newParameters.append(p)
            newStates.append(s)
        }
        return (newParameters, newStates)
    }
}
