/// The kinds of `Op`, without attributes: one case per case of `Op`, so the compiler lists every
/// kind (`allCases`) and every exhaustive switch over it is a checklist when an op is added.
///
/// Op families (what passes and lowerings ask: "is it elementwise?") derive from the kind here,
/// never from lists re-typed where they are used.
public enum OpKind: String, CaseIterable, Sendable, Hashable {
    case constant, iota, unary, binary, compare, select, convert, reduce, argmax
    case broadcastInDim, reshape, transpose, slice, concatenate, pad, reverse
    case matmul, conv2d, conv2dTranspose, conv2dFilterGrad
    case maxPool2d, avgPool2d, maxPool2dGrad, avgPool2dGrad
    case gather, scatterAdd, oneHot, rngUniform, rngNormal, fused
    case allReduce

    /// The op names of this kind in the textual IR (several for `unary`, `binary`, `reduce`).
    public var names: [String] {
        switch self {
        case .unary: return UnaryOp.allCases.map(\.rawValue)
        case .binary: return BinaryOp.allCases.map(\.rawValue)
        case .reduce: return ReduceOp.allCases.map { "reduce_" + $0.rawValue }
        case .constant, .iota, .compare, .select, .convert, .argmax, .reshape, .transpose, .slice,
             .concatenate, .pad, .reverse, .matmul, .conv2d, .gather, .fused:
            return [rawValue]
        case .broadcastInDim: return ["broadcast_in_dim"]
        case .conv2dTranspose: return ["conv2d_transpose"]
        case .conv2dFilterGrad: return ["conv2d_filter_grad"]
        case .maxPool2d: return ["max_pool2d"]
        case .avgPool2d: return ["avg_pool2d"]
        case .maxPool2dGrad: return ["max_pool2d_grad"]
        case .avgPool2dGrad: return ["avg_pool2d_grad"]
        case .scatterAdd: return ["scatter_add"]
        case .oneHot: return ["one_hot"]
        case .rngUniform: return ["rng_uniform"]
        case .rngNormal: return ["rng_normal"]
        case .allReduce: return ["all_reduce"]
        }
    }

    /// The family of the kind, as docs/ir.md's op table groups them.
    public var family: OpFamily {
        switch self {
        case .constant, .iota: return .creation
        case .unary, .binary, .compare, .select, .convert: return .elementwise
        case .reduce, .argmax: return .reduction
        case .broadcastInDim, .reshape, .transpose, .slice, .concatenate, .pad, .reverse: return .layout
        case .matmul: return .linearAlgebra
        case .conv2d, .conv2dTranspose, .conv2dFilterGrad: return .convolution
        case .maxPool2d, .avgPool2d, .maxPool2dGrad, .avgPool2dGrad: return .pooling
        case .gather, .scatterAdd, .oneHot: return .indexing
        case .rngUniform, .rngNormal: return .random
        case .fused: return .fused
        case .allReduce: return .collective
        }
    }

    /// The kind named `name` in the textual IR (`"add"` is `.binary`), if any.
    public init?(name: String) {
        guard let kind = Self.byName[name] else { return nil }
        self = kind
    }

    private static let byName: [String: OpKind] = Dictionary(
        uniqueKeysWithValues: allCases.flatMap { kind in kind.names.map { ($0, kind) } })
}

/// Groups of op kinds that passes and lowerings treat alike.
public enum OpFamily: String, CaseIterable, Sendable, Hashable {
    /// Tensors from nothing but attributes: `constant`, `iota`.
    case creation
    /// One result element from the operand elements at the same index: unary, binary,
    /// `compare`, `select`, `convert`.
    case elementwise
    /// `reduce_*` and `argmax`.
    case reduction
    /// Ops that only move or repeat elements.
    case layout
    case linearAlgebra
    case convolution
    case pooling
    /// `gather`, `scatter_add`, `one_hot`.
    case indexing
    /// Counter-based random numbers.
    case random
    /// A kernel with a body.
    case fused
    /// Ops that combine values across processes: `all_reduce`.
    case collective
}

extension Op {
    /// The op's kind: its case without attributes.
    public var kind: OpKind {
        switch self {
        case .constant: return .constant
        case .iota: return .iota
        case .unary: return .unary
        case .binary: return .binary
        case .compare: return .compare
        case .select: return .select
        case .convert: return .convert
        case .reduce: return .reduce
        case .argmax: return .argmax
        case .broadcastInDim: return .broadcastInDim
        case .reshape: return .reshape
        case .transpose: return .transpose
        case .slice: return .slice
        case .concatenate: return .concatenate
        case .pad: return .pad
        case .reverse: return .reverse
        case .matmul: return .matmul
        case .conv2d: return .conv2d
        case .conv2dTranspose: return .conv2dTranspose
        case .conv2dFilterGrad: return .conv2dFilterGrad
        case .maxPool2d: return .maxPool2d
        case .avgPool2d: return .avgPool2d
        case .maxPool2dGrad: return .maxPool2dGrad
        case .avgPool2dGrad: return .avgPool2dGrad
        case .gather: return .gather
        case .scatterAdd: return .scatterAdd
        case .oneHot: return .oneHot
        case .rngUniform: return .rngUniform
        case .rngNormal: return .rngNormal
        case .fused: return .fused
        case .allReduce: return .allReduce
        }
    }

    /// The op's family (see `OpFamily`).
    public var family: OpFamily { kind.family }

    /// Whether the op is a `reduce_*` (which fused row kernels reduce with).
    public var isReduction: Bool { kind == .reduce }
}
