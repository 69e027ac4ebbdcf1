import KilnIR

// The kernel library: generic, shape-parameterized C functions for the loops libtcc compiles
// worst (im2col, col2im, pools and their gradients, and each elementwise operation over a block
// of elements), compiled once by the C compiler with the package (the `CKilnKernels` target) and
// called by libtcc's code instead of its own loops.
// gcc's code keeps the specialized loops: a unit writes both, the library call under
// `#ifdef __TINYC__` (libtcc defines it) and its own loops under `#else`.
//
// The library's C is generated from this file (`kernelLibrarySource`): im2col and col2im are the
// prelude's own definitions, the pools compute each window as `KernelBuilder`'s pooling loops do
// (same window order, same first-maximum rule, same division), so both tiers give the same bits.
// `KernelLibraryTests` checks that the committed C equals the generated C.

/// One function of the kernel library.
enum LibraryKernel: Hashable, Sendable {
    case im2col(DType), col2im(DType)
    case maxPool(DType), avgPool(DType), maxPoolGrad(DType), avgPoolGrad(DType)
    /// One elementwise operation over contiguous elements (ElementKernels.swift).
    case element(ElementKernel)

    /// The dtypes the library has image and pooling kernels for.
    static let dtypes: [DType] = [.f32, .f64]

    /// Every kernel of the library, in the order of its source.
    static let all: [LibraryKernel] = dtypes.flatMap { d in
        [.im2col(d), .col2im(d), .maxPool(d), .avgPool(d), .maxPoolGrad(d), .avgPoolGrad(d)]
    } + ElementKernel.all.map(LibraryKernel.element)

    var dtype: DType {
        switch self {
        case .im2col(let d), .col2im(let d), .maxPool(let d), .avgPool(let d), .maxPoolGrad(let d), .avgPoolGrad(let d): return d
        case .element(let e): return e.dtype
        }
    }

    /// The C name: `kiln_lib_<kernel>_<dtype>`.
    var name: String {
        let kernel: String
        switch self {
        case .element(let e): return e.name
        case .im2col: kernel = "im2col"
        case .col2im: kernel = "col2im"
        case .maxPool: kernel = "max_pool"
        case .avgPool: kernel = "avg_pool"
        case .maxPoolGrad: kernel = "max_pool_grad"
        case .avgPoolGrad: kernel = "avg_pool_grad"
        }
        return "kiln_lib_\(kernel)_\(dtype.rawValue)"
    }

    /// The parameter list, as in the definition.
    private var parameters: String {
        let t = cType(dtype)
        let window = "long h, long w, long ho, long wo, long kh, long kw, long sh, long sw, long ph, long pw"
        switch self {
        case .im2col:
            return "const \(t) *in, \(t) *col, long ld, long c_, long h, long w, long kh, long kw,\n"
                + "                             long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo"
        case .col2im:
            return "\(t) *col, \(t) *out, long ld, long c_, long h, long w, long kh, long kw,\n"
                + "                             long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi"
        case .maxPool, .avgPool: return "\(t) *out, const \(t) *x, long lo, long hi, \(window)"
        case .maxPoolGrad: return "\(t) *out, const \(t) *x, const \(t) *grad, long lo, long hi, \(window)"
        case .avgPoolGrad: return "\(t) *out, const \(t) *grad, long lo, long hi, \(window)"
        case .element(let e): return e.parameters
        }
    }

    /// The prototype generated units and the library's header declare.
    var prototype: String { "void \(name)(\(parameters));" }

    /// The definition in the library's source.
    var definition: String {
        let t = cType(dtype)
        switch self {
        case .element(let e): return e.definition
        case .im2col: return exported(im2colDefinition(name, dtype))
        case .col2im: return exported(col2imDefinition(name, dtype))
        case .maxPool:
            return poolDefinition(comment: "the first maximum of each window (a NaN wins), planes lo..<hi", averaging: false, zeroing: false, """
                  long at = corner + i0 * w + j0;
                  \(t) best = x[at];
                  for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
                    \(t) v = x[corner + i * w + j];
                    if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
                  }
                  out[po] = best;
            """)
        case .avgPool:
            return poolDefinition(comment: "the in-bounds window sum (row-major) over the full window size, planes lo..<hi", averaging: true, zeroing: false, """
                  \(t) sum = 0;
                  for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) sum += x[corner + i * w + j];
                  out[po] = sum / size;
            """)
        case .maxPoolGrad:
            return poolDefinition(comment: "each gradient added at the first maximum of its window; planes lo..<hi of out zeroed first", averaging: false, zeroing: true, """
                  long at = corner + i0 * w + j0;
                  \(t) best = x[at];
                  for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) {
                    \(t) v = x[corner + i * w + j];
                    if (best == best && (v > best || v != v)) { best = v; at = corner + i * w + j; }
                  }
                  out[at] += grad[po];
            """)
        case .avgPoolGrad:
            return poolDefinition(comment: "each gradient over the window size added at every in-bounds position; planes lo..<hi of out zeroed first", averaging: true, zeroing: true, """
                  \(t) share = grad[po] / size;
                  for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) out[corner + i * w + j] += share;
            """)
        }
    }

