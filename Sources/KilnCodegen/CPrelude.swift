import KilnIR

/// The libm functions generated code may call (f32 variants carry the `f` suffix).
enum MathFunction: String, CaseIterable, Sendable {
    case exp, log, sqrt, tanh, sin, cos, floor, pow

    func name(_ dtype: DType) -> String { dtype == .f32 ? rawValue + "f" : rawValue }
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

/// One declaration at the top of a generated translation unit: a prototype of an external
/// function (bound by the JIT) or a small static helper that spells out one of the IR's semantic
/// rules once. Units hold no `#include`; they declare exactly the items their kernels use.
enum PreludeItem: Hashable, Sendable {
    case memcpy, memset
    case gemm(DType)
    case math(MathFunction, DType)
    /// `kiln_<f32|f64>_bits(u)`: a float from its bit pattern (infinities, NaN, -0).
    case floatFromBits(DType)
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
        case .memcpy, .memset, .gemm, .math, .pthread, .allReduce, .library: return externalSymbol ?? ""
        case .floatFromBits(let d): return "kiln_\(d.rawValue)_bits"
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
        case .im2col(let d): return libraryAlternative(.im2col(d)).map { [.ceilDiv, .memset, .library($0)] } ?? [.ceilDiv, .memset]
        case .col2im(let d): return libraryAlternative(.col2im(d)).map { [.ceilDiv, .memset, .library($0)] } ?? [.ceilDiv, .memset]
        case .threadPool: return PthreadFunction.allCases.map(PreludeItem.pthread)
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
        case .library(let kernel): return kernel.prototype
        case .gemm(let d):
            let t = cType(d)
            return "void \(functionName)(int, int, int, int, int, int, \(t), const \(t) *, int, const \(t) *, int, \(t), \(t) *, int);"
        case let .math(f, d):
            let t = cType(d)
            return f == .pow ? "\(t) \(f.name(d))(\(t), \(t));" : "\(t) \(f.name(d))(\(t));"
        case .floatFromBits(let d):
            let (t, u) = floatAndBits(d)
            return "static \(t) \(functionName)(\(u) u) { union { \(u) u; \(t) f; } c; c.u = u; return c.f; }"
        case .absFloat(let d):
            let (t, u) = floatAndBits(d)
            let mask = d == .f32 ? "0x7fffffffu" : "0x7fffffffffffffffull"
            return "static \(t) \(functionName)(\(t) x) { union { \(t) f; \(u) u; } c; c.f = x; c.u &= \(mask); return c.f; }"
        case .signFloat(let d):
            let t = cType(d)
            return "static \(t) \(functionName)(\(t) x) { return x > 0 ? 1 : x < 0 ? -1 : x; }  /* NaN and zeros: x itself */"
        case .reluFloat(let d):
            let t = cType(d)
            return "static \(t) \(functionName)(\(t) x) { return x <= 0 ? 0 : x; }  /* NaN: x itself; -0: +0 */"
        case .maxFloat(let d):
            let t = cType(d)
            return "static \(t) \(functionName)(\(t) a, \(t) b) { return a != a ? a : b != b ? b : a > b ? a : b; }"
        case .minFloat(let d):
            let t = cType(d)
            return "static \(t) \(functionName)(\(t) a, \(t) b) { return a != a ? a : b != b ? b : a < b ? a : b; }"
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

private func floatAndBits(_ d: DType) -> (String, String) {
    (cType(d), d == .f32 ? "unsigned" : "unsigned long long")
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
    let items: [PreludeItem] = [.memcpy, .memset] + AllReduceCall.allCases.map(PreludeItem.allReduce) + [DType.f32, .f64].flatMap { d in
        [PreludeItem.gemm(d)] + MathFunction.allCases.map { PreludeItem.math($0, d) }
    } + PthreadFunction.allCases.map(PreludeItem.pthread) + LibraryKernel.all.map(PreludeItem.library)
    return items.compactMap(\.externalSymbol).sorted()
}()
