import KilnIR

// The counter-based generator of docs/ir.md, bit for bit:
//   stream  = mix64(seed + 0x9E3779B97F4A7C15 * (key + 1)),  bits(j) = mix64(stream + j * 0xD1B54A32D192ED03)
// Shifted bits are below 2^53 and go through a signed 64-bit integer on their way to floating
// point: an unsigned 64-bit to float conversion would need a runtime helper under -nostdlib.

extension KernelBuilder {
    /// Declares `stream` from the seed and the optional `key` operand.
    private mutating func rngStream(seed: Int64, hasKey: Bool) {
        let key = hasKey ? "(unsigned long long)(long long)key[0]" : "0"
        line("unsigned long long stream = \(call(.mix64, "0x\(String(UInt64(bitPattern: seed), radix: 16))ull + 0x9e3779b97f4a7c15ull * (\(key) + 1)"));")
    }

    private mutating func rngBits(_ j: String) -> String {
        call(.mix64, "stream + (unsigned long long)(\(j)) * 0xd1b54a32d192ed03ull")
    }

    /// f32: `(bits(i) >> 40) * 2^-24`; f64: `(bits(i) >> 11) * 2^-53`.
    mutating func lowerRngUniform(seed: Int64, hasKey: Bool, _ out: TensorType) {
        guard out.count > 0 else { return }
        rngStream(seed: seed, hasKey: hasKey)
        let (shift, scale) = out.dtype == .f32 ? (40, 0x1p-24) : (11, 0x1p-53)
        let t = cType(out.dtype)
        let (bits, factor) = (rngBits("i"), scalar(.float(scale), out.dtype))
        line("for (long i = 0; i < \(out.count); i++) out[i] = (\(t))(long long)(\(bits) >> \(shift)) * \(factor);")
    }

    /// Box-Muller in f64 on `u1 = ((bits(2i) >> 11) + 1) * 2^-53` and `u2 = (bits(2i+1) >> 11) * 2^-53`.
    mutating func lowerRngNormal(seed: Int64, hasKey: Bool, _ out: TensorType) {
        guard out.count > 0 else { return }
        rngStream(seed: seed, hasKey: hasKey)
        let scale = "\(0x1p-53 as Double)"
        open("for (long i = 0; i < \(out.count); i++)")
        line("double u1 = ((double)(long long)(\(rngBits("2 * i")) >> 11) + 1) * \(scale);")
        line("double u2 = (double)(long long)(\(rngBits("2 * i + 1")) >> 11) * \(scale);")
        let sqrt = call(.math(.sqrt, .f64), "-2.0 * " + call(.math(.log, .f64), "u1"))
        let cos = call(.math(.cos, .f64), "2.0 * \(Double.pi) * u2")
        line("out[i] = (\(cType(out.dtype)))(\(sqrt) * \(cos));")
        close()
    }
}
