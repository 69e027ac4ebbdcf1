import KilnIR

/// The libm functions generated code may call (f32 variants carry the `f` suffix).
enum MathFunction: String, CaseIterable, Sendable {
    case exp, log, sqrt, tanh, sin, cos, floor, pow

    func name(_ dtype: DType) -> String { dtype == .f32 ? rawValue + "f" : rawValue }
}

/// OpenBLAS's thread count, which a unit whose products Kiln's threads split sets to one for
/// the length of its entry point (LinalgLowering.swift).
enum BLASThreadsCall: String, CaseIterable, Sendable {
    case get = "openblas_get_num_threads", set = "openblas_set_num_threads"

    var prototype: String {
        switch self {
        case .get: return "int openblas_get_num_threads(void);"
        case .set: return "void openblas_set_num_threads(int);"
        }
    }
}

/// How compiled code runs `all_reduce`, by the runtime's communicator: `start(data, count,
/// is_double, is_mean)` begins the reduction in place and returns a request, `test(request)` lets
/// it progress, `wait(request)` returns once `data` holds the result (0 is a finished request).
enum AllReduceCall: String, CaseIterable, Sendable {
    case start, test, wait

    var prototype: String {
        switch self {
        case .start: return "long kiln_all_reduce_start(void *, long, int, int);"
        case .test, .wait: return "void kiln_all_reduce_\(rawValue)(long);"
        }
    }
}

/// f32 functions written in C as branch-free range reductions and polynomials (Cephes' `expf`,
/// `logf`, `tanhf`), forced inline so that gcc vectorizes the loops calling them. Against glibc's
/// libm over every f32 input: exp and log within 1 ulp, tanh within 2 ulp (sigmoid, written
/// `1 / (1 + exp(-x))` on them, within 4 ulp of the same formula on libm), with libm's class for
/// every result (NaN, ±inf, ±0, subnormal, normal). `InlineMathTests` sweeps the inputs.
enum InlineMath: String, CaseIterable, Sendable {
    case exp, log, tanh

    var functionName: String { "kiln_\(rawValue)_f32" }
}

/// One declaration at the top of a generated translation unit: a prototype of an external
/// function (bound by the JIT) or a small static helper that spells out one of the IR's semantic
/// rules once. Units hold no `#include`; they declare exactly the items their kernels use.
enum PreludeItem: Hashable, Sendable {
    case memcpy, memset
    case gemm(DType)
    case blasThreads(BLASThreadsCall)
    case math(MathFunction, DType)
    /// `kiln_<f32|f64>_bits(u)`: a float from its bit pattern (infinities, NaN, -0).
    case floatFromBits(DType)
    /// `kiln_bits_<f32|f64>(x)`: the bit pattern of a float.
    case floatBits(DType)
    /// `kiln_pick_<f32|f64>(c, a, b)`: `c ? a : b` by bit masks, so that a vectorized loop has no
    /// branch (gcc does not if-convert `?:` here, `-fno-tree-loop-if-convert`).
    case pickFloat(DType)
    /// `kiln_keep_<f32|f64>(c, a)`: `c ? a : +0`, one mask (+0 has no bits set).
    case keepFloat(DType)
    case inlineMath(InlineMath)
    case absFloat(DType), signFloat(DType), reluFloat(DType), maxFloat(DType), minFloat(DType)
    case absInt(DType), divInt(DType), powInt(DType)
    /// Saturating conversion from double to the integer dtype (NaN gives 0).
    case floatToInt(DType)
    case mix64
    case ceilDiv
    case im2col(DType), col2im(DType)
    /// The unit's thread pool (CThreadPool.swift) and the pthread functions it calls.
    case threadPool(threads: Int), pthread(PthreadFunction)
    /// The runtime's `all_reduce` entry points (`AllReduceCall`).
    case allReduce(AllReduceCall)
    /// A function of the kernel library (KernelLibrary.swift), which libtcc's code calls.
    case library(LibraryKernel)

