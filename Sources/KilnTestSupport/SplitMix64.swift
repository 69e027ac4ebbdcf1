import KilnRuntime

/// The splitmix64 generator: a small, seedable `RandomNumberGenerator` whose sequence depends
/// only on its seed, so a failing random test is replayed from the seed it prints.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }
}

extension SplitMix64 {
    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    /// A uniform element of `items`, nil when it is empty.
    mutating func element<C: Collection>(_ items: C) -> C.Element? { items.randomElement(using: &self) }

    mutating func shuffled<C: Collection>(_ items: C) -> [C.Element] { items.shuffled(using: &self) }
}
