import KilnIR
import KilnRuntime

// Test data shared by the kernel suites.

/// Deterministic pseudo-random test data drawn from a splitmix64 counter.
struct KernelTestRandom: RandomNumberGenerator {
    private var counter: UInt64

    init(seed: UInt64) { counter = seed &* 0x1_0000_0001 }

    mutating func next() -> UInt64 {
        counter &+= 1
        return mix64(counter)
    }

    /// Uniform in [-1, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-52 - 1 }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    /// A tensor of `type` with elements uniform in [-1, 1).
    mutating func tensor(_ type: TensorType) throws -> HostTensor {
        try HostTensor(type, doubles: (0..<type.count).map { _ in unit() })
    }
}

/// Largest absolute elementwise difference, where equal values (infinities included) and two NaNs
/// match; infinite when a NaN meets a number or the counts differ.
func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { worst, pair in
        if pair.0 == pair.1 || (pair.0.isNaN && pair.1.isNaN) { return worst }
        let d = abs(pair.0 - pair.1)
        return d.isNaN ? .infinity : max(worst, d)
    }
}

/// Sum of the elementwise products.
func innerProduct(_ a: HostTensor, _ b: HostTensor) -> Double {
    zip(a.doubles, b.doubles).reduce(0) { $0 + $1.0 * $1.1 }
}
