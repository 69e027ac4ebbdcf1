import KilnIR

/// Groups of ops a `RandomFunctionGenerator` may draw (finer than `OpFamily`: comparisons and
/// conversions apart from arithmetic), so that a test of a backend or pass that
/// handles only some ops can leave the others out.
public enum OpGroup: String, CaseIterable, Sendable {
    /// `constant`, `iota`.
    case creation
    /// Unary and binary arithmetic.
    case elementwise
    /// `compare`, `select`.
    case comparison
    /// `convert`.
    case conversion
    /// `reduce_*`, `argmax`.
    case reduction
    /// `broadcast_in_dim`, `reshape`, `transpose`, `slice`, `concatenate`, `pad`, `reverse`.
    case layout
    case matmul
    /// `conv2d`, `conv2d_transpose`, `conv2d_filter_grad`.
    case convolution
    /// `max_pool2d`, `avg_pool2d` and their gradients.
    case pooling
    /// `gather`, `scatter_add`, `one_hot`.
    case indexing
    /// `rng_uniform`, `rng_normal`.
    case random
    /// `all_reduce` (the identity on one process).
    case collective
}

/// What a `RandomFunctionGenerator` produces.
///
/// Numerics. Without guards, these ops produce NaN or ±inf from finite inputs: `log` (x <= 0),
/// `sqrt` (x < 0), `rsqrt` (x <= 0), float `div` (by 0), float `pow` (negative base with a
/// fractional exponent, 0 to a negative power, overflow), `exp` (overflow), and float
/// `reduce_max`/`reduce_min`/`max_pool2d` over no elements (±inf). With `guardsNumerics` (the
/// default), `log`, `sqrt`, `rsqrt`, a `div` divisor and a `pow` base go through
/// `add(abs(x), 0.5)`, `exp`'s operand and a `pow` exponent through `tanh`, those reductions and
/// pools never cover an empty axis, and constants and `pad` values are finite and small (floats
/// in [-1, 2], integers in 0...4). Unguarded, constants also take NaN, ±inf, -0, subnormals and
/// the integer extremes, which exercises printing and parsing.
///
/// Even guarded, long chains of `mul`, `matmul`, convolutions and sums can grow values, integer
/// arithmetic wraps around, and discontinuous ops (`floor`, `sign`, `compare`, `argmax`,
/// `max_pool2d_grad`, float-to-int `convert`) can turn a rounding difference between two correct
/// implementations into a different result: differential tests compare with a tolerance and
/// should expect such rare flips.
public struct GeneratorConfiguration: Sendable {
    /// Ops are added until the function has a random number of instructions between 1 and this;
    /// the last op may bring a few more that build its operands (reshape, convert, guards...).
    public var maxInstructions = 12
    /// Largest rank of any value (convolutions and pools need 4).
    public var maxRank = 4
    /// Largest dimension of the random shapes (results of concatenate, pad, broadcast... may be larger).
    public var maxDimension = 5
    /// Largest element count of any value.
    public var maxElements = 2048
    /// Largest number of returned values, drawn from the values no instruction uses.
    public var maxResults = 3
    /// Dtypes every value of the function has.
    public var dtypes: [DType] = DType.allCases
    /// Families the ops are drawn from. Operands may still be built with `reshape`,
    /// `broadcast_in_dim` (when `layout` is allowed), `convert` (when `conversion` is) and
    /// `constant` splats (always, for the guards).
    public var families: [OpGroup] = OpGroup.allCases
    /// Keep values finite: see the type's documentation.
    public var guardsNumerics = true
    /// Let random shapes have dimensions of size 0.
    public var allowsEmptyTensors = false

    public init() {}
}