    /// The external symbol this item declares, when it declares one.
    var externalSymbol: String? {
        switch self {
        case .memcpy: return "memcpy"
        case .memset: return "memset"
        case .gemm(let d): return d == .f32 ? "cblas_sgemm" : "cblas_dgemm"
        case .blasThreads(let c): return c.rawValue
        case let .math(f, d): return f.name(d)
        case .pthread(let p): return p.rawValue
        case .allReduce(let c): return "kiln_all_reduce_" + c.rawValue
        case .library(let kernel): return kernel.name
        default: return nil
        }
    }

    /// The C name the item declares.
    var functionName: String {
        switch self {
        case .memcpy, .memset, .gemm, .blasThreads, .math, .pthread, .allReduce, .library: return externalSymbol ?? ""
        case .floatFromBits(let d): return "kiln_\(d.rawValue)_bits"
        case .floatBits(let d): return "kiln_bits_\(d.rawValue)"
        case .pickFloat(let d): return "kiln_pick_\(d.rawValue)"
        case .keepFloat(let d): return "kiln_keep_\(d.rawValue)"
        case .inlineMath(let m): return m.functionName
        case .absFloat(let d), .absInt(let d): return "kiln_abs_\(d.rawValue)"
        case .signFloat(let d): return "kiln_sign_\(d.rawValue)"
        case .reluFloat(let d): return "kiln_relu_\(d.rawValue)"
        case .maxFloat(let d): return "kiln_max_\(d.rawValue)"
        case .minFloat(let d): return "kiln_min_\(d.rawValue)"
        case .divInt(let d): return "kiln_div_\(d.rawValue)"
        case .powInt(let d): return "kiln_pow_\(d.rawValue)"
        case .floatToInt(let d): return "kiln_to_\(d.rawValue)"
        case .mix64: return "kiln_mix64"
        case .ceilDiv: return "kiln_ceil_div"
        case .im2col(let d): return "kiln_im2col_\(d.rawValue)"
        case .col2im(let d): return "kiln_col2im_\(d.rawValue)"
        case .threadPool: return "kiln_parallel_for"
        }
    }

    /// Items this item's text refers to.
    var dependencies: [PreludeItem] {
        switch self {
        case .im2col(let d): return libraryAlternative(.im2col(d)).map { [.ceilDiv, .memset, .memcpy, .library($0)] } ?? [.ceilDiv, .memset, .memcpy]
        case .col2im(let d): return libraryAlternative(.col2im(d)).map { [.ceilDiv, .memset, .library($0)] } ?? [.ceilDiv, .memset]
        case .threadPool: return PthreadFunction.allCases.map(PreludeItem.pthread)
        case .pickFloat(let d), .keepFloat(let d): return [.floatFromBits(d), .floatBits(d)]
        case .signFloat(let d), .reluFloat(let d), .maxFloat(let d), .minFloat(let d): return [.pickFloat(d)]
        case .absFloat(let d): return [.floatFromBits(d), .floatBits(d)]
        case .inlineMath(let m):
            return [.floatFromBits(.f32), .floatBits(.f32), .pickFloat(.f32)] + (m == .tanh ? [.inlineMath(.exp)] : [])
        default: return []
        }
    }