    /// The square windows (size, stride, padding) most networks pool with: each pool kernel has
    /// a copy of its loops for each, with the shape constant, which the C compiler unrolls.
    static let commonPoolWindows = [(size: 2, stride: 2, padding: 0), (size: 3, stride: 2, padding: 1), (size: 3, stride: 1, padding: 1)]

    /// A pool over the planes `lo..<hi`: the loops of `KernelBuilder.poolWindows` with the shape
    /// as parameters, and a copy per `commonPoolWindows` entry. `body` sees `po`, `corner`,
    /// `i0 i1 j0 j1` and, when `averaging`, `size` (the window's element count in the dtype).
    private func poolDefinition(comment: String, averaging: Bool, zeroing: Bool, _ body: String) -> String {
        let t = cType(dtype)
        let size = averaging ? "\n  const \(t) size = (\(t))(kh * kw);" : ""
        let zero = zeroing ? "\n  memset(out + lo * h * w, 0, (hi - lo) * h * w * sizeof(\(t)));" : ""
        let loops = """
          for (long c = lo; c < hi; c++) for (long oy = 0; oy < ho; oy++) {
            long i0 = ph - oy * sh, i1 = h + ph - oy * sh;
            if (i0 < 0) i0 = 0;
            if (i1 > kh) i1 = kh;
            for (long ox = 0; ox < wo; ox++) {
              long j0 = pw - ox * sw, j1 = w + pw - ox * sw;
              if (j0 < 0) j0 = 0;
              if (j1 > kw) j1 = kw;
              long po = (c * ho + oy) * wo + ox;
              long corner = c * h * w + (oy * sh - ph) * w + ox * sw - pw;
        \(body)
            }
          }
        """
        let specialized = Self.commonPoolWindows.map { (k, s, p) in
            """
              if (kh == \(k) && kw == \(k) && sh == \(s) && sw == \(s) && ph == \(p) && pw == \(p)) {
                const long kh = \(k), kw = \(k), sh = \(s), sw = \(s), ph = \(p), pw = \(p);
            \(loops.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
                return;
              }

            """
        }.joined()
        return """
        /* \(comment) */
        void \(name)(\(parameters)) {\(size)\(zero)
        \(specialized)\(loops)
        }
        """
    }
}

/// A prelude definition (`static void name(...)`) as an exported library function.
private func exported(_ definition: String) -> String {
    definition.replacing("static void ", with: "void ")
}

/// The library's header (`Sources/CKilnKernels/include/kiln_kernels.h`).
public func kernelLibraryHeader() -> String {
    """
    /* Generated from Sources/KilnCodegen/KernelLibrary.swift (KernelLibraryTests checks it). */
    #ifndef KILN_KERNELS_H
    #define KILN_KERNELS_H

    \(LibraryKernel.all.map(\.prototype).joined(separator: "\n"))
    \(ElementKernel.lookupPrototype);

    #endif

    """
}

/// The library's source (`Sources/CKilnKernels/kiln_kernels.c`).
public func kernelLibrarySource() -> String {
    """
    /* Generated from Sources/KilnCodegen/KernelLibrary.swift (KernelLibraryTests checks it). */
    #pragma STDC FP_CONTRACT OFF
    #include <string.h>
    #include "kiln_kernels.h"

    \(PreludeItem.ceilDiv.text)
    \(preludeText(ElementKernel.helpers))

    \(LibraryKernel.all.map(\.definition).joined(separator: "\n\n"))

    \(ElementKernel.lookupDefinition)

    """
}

extension KernelBuilder {
    /// For a pool of f32 or f64 with a nonempty input and output: writes, for libtcc, a call of the
    /// library's `kernel` per part of the planes, and for gcc the loops `inline` writes, and
    /// returns true. Writes nothing and returns false otherwise (and while `inline` runs).
    mutating func poolFromLibrary(_ kernel: (DType) -> LibraryKernel, _ p: PoolAttributes, input: TensorType, pooled: [Int],
                                  inline: (inout KernelBuilder) -> Void) -> Bool {
        let planes = input.shape[0] * input.shape[1]
        guard !writingInlineAlternative, LibraryKernel.dtypes.contains(input.dtype), input.count > 0,
              planes * pooled[2] * pooled[3] > 0 else { return false }
        let library = kernel(input.dtype)
        let operands: [String]
        switch library {
        case .maxPool, .avgPool: operands = ["out", "x"]
        case .maxPoolGrad: operands = ["out", "x", "grad"]
        case .avgPoolGrad: operands = ["out", "grad"]
        case .im2col, .col2im, .element: return false
        }
        let shape = [input.shape[2], input.shape[3], pooled[2], pooled[3], p.window[0], p.window[1],
                     p.stride[0], p.stride[1], p.padding[0], p.padding[1]].map(String.init)
        line("#ifdef __TINYC__")
        parallelFor(planes, work: planes * pooled[2] * pooled[3] * p.window[0] * p.window[1]) { k, range in
            k.line("\(k.call(.library(library), (operands + [range.lo, range.hi] + shape).joined(separator: ", ")));")
        }
        line("#else")
        writingInlineAlternative = true
        inline(&self)
        writingInlineAlternative = false
        line("#endif")
        return true
    }
}
