import KilnIR
import KilnRuntime

/// Random arguments for `f`, one per parameter, determined by `seed`: floats uniform in [-1, 1),
/// integers uniform in `0..<6` (mostly valid indices for the generator's small dimensions, some
/// out of range), bools fair coins.
public func randomInputs(for f: Function, seed: UInt64) throws(KilnError) -> [HostTensor] {
    var rng = SplitMix64(seed: seed)
    var inputs: [HostTensor] = []
    for t in f.paramTypes { inputs.append(try randomTensor(t, using: &rng)) }
    return inputs
}

/// A tensor of type `t` filled as `randomInputs` describes.
public func randomTensor(_ t: TensorType, using rng: inout SplitMix64) throws(KilnError) -> HostTensor {
    let tensor = try HostTensor(zeros: t)
    switch t.dtype {
    case .f32: fill(tensor.pointer(Float.self), t.count) { Float.random(in: -1..<1, using: &rng) }
    case .f64: fill(tensor.pointer(Double.self), t.count) { Double.random(in: -1..<1, using: &rng) }
    case .i32: fill(tensor.pointer(Int32.self), t.count) { Int32.random(in: 0..<6, using: &rng) }
    case .i64: fill(tensor.pointer(Int64.self), t.count) { Int64.random(in: 0..<6, using: &rng) }
    case .bool: fill(tensor.pointer(Bool.self), t.count) { Bool.random(using: &rng) }
    }
    return tensor
}

private func fill<T>(_ p: UnsafeMutablePointer<T>, _ count: Int, _ next: () -> T) {
    for i in 0..<count { p[i] = next() }
}