    /// The C declaration or definition.
    var text: String {
        switch self {
        case .memcpy: return "void *memcpy(void *, const void *, unsigned long);"
        case .memset: return "void *memset(void *, int, unsigned long);"
        case .pthread(let p): return p.prototype
        case .threadPool(let threads): return threadPoolText(threads: threads)
        case .allReduce(let c): return c.prototype
        case .blasThreads(let c): return c.prototype
        case .library(let kernel): return kernel.prototype
        case .gemm(let d):
            let t = cType(d)
            return "void \(functionName)(int, int, int, int, int, int, \(t), const \(t) *, int, const \(t) *, int, \(t), \(t) *, int);"
        case let .math(f, d):
            let t = cType(d)
            return f == .pow ? "\(t) \(f.name(d))(\(t), \(t));" : "\(t) \(f.name(d))(\(t));"
        case .floatFromBits(let d):
            let (t, u) = floatAndBits(d)
            return forTinyC(macro: "#define \(functionName)(bits) (((union kiln_\(d.rawValue)_word){.u = (bits)}).f)",
                            union: d, else: "static \(t) \(functionName)(\(u) u) { union { \(u) u; \(t) f; } c; c.u = u; return c.f; }")
        case .floatBits(let d):
            let (t, u) = floatAndBits(d)
            return forTinyC(macro: "#define \(functionName)(value) (((union kiln_\(d.rawValue)_word){.f = (value)}).u)",
                            union: d, else: "static \(u) \(functionName)(\(t) x) { union { \(u) u; \(t) f; } c; c.f = x; return c.u; }")
        case .pickFloat(let d):
            let (t, u) = floatAndBits(d)
            let (from, to) = bitCastNames(d)
            return forTinyC(macro: "#define \(functionName)(c, a, b) \(from)((\(to)(a) & (0 - (\(u))(c))) | (\(to)(b) & ~(0 - (\(u))(c))))",
                            union: nil, else: """
            static inline __attribute__((always_inline)) \(t) \(functionName)(int c, \(t) a, \(t) b) {
              \(u) m = 0 - (\(u))c;
              return \(from)((\(to)(a) & m) | (\(to)(b) & ~m));
            }
            """)
        case .keepFloat(let d):
            let (t, u) = floatAndBits(d)
            let (from, to) = bitCastNames(d)
            return forTinyC(macro: "#define \(functionName)(c, a) \(from)(\(to)(a) & (0 - (\(u))(c)))", union: nil, else: """
            static inline __attribute__((always_inline)) \(t) \(functionName)(int c, \(t) a) {
              return \(from)(\(to)(a) & (0 - (\(u))c));
            }
            """)
        case .inlineMath(let m): return inlineMathDefinition(m)
        case .absFloat(let d):
            let (t, u) = floatAndBits(d)
            let mask = d == .f32 ? "0x7fffffffu" : "0x7fffffffffffffffull"
            let (from, to) = bitCastNames(d)
            return forTinyC(macro: "#define \(functionName)(x) \(from)(\(to)(x) & \(mask))", union: nil,
                            else: "static \(t) \(functionName)(\(t) x) { union { \(t) f; \(u) u; } c; c.f = x; c.u &= \(mask); return c.f; }")
        case .signFloat(let d):
            let (t, pick) = (cType(d), PreludeItem.pickFloat(d).functionName)
            return "static \(t) \(functionName)(\(t) x) { return \(pick)(x > 0, 1, \(pick)(x < 0, -1, x)); }  /* NaN and zeros: x itself */"
        case .reluFloat(let d):
            // +0 has no bits set, so picking it is clearing every bit: one mask, not two.
            let (t, u) = floatAndBits(d)
            let (pick, (from, to)) = (PreludeItem.pickFloat(d).functionName, bitCastNames(d))
            return forTinyC(macro: "#define \(functionName)(x) \(from)(\(to)(x) & ((\(u))((x) <= 0) - 1))", union: nil,
                            else: "static \(t) \(functionName)(\(t) x) { return \(pick)(x <= 0, 0, x); }  /* NaN: x itself; -0: +0 */")
        case .maxFloat(let d):
            let (t, pick) = (cType(d), PreludeItem.pickFloat(d).functionName)
            return "static \(t) \(functionName)(\(t) a, \(t) b) { return \(pick)(a != a, a, \(pick)(b != b, b, \(pick)(a > b, a, b))); }"
        case .minFloat(let d):
            let (t, pick) = (cType(d), PreludeItem.pickFloat(d).functionName)
            return "static \(t) \(functionName)(\(t) a, \(t) b) { return \(pick)(a != a, a, \(pick)(b != b, b, \(pick)(a < b, a, b))); }"
        case .absInt(let d):
            let (t, u) = (cType(d), cUnsignedType(d))
            return "static \(t) \(functionName)(\(t) x) { return x < 0 ? (\(t))(0 - (\(u))x) : x; }"
        case .divInt(let d):
            let (t, u) = (cType(d), cUnsignedType(d))
            return "static \(t) \(functionName)(\(t) a, \(t) b) { return b == 0 ? 0 : b == -1 ? (\(t))(0 - (\(u))a) : a / b; }"
        case .powInt(let d):
            let (t, u) = (cType(d), cUnsignedType(d))
            return """
            static \(t) \(functionName)(\(t) a, \(t) b) {
              \(u) r = 1, x = (\(u))a;
              if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
              for (; b; b >>= 1) { if (b & 1) r *= x; x *= x; }
              return (\(t))r;
            }
            """
        case .floatToInt(let d):
            let t = cType(d)
            let (lo, hi, limit) = d == .i32 ? ("(-2147483647 - 1)", "2147483647", "2147483648.0")
                                            : ("(-9223372036854775807LL - 1)", "9223372036854775807LL", "9223372036854775808.0")
            return "static \(t) \(functionName)(double x) { return x != x ? 0 : x <= -\(limit) ? \(lo) : x >= \(limit) ? \(hi) : (\(t))x; }"
        case .mix64:
            return """
            static unsigned long long \(functionName)(unsigned long long z) {
              z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
              z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
              return z ^ (z >> 31);
            }
            """
        case .ceilDiv:
            return "static long \(functionName)(long a, long b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }  /* b > 0 */"
        case .im2col(let d): return withLibraryAlternative(functionName, .im2col(d), im2colDefinition(functionName, d))
        case .col2im(let d): return withLibraryAlternative(functionName, .col2im(d), col2imDefinition(functionName, d))
        }
    }

