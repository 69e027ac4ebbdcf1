import KilnIR

/// The seeds of a random test: `KILN_RANDOM_SEED` (default 0) plus `0..<n`, where `n` is read
/// from the environment variable `countVariable` (default `defaultCount`). A case that fails
/// with seed `s` is replayed alone with `KILN_RANDOM_SEED=s` and a count of 1.
public func randomSeeds(countVariable: String, defaultCount: Int) -> [UInt64] {
    let base = UInt64(truncatingIfNeeded: environmentInt("KILN_RANDOM_SEED", default: 0))
    return (0..<max(0, environmentInt(countVariable, default: defaultCount))).map { base &+ UInt64($0) }
}

/// The default configuration with numeric guards on for even seeds and empty tensors allowed
/// for multiples of 3.
public func variedConfiguration(seed: UInt64) -> GeneratorConfiguration {
    var configuration = GeneratorConfiguration()
    configuration.guardsNumerics = seed % 2 == 0
    configuration.allowsEmptyTensors = seed % 3 == 0
    return configuration
}

/// The random function of `seed` under `variedConfiguration(seed:)`.
public func variedRandomFunction(seed: UInt64) -> Function {
    var generator = RandomFunctionGenerator(seed: seed, configuration: variedConfiguration(seed: seed))
    return generator.makeFunction(name: "case\(seed)")
}
