import KilnIR

// Pools and their gradients: one loop over the pooled outputs; the in-bounds part of each window
// (rows i0..<i1, columns j0..<j1) is computed once per output, so the innermost loops test nothing.

extension KernelBuilder {
    /// Loops over every pooled output of every (sample, channel) plane. In `body`, `po` is the
    /// pooled element's index, `corner` the input index of its window's top-left (possibly in the
    /// padding) and `i0 i1 j0 j1` the window's in-bounds rows and columns; input element
    /// `(i, j)` of the window is at `corner + i * W + j`.
    ///
    /// In parallel, threads split the planes: a window reads and a gradient writes only its own
    /// plane, so the parts are independent. `zeroing` first zeroes the input-shaped `out` (a
    /// gradient), each part its own planes.
    private mutating func poolWindows(_ p: PoolAttributes, input: TensorType, pooled: [Int], zeroing: Bool = false,
                                      _ body: (inout KernelBuilder) -> Void) {
        let (h, w, ho, wo) = (input.shape[2], input.shape[3], pooled[2], pooled[3])
        let planes = input.shape[0] * input.shape[1]
        let (kh, kw, sh, sw, ph, pw) = (p.window[0], p.window[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1])
        guard planes * ho * wo > 0 else { return zeroing ? zero(input.count, input.dtype) : () }
        parallelFor(planes, work: planes * ho * wo * kh * kw) { k, range in
            if zeroing && range.parts == 1 {
                k.zero(input.count, input.dtype)
            } else if zeroing {
                k.line(k.call(.memset, "out + lo * \(h * w)", "0", "(hi - lo) * \(h * w) * sizeof(\(cType(input.dtype)))") + ";")
            }
            k.open("for (long c = \(range.lo); c < \(range.hi); c++)")
            k.open("for (long oy = 0; oy < \(ho); oy++)")
            k.line("long i0 = \(ph) - oy * \(sh), i1 = \(h + ph) - oy * \(sh);")
            k.line("if (i0 < 0) i0 = 0;")
            k.line("if (i1 > \(kh)) i1 = \(kh);")
            k.open("for (long ox = 0; ox < \(wo); ox++)")
            k.line("long j0 = \(pw) - ox * \(sw), j1 = \(w + pw) - ox * \(sw);")
            k.line("if (j0 < 0) j0 = 0;")
            k.line("if (j1 > \(kw)) j1 = \(kw);")
            k.line("long po = (c * \(ho) + oy) * \(wo) + ox;")
            k.line("long corner = c * \(h * w) + (oy * \(sh)\(minus(ph))) * \(w) + ox * \(sw)\(minus(pw));")
            body(&k)
            k.close()
            k.close()
            k.close()
        }
    }

    /// Declares `best`, the first maximum of the window in row-major order (a NaN is the maximum:
    /// the first one wins), and `at`, its input index. Windows are never empty when the input is
    /// not: the padding is smaller than the window. With `branchless`, floats take the maximum
    /// by bit masks: which element wins is data, which branches mispredict. (The gradient keeps
    /// the branch: there the scatter's address would wait for every comparison, measured slower.)
    private mutating func firstMaximum(_ x: TensorType, branchless: Bool) {
        let w = x.shape[3]
        line("long at = corner + i0 * \(w) + j0;")
        line("\(cType(x.dtype)) best = x[at];")
        open("for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++)")
        line("long here = corner + i * \(w) + j;")
        line("\(cType(x.dtype)) v = x[here];")
        if branchless && x.dtype.isFloat {
            line("int take = (best == best) & ((v > best) | (v != v));")
            line("best = \(call(.pickFloat(x.dtype), "take", "v", "best"));")
            line("at += (here - at) & -(long)take;")
        } else {
            line("if (best == best && (v > best || v != v)) { best = v; at = here; }")
        }
        close()
    }

    /// The first maximum of each window (padding ignored); `-inf` for windows of an empty input.
    mutating func lowerMaxPool(_ p: PoolAttributes, _ x: TensorType, _ out: TensorType) {
        if poolFromLibrary(LibraryKernel.maxPool, p, input: x, pooled: out.shape, inline: { $0.lowerMaxPool(p, x, out) }) { return }
        guard x.count > 0 else { return fill("out", count: out.count, value: .float(-.infinity), out.dtype) }
        poolWindows(p, input: x, pooled: out.shape) { k in
            k.firstMaximum(x, branchless: true)
            k.line("out[po] = best;")
        }
    }

    /// The window sum over in-bounds positions (row-major) divided by the full window size.
    mutating func lowerAvgPool(_ p: PoolAttributes, _ x: TensorType, _ out: TensorType) {
        if poolFromLibrary(LibraryKernel.avgPool, p, input: x, pooled: out.shape, inline: { $0.lowerAvgPool(p, x, out) }) { return }
        guard x.count > 0 else { return zero(out.count, out.dtype) }
        poolWindows(p, input: x, pooled: out.shape) { k in
            k.line("\(cType(x.dtype)) sum = 0;")
            k.line("for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) sum += x[corner + i * \(x.shape[3]) + j];")
            k.line("out[po] = sum / \(p.window[0] * p.window[1]);")
        }
    }

    /// Each output gradient added at the first maximum of its window.
    mutating func lowerMaxPoolGrad(_ p: PoolAttributes, _ x: TensorType, _ grad: TensorType) {
        if poolFromLibrary(LibraryKernel.maxPoolGrad, p, input: x, pooled: grad.shape, inline: { $0.lowerMaxPoolGrad(p, x, grad) }) { return }
        poolWindows(p, input: x, pooled: grad.shape, zeroing: true) { k in
            k.firstMaximum(x, branchless: false)
            k.line("out[at] += grad[po];")
        }
    }

    /// Each output gradient divided by the window size, added at every in-bounds window position.
    mutating func lowerAvgPoolGrad(_ p: PoolAttributes, _ x: TensorType, _ grad: TensorType) {
        if poolFromLibrary(LibraryKernel.avgPoolGrad, p, input: x, pooled: grad.shape, inline: { $0.lowerAvgPoolGrad(p, x, grad) }) { return }
        poolWindows(p, input: x, pooled: grad.shape, zeroing: true) { k in
            k.line("\(cType(x.dtype)) share = grad[po] / \(p.window[0] * p.window[1]);")
            k.line("for (long i = i0; i < i1; i++) for (long j = j0; j < j1; j++) out[corner + i * \(x.shape[3]) + j] += share;")
        }
    }
}

/// ` - n` for a positive `n`, nothing for 0.
private func minus(_ n: Int) -> String { n == 0 ? "" : " - \(n)" }