    /// Prototypes first, then helpers after the helpers they call; otherwise by text, so units
    /// are deterministic.
    var sortKey: (Int, String) {
        (externalSymbol == nil ? 1 + (dependencies.map { $0.sortKey.0 }.max() ?? 0) : 0, text)
    }
}

/// The C definition of `m` (see `InlineMath`). Comparisons select by `kiln_pick_f32`, never `?:`.
private func inlineMathDefinition(_ m: InlineMath) -> String {
    let head = "static inline __attribute__((always_inline)) float \(m.functionName)(float x) {"
    switch m {
    case .exp:
        // e^x = 2^n e^r, n = round(x log2 e) by the 1.5·2^23 trick, r = x - n ln 2 in two parts;
        // 2^n is applied as two factors so that subnormal results round once. Inputs clamped to
        // [-104, 88.8] still overflow to inf and underflow to 0 where expf does; NaN passes through.
        return head + """

          float c = kiln_pick_f32(x > 88.8f, 88.8f, x);
          c = kiln_pick_f32(c < -104.0f, -104.0f, c);
          float t = c * 1.44269504088896341f + 12582912.0f;
          float n = t - 12582912.0f;
          float r = c - n * 0.693359375f;
          r = r - n * -2.12194440e-4f;
          float z = r * r;
          float p = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
                      + 1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
          int k = (int)kiln_bits_f32(t) - 0x4b400000, k1 = k >> 1, k2 = k - k1;
          return p * kiln_f32_bits((unsigned)(k1 + 127) << 23) * kiln_f32_bits((unsigned)(k2 + 127) << 23);
        }
        """
    case .log:
        // x = 2^e m, m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23 first), log x = e ln 2 +
        // log m by a degree-9 polynomial in m - 1; then 0 -> -inf, x < 0 -> NaN, inf and NaN -> x.
        return head + """

          int tiny = x < 1.17549435e-38f;
          unsigned u = kiln_bits_f32(kiln_pick_f32(tiny, x * 8388608.0f, x));
          int e = (int)(u >> 23) - 126 - (23 & -tiny);
          float m = kiln_f32_bits((u & 0x007fffffu) | 0x3f000000u);
          int lo = m < 0.707106781186547524f;
          float f = kiln_pick_f32(lo, m + m, m) - 1.0f, z = f * f, fe = (float)(e - lo);
          float y = ((((((((7.0376836292e-2f * f - 1.1514610310e-1f) * f + 1.1676998740e-1f) * f - 1.2420140846e-1f) * f
                        + 1.4249322787e-1f) * f - 1.6668057665e-1f) * f + 2.0000714765e-1f) * f - 2.4999993993e-1f) * f
                     + 3.3333331174e-1f) * f * z;
          float r = f + (y + -2.12194440e-4f * fe + -0.5f * z) + 0.693359375f * fe;
          r = kiln_pick_f32(x == 0, kiln_f32_bits(0xff800000u), r);
          r = kiln_pick_f32(x < 0, kiln_f32_bits(0x7fc00000u), r);
          return kiln_pick_f32((x != x) | (x == kiln_f32_bits(0x7f800000u)), x, r);
        }
        """
    case .tanh:
        // On a = |x|: an odd polynomial below 0.625, 1 - 2 / (e^2a + 1) above (1 once e^2a
        // overflows); then x's sign bit, so -0 stays -0.
        return head + """

          unsigned u = kiln_bits_f32(x);
          float a = kiln_f32_bits(u & 0x7fffffffu), z = a * a;
          float s = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z
                     - 3.33332819422e-1f) * z * a + a;
          float l = 1.0f - 2.0f / (kiln_exp_f32(a + a) + 1.0f);
          return kiln_f32_bits(kiln_bits_f32(kiln_pick_f32(a < 0.625f, s, l)) | (u & 0x80000000u));
        }
        """
    }
}

