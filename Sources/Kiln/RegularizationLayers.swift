import KilnIR
import KilnRuntime

/// Zeroes each element with probability `rate` in training and scales the rest by `1/(1-rate)`;
/// the identity in evaluation. Draws its masks with `randomUniform` (seeded per layer): fresh
/// every step and every call.
public final class Dropout: Module, TrainingModeSwitchable {
    public let rate: Double
    public var training = true
    let seed: UInt64

    public init(rate: Double, seed: UInt64? = nil) throws(KilnError) {
        guard (0..<1).contains(rate) else {
            throw KilnError("Dropout: rate must be in [0, 1) (the fraction of elements zeroed), got \(rate)")
        }
        self.rate = rate
        self.seed = layerSeed(seed)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard training, rate > 0 else { return x }
        let u = try randomUniform(x.shape, like: x, seed: seed)
        return try (u .< x.scalar(1 - rate)).select(x / (1 - rate), x.scalar(0))
    }
}

/// Batch normalization over the channel axis (axis 1, any rank >= 2): normalizes with the batch's
/// statistics in training and updates the running averages (eagerly at once; when traced, as
/// extra results of the training step), with the running averages in evaluation.
public final class BatchNorm: Module, TrainingModeSwitchable {
    public let scale: Parameter
    public let shift: Parameter
    /// Running averages of the batch mean and (biased) variance: buffers, not trained.
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public let momentum: Double
    public let epsilon: Double
    public var training = true

    public init(_ channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5) throws(KilnError) {
        try requirePositive("BatchNorm", ["channels": channels])
        guard (0...1).contains(momentum), epsilon > 0 else {
            throw KilnError("BatchNorm: momentum must be in [0, 1] and epsilon positive, got momentum = \(momentum), epsilon = \(epsilon)")
        }
        let t = TensorType(.f32, [channels])
        scale = Parameter(try Initializer.ones.make(t, fanIn: 1, fanOut: 1, seed: 0), name: "scale")
        shift = Parameter(try HostTensor(zeros: t), name: "shift")
        runningMean = Parameter(try HostTensor(zeros: t), name: "running_mean", trainable: false)
        runningVariance = Parameter(try Initializer.ones.make(t, fanIn: 1, fanOut: 1, seed: 0), name: "running_variance",
                                    trainable: false)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let channels = scale.type.shape[0]
        try requireInput(x, of: "BatchNorm(\(channels))", dtype: scale.type.dtype, x.rank >= 2 && x.shape[1] == channels,
                         "it needs [batch, \(channels) channels, ...]")
        let axes = [0] + Array(2..<x.rank)
        let channelShape = x.shape.enumerated().map { $0.offset == 1 ? $0.element : 1 }
        let mean: Tensor, variance: Tensor
        if training {
            mean = try x.mean(axes: axes, keepingDims: true)
            let centered = try x - mean
            variance = try (centered * centered).mean(axes: axes, keepingDims: true)
            try updateRunningStatistics(mean.reshaped([-1]), variance.reshaped([-1]))
        } else {
            mean = try runningMean.tensor.reshaped(channelShape)
            variance = try runningVariance.tensor.reshaped(channelShape)
        }
        let normalized = try (x - mean) * rsqrt(variance + epsilon)
        return try normalized * scale.tensor.reshaped(channelShape) + shift.tensor.reshaped(channelShape)
    }

    private func updateRunningStatistics(_ mean: Tensor, _ variance: Tensor) throws {
        for (buffer, batch) in [(runningMean, mean), (runningVariance, variance)] {
            let next = try buffer.tensor * (1 - momentum) + batch.detached() * momentum
            if let trace = next.trace {
                try trace.update(buffer, to: next)
            } else {
                try copy(try next.host(), into: buffer.value)
            }
        }
    }
}

