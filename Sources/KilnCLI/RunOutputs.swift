import KilnFormats
import KilnIR
import KilnSupport
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
/// (bools count as 0 and 1; a NaN makes every statistic NaN), in one pass over the storage.
func summary(of t: HostTensor) -> String {
    guard t.count > 0 else { return "\(t.type) (no elements)" }
    let dtype = t.type.dtype
    func floats<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>) -> (String, String, Double) {
        let (low, high, sum, nan) = statistics(t.count, { p[$0] }, { Double($0) })
        func text(_ x: T) -> String { Scalar.float(nan ? .nan : Double(x)).text(as: dtype) }
        return (text(low), text(high), sum)
    }
    func integers(_ element: (Int) -> Int64) -> (String, String, Double) {
        let (low, high, sum, _) = statistics(t.count, element, Double.init)
        return (String(low), String(high), sum)
    }
    let (low, high, sum): (String, String, Double)
    switch dtype {
    case .f32: (low, high, sum) = floats(t.pointer(Float.self))
    case .f64: (low, high, sum) = floats(t.pointer(Double.self))
    case .i32: (low, high, sum) = integers { [p = t.pointer(Int32.self)] in Int64(p[$0]) }
    case .i64: (low, high, sum) = integers { [p = t.pointer(Int64.self)] in p[$0] }
    case .bool: (low, high, sum) = integers { [p = t.pointer(Bool.self)] in p[$0] ? 1 : 0 }
    }
    let shownMean = Scalar.float(sum / Double(t.count)).text(as: dtype == .f32 ? .f32 : .f64)
    return "\(t.type) min=\(low) max=\(high) mean=\(shownMean)"
}

/// The smallest and largest of `element(0..<n)` (n >= 1), the sum of their values in order, and
/// whether one is NaN (not equal to itself).
private func statistics<T: Comparable>(_ n: Int, _ element: (Int) -> T, _ value: (T) -> Double)
    -> (low: T, high: T, sum: Double, nan: Bool) {
    var (low, high, sum, nan) = (element(0), element(0), 0.0, false)
    for i in 0..<n {
        let x = element(i)
        if x < low { low = x }
        if x > high { high = x }
        if x != x { nan = true }
        sum += value(x)
    }
    return (low, high, sum, nan)
}
