import KilnIR
#if canImport(Glibc)
import Glibc
#endif

// Counter-based random numbers: element i of `rng_*(key?) {seed}` depends only on (seed, key, i),
// so results are reproducible and the compiled code computes the very same bits.
//
//   stream  = mix64(UInt64(seed) &+ 0x9E3779B97F4A7C15 &* (UInt64(key) &+ 1))   (key = 0 without operand)
//   bits(j) = mix64(stream &+ UInt64(j) &* 0xD1B54A32D192ED03)
//   uniform f32: Float(bits(i) >> 40) * 2^-24            in [0, 1)
//   uniform f64: Double(bits(i) >> 11) * 2^-53           in [0, 1)
//   normal: Box-Muller in f64 on u1 = (Double(bits(2i) >> 11) + 1) * 2^-53 (in (0, 1]) and
//           u2 = Double(bits(2i+1) >> 11) * 2^-53: sqrt(-2 log u1) * cos(2 pi u2), rounded to the dtype.

/// The splitmix64 finalizer: a bijective 64-bit mix.
@inline(__always)
public func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// The stream of `rng_*` with attribute `seed` and optional integer scalar operand `key`.
public func rngStream(seed: Int64, key: Int64) -> UInt64 {
    mix64(UInt64(bitPattern: seed) &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(bitPattern: key) &+ 1))
}

/// The 64 random bits of element `j` of `stream`.
@inline(__always)
public func rngBits(_ stream: UInt64, _ j: Int) -> UInt64 {
    mix64(stream &+ UInt64(j) &* 0xD1B5_4A32_D192_ED03)
}

/// Element `j` of `stream` as a uniform f64 in [0, 1) (what `rng_uniform` gives for f64).
@inline(__always)
public func rngUnit(_ stream: UInt64, _ j: Int) -> Double {
    Double(rngBits(stream, j) >> 11) * 0x1p-53
}

private func streamOf(seed: Int64, key: HostTensor?) -> UInt64 {
    rngStream(seed: seed, key: key.map { $0[0].asInt64 } ?? 0)
}

func rngUniformKernel(seed: Int64, key: HostTensor?, _ out: HostTensor) {
    let stream = streamOf(seed: seed, key: key)
    switch out.type.dtype {
    case .f32:
        let p = out.pointer(Float.self)
        for i in 0..<out.count { p[i] = Float(rngBits(stream, i) >> 40) * 0x1p-24 }
    case .f64:
        let p = out.pointer(Double.self)
        for i in 0..<out.count { p[i] = rngUnit(stream, i) }
    case .i32, .i64, .bool:
        break  // type inference admits floats only
    }
}

/// Element `i` of `stream` as a standard normal f64 (Box-Muller on elements `2i` and `2i+1`; what
/// `rng_normal` gives for f64).
public func rngNormal(_ stream: UInt64, _ i: Int) -> Double {
    let u1 = rngUnit(stream, 2 * i) + 0x1p-53  // in (0, 1]
    let u2 = rngUnit(stream, 2 * i + 1)
    return Glibc.sqrt(-2 * Glibc.log(u1)) * Glibc.cos(2 * Double.pi * u2)
}

func rngNormalKernel(seed: Int64, key: HostTensor?, _ out: HostTensor) {
    let stream = streamOf(seed: seed, key: key)
    func normal(_ i: Int) -> Double { rngNormal(stream, i) }
    switch out.type.dtype {
    case .f32:
        let p = out.pointer(Float.self)
        for i in 0..<out.count { p[i] = Float(normal(i)) }
    case .f64:
        let p = out.pointer(Double.self)
        for i in 0..<out.count { p[i] = normal(i) }
    case .i32, .i64, .bool:
        break  // type inference admits floats only
    }
}
