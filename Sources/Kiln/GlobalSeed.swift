import KilnRuntime
import Synchronization

/// The process-wide seed sequence layers draw from when no seed is given.
private let globalSeeds = Mutex(SeedSequence(0))

/// Resets the seed sequence layers draw their initial weights from (like `torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
    globalSeeds.withLock { $0 = SeedSequence(seed) }
}

/// `seed` when given, else the next seed of the process-wide sequence.
func layerSeed(_ seed: UInt64?) -> UInt64 {
    seed ?? globalSeeds.withLock { $0.next() }
}
