import KilnIR
import KilnRuntime

/// A tensor of the Kiln DSL: either *eager* (holds its values, computed at once by the reference
/// kernels) or *traced* (a value of a function being recorded as IR).
///
/// The same model code runs both ways: `compile` traces it once into IR, eager mode runs it op by
/// op. Every op throws a `KilnError` naming both shapes when they do not fit.
public struct Tensor: CustomStringConvertible, @unchecked Sendable {
    public let type: TensorType
    let storage: Storage

    enum Storage {
        /// Concrete values, and how they were computed when gradients may flow through them.
        case eager(HostTensor, TapeNode?)
        /// A value of the function `trace` is recording.
        case traced(Value, Trace)
    }

    init(eager value: HostTensor, node: TapeNode? = nil) {
        type = value.type
        storage = .eager(value, node)
    }

    init(traced value: Value, in trace: Trace) {
        type = trace.builder.type(of: value)
        storage = .traced(value, trace)
    }

    /// An eager tensor holding `host`'s values (not copied).
    public init(_ host: HostTensor) { self.init(eager: host) }

    /// An eager f32 tensor of `shape` with `values` in row-major order.
    public init(shape: [Int], _ values: [Float]) throws(KilnError) {
        self.init(eager: try HostTensor(shape, floats: values))
    }

    /// An eager tensor of `type` with `values` converted to its dtype.
    public init(_ type: TensorType, _ values: [Double]) throws(KilnError) {
        self.init(eager: try HostTensor(type, doubles: values))
    }

    /// An eager scalar of `dtype`.
    public init(scalar value: Double, dtype: DType = .f32) throws(KilnError) {
        try self.init(TensorType(dtype, []), [value])
    }

    public var shape: [Int] { type.shape }
    public var dtype: DType { type.dtype }
    public var rank: Int { type.rank }

    /// Whether this tensor is part of a trace (has no values yet).
    public var isTraced: Bool {
        if case .traced = storage { return true }
        return false
    }

    /// The trace recording this tensor, when it is traced.
    var trace: Trace? {
        if case .traced(_, let t) = storage { return t }
        return nil
    }

    /// The values of an eager tensor; a traced tensor has none and throws.
    public func host() throws(KilnError) -> HostTensor {
        switch storage {
        case .eager(let h, _): return h
        case .traced: throw KilnError("a traced \(type) has no values until the compiled function runs; read values in eager mode or from the compiled results")
        }
    }

    /// The elements as Doubles (eager tensors only).
    public func scalars() throws(KilnError) -> [Double] { try host().doubles }

    /// The single element of a scalar or one-element eager tensor.
    public func item() throws(KilnError) -> Double {
        let h = try host()
        guard h.count == 1 else { throw KilnError("item() needs a tensor of one element, got \(type)") }
        return h[0].asDouble
    }

    /// The same values, cut off from gradients: eagerly a tensor off the tape, traced a
    /// `stop_gradient`, so nothing flows back through it (a frozen teacher's outputs in a
    /// distillation loss, a GAN's fake batch in the discriminator's loss).
    public func detached(file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        switch storage {
        case .eager(let h, _): return Tensor(eager: h)
        case .traced: return try apply(.unary(.stopGradient), [self], at: callSite(file, line, column))
        }
    }

    public var description: String {
        switch storage {
        case .eager(let h, _): return h.description
        case .traced(let v, let t): return "%\(t.builder.name(of: v)): \(type) (traced)"
        }
    }
}