private func floatAndBits(_ d: DType) -> (String, String) {
    (cType(d), d == .f32 ? "unsigned" : "unsigned long long")
}

/// The names of the helpers casting bits to a float of `d` and back.
private func bitCastNames(_ d: DType) -> (fromBits: String, toBits: String) {
    (PreludeItem.floatFromBits(d).functionName, PreludeItem.floatBits(d).functionName)
}

/// `definition` for gcc, and `macro` for libtcc, which inlines no function: there, bit casts and
/// picks are expressions on a compound literal of the union `kiln_<dtype>_word` (declared once,
/// with `union`'s macro), not calls. Both give the same bits.
private func forTinyC(macro: String, union dtype: DType?, else definition: String) -> String {
    let declaration = dtype.map { d -> String in
        let (t, u) = floatAndBits(d)
        let name = "kiln_\(d.rawValue)_word"
        return "#ifndef \(name.uppercased())\n#define \(name.uppercased())\nunion \(name) { \(u) u; \(t) f; };\n#endif\n"
    } ?? ""
    return "#ifdef __TINYC__\n\(declaration)\(macro)\n#else\n\(definition)\n#endif"
}

/// `kernel` when the library has it.
private func libraryAlternative(_ kernel: LibraryKernel) -> LibraryKernel? {
    LibraryKernel.dtypes.contains(kernel.dtype) ? kernel : nil
}

/// The helper `name` defined as `definition` for gcc and as the library's `kernel` for libtcc.
private func withLibraryAlternative(_ name: String, _ kernel: LibraryKernel, _ definition: String) -> String {
    guard let kernel = libraryAlternative(kernel) else { return definition }
    return "#ifdef __TINYC__\n#define \(name) \(kernel.name)\n#else\n\(definition)\n#endif"
}

/// `items` and everything they depend on.
private func withDependencies(_ items: Set<PreludeItem>) -> Set<PreludeItem> {
    var all = items
    var pending = Array(items)
    while let item = pending.popLast() {
        for dep in item.dependencies where all.insert(dep).inserted { pending.append(dep) }
    }
    return all
}

/// The prelude declaring `items` and their dependencies, in `sortKey` order.
func preludeText(_ items: Set<PreludeItem>) -> String {
    withDependencies(items).sorted { $0.sortKey < $1.sortKey }.map(\.text).joined(separator: "\n")
}

/// Every external symbol the prelude of `items` declares, sorted.
func externalSymbols(_ items: Set<PreludeItem>) -> [String] {
    withDependencies(items).compactMap(\.externalSymbol).sorted()
}

/// Every external function a generated unit may declare (the JIT must be able to bind each).
public let allExternalSymbols: [String] = {
    let items: [PreludeItem] = [.memcpy, .memset] + AllReduceCall.allCases.map(PreludeItem.allReduce)
        + BLASThreadsCall.allCases.map(PreludeItem.blasThreads) + [DType.f32, .f64].flatMap { d in
        [PreludeItem.gemm(d)] + MathFunction.allCases.map { PreludeItem.math($0, d) }
    } + PthreadFunction.allCases.map(PreludeItem.pthread) + LibraryKernel.all.map(PreludeItem.library)
    return items.compactMap(\.externalSymbol).sorted()
}()
