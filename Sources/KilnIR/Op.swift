/// Elementwise ops of one operand.
public enum UnaryOp: String, CaseIterable, Sendable, Hashable {
    case neg, abs, sign, exp, log, sqrt, rsqrt, tanh, sigmoid, relu, sin, cos, floor
    /// The identity whose gradient is zero: `grad` stops at it (a detached value, a frozen teacher).
    case stopGradient = "stop_gradient"

    /// Ops defined only on floats; the others accept every numeric dtype.
    public var isFloatOnly: Bool {
        switch self {
        case .neg, .abs, .sign, .relu, .stopGradient: return false
        case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .sin, .cos, .floor: return true
        }
    }
}

/// Elementwise ops of two operands of equal type.
public enum BinaryOp: String, CaseIterable, Sendable, Hashable {
    case add, sub, mul, div, pow, max, min
}

/// The `direction` of `compare`.
public enum CompareDirection: String, CaseIterable, Sendable, Hashable {
    case lt, le, gt, ge, eq, ne
}

/// Reductions over a list of axes (the reduced axes are dropped).
public enum ReduceOp: String, CaseIterable, Sendable, Hashable {
    case sum, max, min

    /// The binary op a reduction folds with.
    public var combiner: BinaryOp {
        switch self {
        case .sum: return .add
        case .max: return .max
        case .min: return .min
        }
    }
}

/// The `reduction` of `all_reduce`: the elementwise sum over the processes, or that sum divided
/// by the number of processes.
public enum AllReduceOp: String, CaseIterable, Sendable, Hashable {
    case sum, mean
}

/// `stride`, `padding` (symmetric) and `dilation` of a 2-D convolution, each `[rows, columns]`.
public struct ConvAttributes: Hashable, Sendable {
    public var stride: [Int]
    public var padding: [Int]
    public var dilation: [Int]

    public init(stride: [Int] = [1, 1], padding: [Int] = [0, 0], dilation: [Int] = [1, 1]) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }
}

/// `window`, `stride` and `padding` (symmetric) of a 2-D pooling, each `[rows, columns]`.
public struct PoolAttributes: Hashable, Sendable {
    public var window: [Int]
    public var stride: [Int]
    public var padding: [Int]

    public init(window: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0]) {
        self.window = window
        self.stride = stride ?? window
        self.padding = padding
    }
}

/// The closed set of Kiln operations. Every concern (type inference, printing, parsing, kernels,
/// gradients, C lowering) is one exhaustive `switch` over this enum.
///
/// Ops that create a tensor from nothing (`constant`, `iota`, `rng_*`) carry their result type.
public enum Op: Hashable, Sendable {
    case constant(Literal, TensorType)
    case iota(axis: Int, TensorType)
    case unary(UnaryOp)
    case binary(BinaryOp)
    case compare(CompareDirection)
    case select
    case convert(DType)
    case reduce(ReduceOp, axes: [Int])
    case argmax(axis: Int)
    case broadcastInDim(shape: [Int], dims: [Int])
    case reshape(shape: [Int])
    case transpose(perm: [Int])
    case slice(start: [Int], limit: [Int], stride: [Int])
    case concatenate(axis: Int)
    case pad(low: [Int], high: [Int], value: Scalar)
    case reverse(axes: [Int])
    case matmul(transposeA: Bool, transposeB: Bool)
    case conv2d(ConvAttributes)
    /// The adjoint of `conv2d` (its gradient with respect to the input); filter is `[Cin, Cout, KH, KW]`.
    case conv2dTranspose(ConvAttributes, outputPadding: [Int])
    /// The gradient of `conv2d` with respect to its filter: operands `(input, grad_output)`.
    case conv2dFilterGrad(ConvAttributes, window: [Int])
    case maxPool2d(PoolAttributes)
    case avgPool2d(PoolAttributes)
    /// The gradient of `max_pool2d`: operands `(input, grad_output)`, result shaped like input.
    case maxPool2dGrad(PoolAttributes)
    /// The gradient of `avg_pool2d`: operands `(input, grad_output)`, result shaped like input.
    case avgPool2dGrad(PoolAttributes)
    case gather(axis: Int)
    case scatterAdd(axis: Int)
    case oneHot(depth: Int, dtype: DType)
    case rngUniform(seed: Int64, TensorType)
    case rngNormal(seed: Int64, TensorType)
    /// The elementwise sum (or mean) of the operand over every process of the communicator the
    /// runtime has installed; the operand itself when there is none (one process).
    case allReduce(AllReduceOp)
    /// A fused kernel: `body` computes the results from the operands (its parameters) and returns
    /// them in order. Code generation writes it as one loop nest (see docs/ir.md).
    case fused(Function)

    /// The op's name in the textual IR.
    public var name: String {
        switch self {
        case .unary(let u): return u.rawValue
        case .binary(let b): return b.rawValue
        case .reduce(let r, _): return "reduce_" + r.rawValue
        default: return kind.names[0]  // every other kind has one name
        }
    }

    /// Every op name the IR knows, for error messages and tests.
    public static let allNames: [String] = OpKind.allCases.flatMap(\.names)
}

/// How deeply `fused` bodies may nest in a parsed file, so that no input can exhaust the stack of
/// the recursive parser, verifier and code generator.
public enum FusedNesting {
    public static let maxDepth = 64
}
