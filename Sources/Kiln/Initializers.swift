import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

/// How a weight is initialized; every scheme is seeded, so models are reproducible.
public enum Initializer: Sendable {
    case zeros
    case ones
    /// Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)).
    case xavierUniform
    /// Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)).
    case xavierNormal
    /// He/Kaiming uniform: U(-a, a), a = sqrt(6 / fanIn).
    case heUniform
    /// He/Kaiming normal: N(0, 2 / fanIn).
    case heNormal
    /// U(-bound, bound).
    case uniform(Double)
    /// N(0, std^2).
    case normal(Double)

    /// A tensor of `type` with fan-in/fan-out as given (for conv: channels x kernel area).
    public func make(_ type: TensorType, fanIn: Int, fanOut: Int, seed: UInt64) throws(KilnError) -> HostTensor {
        let t = try HostTensor(zeros: type)
        let n = type.count
        func uniform(_ bound: Double) {
            for i in 0..<n { t[i] = .float((2 * unitUniform(seed, i) - 1) * bound) }
        }
        func normal(_ std: Double) {
            for i in 0..<n { t[i] = .float(standardNormal(seed, i) * std) }
        }
        switch self {
        case .zeros: break
        case .ones: for i in 0..<n { t[i] = .float(1) }
        case .xavierUniform: uniform(Glibc.sqrt(6 / Double(Swift.max(fanIn + fanOut, 1))))
        case .xavierNormal: normal(Glibc.sqrt(2 / Double(Swift.max(fanIn + fanOut, 1))))
        case .heUniform: uniform(Glibc.sqrt(6 / Double(Swift.max(fanIn, 1))))
        case .heNormal: normal(Glibc.sqrt(2 / Double(Swift.max(fanIn, 1))))
        case .uniform(let bound): uniform(bound)
        case .normal(let std): normal(std)
        }
        return t
    }
}

/// Element `i` of a seeded uniform stream in [0, 1) (the IR's counter-based generator).
func unitUniform(_ seed: UInt64, _ i: Int) -> Double {
    rngUnit(rngStream(seed: Int64(bitPattern: seed), key: 0), i)
}

/// Element `i` of a seeded standard normal stream (the IR's `rng_normal` generator).
func standardNormal(_ seed: UInt64, _ i: Int) -> Double {
    rngNormal(rngStream(seed: Int64(bitPattern: seed), key: 0), i)
}

/// Hands out distinct seeds to the layers of a model built from one seed.
public struct SeedSequence: Sendable {
    private var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }
}
