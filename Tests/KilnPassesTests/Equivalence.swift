import KilnIR
import KilnRuntime
import KilnTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Whether two tensors have the same type and the same bytes (so NaN payloads and the sign of zero
/// count).
func sameBits(_ a: HostTensor, _ b: HostTensor) -> Bool {
    a.type == b.type && memcmp(a.data, b.data, a.type.byteCount) == 0
}

/// The values where IEEE arithmetic is delicate (NaN of both signs, ±0, ±inf, the smallest
/// subnormal, the largest finite value) and a few plain ones.
let delicateFloats: [Double] = [.nan, -.nan, -0.0, 0.0, .infinity, -.infinity, 1, -1, 2, 0.5, 3,
                                Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude), -1e-3]

/// How many seeds `delicateInputs` needs to put every delicate value at every position.
let delicateRotation = delicateFloats.count

/// Inputs for `f`. For `seed < delicateRotation`, element i of parameter p is delicate value
/// `(seed + i + 3p) mod count` (integers: 0, ±1, 2, -2, 7 and the extremes; bools alternate), so
/// the seeds `0..<delicateRotation` put every delicate value at every position. Larger seeds mix
/// delicate and random values.
func delicateInputs(for f: Function, seed: UInt64) throws(KilnError) -> [HostTensor] {
    var rng = SplitMix64(seed: seed)
    var inputs: [HostTensor] = []
    for (p, type) in f.paramTypes.enumerated() {
        let ints: [Int64] = (type.dtype == .i32 ? [Int64(Int32.min), Int64(Int32.max)] : [.min, .max]) + [0, 1, -1, 2, -2, 7]
        var values: [Scalar] = []
        for i in 0..<type.count {
            let rotated = seed < delicateRotation ? Int(seed) + i + 3 * p : nil
            let pick = rotated ?? (Bool.random(using: &rng) ? Int.random(in: 0..<1000, using: &rng) : nil)
            switch type.dtype {
            case .f32, .f64:
                values.append(.float(pick.map { delicateFloats[$0 % delicateFloats.count] } ?? Double.random(in: -4...4, using: &rng)))
            case .i32, .i64:
                values.append(.int(pick.map { ints[$0 % ints.count] } ?? Int64.random(in: -9...9, using: &rng)))
            case .bool:
                values.append(.bool(pick.map { $0 % 2 == 0 } ?? Bool.random(using: &rng)))
            }
        }
        inputs.append(try HostTensor(type, scalars: values))
    }
    return inputs
}

/// Indices of the results of `a` and `b` on `inputs` that differ in any bit, with matrix products
/// summed in sequential order: a rewrite that only changes which BLAS call runs (a transpose
/// folded into its flags) then changes no bit, on any CPU.
func differingResults(_ a: Function, _ b: Function, inputs: [HostTensor]) throws -> [Int] {
    try ProductOrder.$current.withValue(.sequential) {
        let x = try interpret(a, inputs: inputs)
        let y = try interpret(b, inputs: inputs)
        return x.indices.filter { !sameBits(x[$0], y[$0]) }
    }
}
