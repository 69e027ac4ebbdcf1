import KilnCodegen
import KilnPasses

extension Measure {
    /// The C functions the C backend writes (see `kernelCount(of:)`).
    static let kernels = Measure(name: "kernels") { kernelCount(of: $0) }
    /// The arena the compiled function needs (its memory plan's peak, kernels' scratch included);
    /// 0 for a function the backend cannot lower.
    static let arenaBytes = Measure(name: "arena bytes") { (try? emitC($0).plan.peakBytes) ?? 0 }
}
