import KilnIR
import KilnRuntime

/// `y = x W + b` with `W: [in, out]` (Xavier-uniform by default) and `b: [out]` (zeros).
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, initializer: Initializer = .xavierUniform,
                dtype: DType = .f32, seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("Linear", ["inputSize": inputSize, "outputSize": outputSize])
        weight = Parameter(try initializer.make(TensorType(dtype, [inputSize, outputSize]), fanIn: inputSize,
                                                fanOut: outputSize, seed: layerSeed(seed)), name: "weight")
        self.bias = bias ? Parameter(try HostTensor(zeros: TensorType(dtype, [outputSize])), name: "bias") : nil
    }

    /// Applies to the last axis of `x` (any rank >= 1).
    public func forward(_ x: Tensor) throws -> Tensor {
        let (inputSize, outputSize) = (weight.type.shape[0], weight.type.shape[1])
        try requireInput(x, of: "Linear(\(inputSize) -> \(outputSize))", dtype: weight.type.dtype, x.shape.last == inputSize,
                         "its last axis must be \(inputSize)")
        let rows = x.rank == 2 ? x : try x.reshaped([-1, x.shape.last ?? 1])
        var y = try rows.matmul(weight.tensor)
        if let bias { y = try y + bias.tensor }
        return x.rank == 2 ? y : try y.reshaped(Array(x.shape.dropLast()) + [weight.type.shape[1]])
    }
}

/// 2-D convolution over NCHW input with filters `[out, in, k, k]` (He-uniform) and a bias per channel.
public final class Conv2D: Module {
    public let filter: Parameter
    public let bias: Parameter?
    public let attributes: ConvAttributes

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, bias: Bool = true, initializer: Initializer = .heUniform,
                seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("Conv2D", ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": kernelSize,
                                       "stride": stride, "dilation": dilation], nonNegative: ["padding": padding])
        let fanIn = inChannels * kernelSize * kernelSize
        filter = Parameter(try initializer.make(TensorType(.f32, [outChannels, inChannels, kernelSize, kernelSize]),
                                                fanIn: fanIn, fanOut: outChannels * kernelSize * kernelSize,
                                                seed: layerSeed(seed)), name: "filter")
        self.bias = bias ? Parameter(try HostTensor(zeros: TensorType(.f32, [outChannels])), name: "bias") : nil
        attributes = ConvAttributes(stride: [stride, stride], padding: [padding, padding], dilation: [dilation, dilation])
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let s = filter.type.shape
        try requireInput(x, of: "Conv2D(\(s[1]) -> \(s[0]), kernel \(s[2]))", dtype: filter.type.dtype, x.rank == 4 && x.shape[1] == s[1],
                         "it needs [batch, \(s[1]) channels, height, width]")
        let y = try apply(.conv2d(attributes), [x, filter.tensor])
        guard let bias else { return y }
        return try y + bias.tensor.reshaped([1, -1, 1, 1])
    }
}

/// Transposed 2-D convolution (the adjoint of `Conv2D`), filters `[in, out, k, k]`; upsamples by `stride`.
public final class ConvTranspose2D: Module {
    public let filter: Parameter
    public let bias: Parameter?
    public let attributes: ConvAttributes
    public let outputPadding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, initializer: Initializer = .heUniform,
                seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("ConvTranspose2D", ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": kernelSize,
                                                "stride": stride],
                            nonNegative: ["padding": padding, "outputPadding": outputPadding])
        filter = Parameter(try initializer.make(TensorType(.f32, [inChannels, outChannels, kernelSize, kernelSize]),
                                                fanIn: inChannels * kernelSize * kernelSize,
                                                fanOut: outChannels * kernelSize * kernelSize, seed: layerSeed(seed)),
                           name: "filter")
        self.bias = bias ? Parameter(try HostTensor(zeros: TensorType(.f32, [outChannels])), name: "bias") : nil
        attributes = ConvAttributes(stride: [stride, stride], padding: [padding, padding])
        self.outputPadding = outputPadding
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let s = filter.type.shape
        try requireInput(x, of: "ConvTranspose2D(\(s[0]) -> \(s[1]), kernel \(s[2]))", dtype: filter.type.dtype,
                         x.rank == 4 && x.shape[1] == s[0], "it needs [batch, \(s[0]) channels, height, width]")
        let y = try apply(.conv2dTranspose(attributes, outputPadding: [outputPadding, outputPadding]), [x, filter.tensor])
        guard let bias else { return y }
        return try y + bias.tensor.reshaped([1, -1, 1, 1])
    }
}

/// Max pooling over `window x window` (stride defaults to the window).
public final class MaxPool2D: Module {
    public let attributes: PoolAttributes
    public init(_ window: Int, stride: Int? = nil, padding: Int = 0) throws(KilnError) {
        try requirePositive("MaxPool2D", ["window": window, "stride": stride ?? window], nonNegative: ["padding": padding])
        attributes = PoolAttributes(window: [window, window], stride: [stride ?? window, stride ?? window], padding: [padding, padding])
    }
    public func forward(_ x: Tensor) throws -> Tensor { try apply(.maxPool2d(attributes), [x]) }
}

/// Average pooling over `window x window` (stride defaults to the window).
public final class AvgPool2D: Module {
    public let attributes: PoolAttributes
    public init(_ window: Int, stride: Int? = nil, padding: Int = 0) throws(KilnError) {
        try requirePositive("AvgPool2D", ["window": window, "stride": stride ?? window], nonNegative: ["padding": padding])
        attributes = PoolAttributes(window: [window, window], stride: [stride ?? window, stride ?? window], padding: [padding, padding])
    }
    public func forward(_ x: Tensor) throws -> Tensor { try apply(.avgPool2d(attributes), [x]) }
}

/// A lookup table: integer ids `[...]` to vectors `[..., dim]`.
public final class Embedding: Module {
    public let table: Parameter

    public init(_ vocabulary: Int, _ dimension: Int, seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("Embedding", ["vocabulary": vocabulary, "dimension": dimension])
        table = Parameter(try Initializer.normal(1).make(TensorType(.f32, [vocabulary, dimension]), fanIn: vocabulary,
                                                         fanOut: dimension, seed: layerSeed(seed)), name: "table")
    }

    public func forward(_ ids: Tensor) throws -> Tensor {
        guard ids.dtype.isInteger else {
            throw KilnError("Embedding(\(table.type.shape[0]), \(table.type.shape[1])) got input \(ids.type): it looks up integer ids; convert them with .converted(to: .i32)")
        }
        return try table.tensor.gathering(ids, axis: 0)
    }
}

/// Layer normalization over the last axis, with learned scale and shift.
public final class LayerNorm: Module {
    public let scale: Parameter
    public let shift: Parameter
    public let epsilon: Double

    public init(_ size: Int, epsilon: Double = 1e-5) throws(KilnError) {
        try requirePositive("LayerNorm", ["size": size])
        scale = Parameter(try Initializer.ones.make(TensorType(.f32, [size]), fanIn: size, fanOut: size, seed: 0), name: "scale")
        shift = Parameter(try HostTensor(zeros: TensorType(.f32, [size])), name: "shift")
        self.epsilon = epsilon
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let size = scale.type.shape[0]
        try requireInput(x, of: "LayerNorm(\(size))", dtype: scale.type.dtype, x.shape.last == size, "its last axis must be \(size)")
        let mean = try x.mean(axes: [-1], keepingDims: true)
        let centered = try x - mean
        let variance = try (centered * centered).mean(axes: [-1], keepingDims: true)
        return try centered * rsqrt(variance + epsilon) * scale.tensor + shift.tensor
    }
}
