import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Writes `results` to `directory/out0.npy`, `directory/out1.npy`, ..., creating the directory.
func writeResults(_ results: [HostTensor], to directory: String) throws(KilnError) {
    try makeDirectories(directory)
    for (i, t) in results.enumerated() {
        try writeNPY(t, path: directory + "/out\(i).npy")
    }
}

/// `f32[2,3] min=-1.5 max=2 mean=0.25`: the type and the range and mean of the elements
/// (bools count as 0 and 1; a NaN makes every statistic NaN).
func summary(of t: HostTensor) -> String {
    let values = (0..<t.count).map { t[$0] }
    guard !values.isEmpty else { return "\(t.type) (no elements)" }
    let mean = values.reduce(0) { $0 + $1.asDouble } / Double(values.count)
    let low: String, high: String
    if t.type.dtype.isFloat {
        let xs = values.map(\.asDouble)
        let hasNaN = xs.contains { $0.isNaN }
        low = Scalar.float(hasNaN ? .nan : xs.min() ?? .nan).text(as: t.type.dtype)
        high = Scalar.float(hasNaN ? .nan : xs.max() ?? .nan).text(as: t.type.dtype)
    } else {
        let ints = values.map(\.asInt64)
        low = String(ints.min() ?? 0)
        high = String(ints.max() ?? 0)
    }
    let shownMean = Scalar.float(mean).text(as: t.type.dtype == .f32 ? .f32 : .f64)
    return "\(t.type) min=\(low) max=\(high) mean=\(shownMean)"
}
