import KilnIR

// Convolutions as large products. A chunk of `nb` samples is one gemm: im2col writes the columns
// of its samples side by side, `cols = [C·KH·KW, nb·P]` (P = the output positions of one sample,
// sample s in columns s·P ..< (s+1)·P), and the chunk's NCHW responses are packed the same way,
// `[channels, nb·P]`:
//
//   conv2d              prod[O, N·P] = filter · cols      then out[n, o] = prod[o, n·P ..< (n+1)·P]
//   conv2d_transpose    cols = filterᵀ · pack(input)       then col2im adds each sample back
//   conv2d_filter_grad  out += pack(grad) · colsᵀ
//
// A chunk holds as many samples as keep its columns within `CodegenOptions.convolutionChunkElements`
// (at least one). A chunk of one sample needs no packing and its conv2d product is already NCHW,
// so it is written straight to the output: that is the interpreter's sample-by-sample order.
// A convolution with an empty image (or nothing to contract) is all zeros, as in the interpreter:
// padding alone contributes nothing, even against an infinite filter weight.

/// One image (`channels × height × width`) seen through a dilated window at the positions of the
/// response (`outHeight × outWidth`): the arguments of `kiln_im2col` and `kiln_col2im`.
private struct ConvWindow {
    let channels, height, width, kh, kw: Int
    let a: ConvAttributes
    let outHeight, outWidth: Int

    init(image: TensorType, window: [Int], response: TensorType, _ a: ConvAttributes) {
        (channels, height, width) = (image.shape[1], image.shape[2], image.shape[3])
        (kh, kw) = (window[0], window[1])
        (outHeight, outWidth) = (response.shape[2], response.shape[3])
        self.a = a
    }

    var imageSize: Int { channels * height * width }
    var positions: Int { outHeight * outWidth }
    var patchSize: Int { channels * kh * kw }
    /// A 1x1 window with unit stride and no padding: one sample's columns are the sample itself.
    var isPointwise: Bool { kh == 1 && kw == 1 && a.stride == [1, 1] && a.padding == [0, 0] }

    var helperArguments: [String] {
        [channels, height, width, kh, kw, a.stride[0], a.stride[1], a.padding[0], a.padding[1],
         a.dilation[0], a.dilation[1], outHeight, outWidth].map(String.init)
    }

    /// Samples per gemm: as many as keep a chunk's columns within `bound` elements, at least one.
    func samplesPerChunk(batch: Int, bound: Int) -> Int {
        let (perSample, overflow) = patchSize.multipliedReportingOverflow(by: positions)
        return overflow ? 1 : max(1, min(batch, bound / max(1, perSample)))
    }
}

/// Arena scratch of a convolution kernel: named regions, each 64-byte aligned.
private struct ConvScratch {
    var regions: [(name: String, offset: Int)] = []
    var bytes = 0

    /// Reserves the product of `counts` elements of `dtype`, or fails when a region would pass
    /// 2^40 bytes (the product is computed with overflow checks; the sum of at most three such
    /// regions cannot overflow).
    mutating func reserve(_ name: String, _ counts: [Int], _ dtype: DType, _ what: String) throws(KilnError) {
        var size = dtype.byteSize
        for c in counts {
            let (product, overflow) = size.multipliedReportingOverflow(by: c)
            guard !overflow, product <= 1 << 40 else {
                throw KilnError("'\(what)' needs more than 2^40 bytes of im2col scratch; use smaller shapes")
            }
            size = product
        }
        let offset = (bytes + 63) / 64 * 64
        regions.append((name, offset))
        bytes = offset + size
    }
}

/// The chunk loop's index when `first` is it (not a constant): the local a parallel part needs.
func chunkLocals(_ first: String) -> [String] { Int(first) == nil ? [first] : [] }

/// ` + first * scale`, or ` + (first + s) * scale` for sample `s` of a chunk; nothing for sample 0.
func sampleOffset(_ first: String, _ scale: Int, sample: String? = nil) -> String {
    switch (first, sample) {
    case ("0", nil): return ""
    case ("0", let s?): return " + \(s) * \(scale)"
    case (_, nil): return " + \(first) * \(scale)"
    case (_, let s?): return " + (\(first) + \(s)) * \(scale)"
    }
}

extension KernelBuilder {
    /// Declares the scratch regions as `T *name` pointers into `scratch`.
    private mutating func declare(_ s: ConvScratch, _ dtype: DType) {
        guard s.bytes > 0 else { return }
        scratchBytes = s.bytes
        let t = cType(dtype)
        for r in s.regions { declareForParts("\(t) *\(r.name) = (\(t) *)((char *)scratch + \(r.offset));") }
    }

    /// `body(first, samples)` for every chunk of `chunk` samples out of `batch`: the full chunks
    /// (a loop when there are several, `first` is then `n0`), then the smaller last one.
    private mutating func forEachChunk(batch: Int, chunk: Int,
                                       _ body: (inout KernelBuilder, String, Int) throws(KilnError) -> Void) throws(KilnError) {
        let (full, last) = batch.quotientAndRemainder(dividingBy: chunk)
        if full == 1 { try body(&self, "0", chunk) }
        if full > 1 {
            open("for (long n0 = 0; n0 < \(full * chunk); n0 += \(chunk))")
            try body(&self, "n0", chunk)
            close()
        }
        if last > 0 { try body(&self, "\(full * chunk)", last) }
    }

    /// Copies `rows` blocks of `outer × inner` rows of `length` elements from `src` (block-major:
    /// row (x, y) at `(x·inner + y)·length`) to `dst` transposed (row (x, y) at `(y·outer + x)·length`).
    /// Threads split the blocks `x` (`passing` names the locals `src` and `dst` use).
    private mutating func transposeRows(_ src: String, _ dst: String, outer: Int, inner: Int, length: Int, _ dtype: DType,
                                        passing: [String] = []) {
        guard outer * inner * length > 0 else { return }
        parallelFor(outer, work: outer * inner * length, passing: passing) { k, range in
            k.open("for (long x = \(range.lo); x < \(range.hi); x++) for (long y = 0; y < \(inner); y++)")
            k.line(k.call(.memcpy, "\(dst) + (y * \(outer) + x) * \(length)", "\(src) + (x * \(inner) + y) * \(length)",
                          "\(length) * sizeof(\(cType(dtype)))") + ";")
            k.close()
        }
    }

    /// `call(s)` for every sample `s` of a chunk of `samples`, threads splitting the samples
    /// (each call writes only its own sample's part; `work` elements per sample).
    private mutating func forEachSample(_ samples: Int, first: String, work: Int, _ call: (String) -> String) {
        parallelFor(samples, work: samples * work, passing: chunkLocals(first)) { k, range in
            k.open("for (long s = \(range.lo); s < \(range.hi); s++)")
            k.line(call("s"))
            k.close()
        }
    }

    /// The im2col columns of samples `first ..< first + samples` of `input`, side by side in `cols`;
    /// returns the matrix (`cols`, or the sample itself for one pointwise sample).
    private mutating func columns(_ input: String, first: String, samples: Int, _ g: ConvWindow,
                                  into cols: String, _ dtype: DType) -> String {
        if samples == 1 && g.isPointwise { return input + sampleOffset(first, g.imageSize) }
        let name = PreludeItem.im2col(dtype).functionName
        use(.im2col(dtype))
        let tail = ["\(samples * g.positions)"] + g.helperArguments
        if samples == 1 {
            line("\(name)(\((["\(input)\(sampleOffset(first, g.imageSize))", cols] + tail).joined(separator: ", ")));")
        } else {
            forEachSample(samples, first: first, work: g.patchSize * g.positions) { s in
                "\(name)(\((["\(input)\(sampleOffset(first, g.imageSize, sample: s))", "\(cols) + \(s) * \(g.positions)"] + tail).joined(separator: ", ")));"
            }
        }
        return cols
    }

    /// The responses (`channels × positions` each) of samples `first ..< first + samples` of
    /// `array` as one `[channels, samples·positions]` matrix: the sample itself for one sample,
    /// else packed into `packed`.
    private mutating func packedResponses(_ array: String, first: String, samples: Int, channels: Int, positions: Int,
                                          into packed: String, _ dtype: DType) -> String {
        let sample = array + sampleOffset(first, channels * positions)
        guard samples > 1 else { return sample }
        transposeRows(sample, packed, outer: samples, inner: channels, length: positions, dtype, passing: chunkLocals(first))
        return packed
    }

    /// Whether the product of `conv2d` with result type `out` is written straight to its
    /// destination in NCHW order: every chunk is one sample, there is one output channel, or
    /// the result is empty or all zeros. Otherwise it goes to scratch `prod` as `[O, N·P]`.
    func convolutionWritesInPlace(_ a: ConvAttributes, _ inputType: TensorType, _ filterType: TensorType, _ out: TensorType,
                                  chunkElements: Int) -> Bool {
        let g = ConvWindow(image: inputType, window: Array(filterType.shape[2...]), response: out, a)
        return out.count == 0 || inputType.count == 0 || out.shape[1] == 1
            || g.samplesPerChunk(batch: out.shape[0], bound: chunkElements) == 1
    }

    /// Computes the product of `conv2d(input, filter)` with result type `out`, reading the operand
    /// arrays `input` and `filter`. Writes it to `destination` (NCHW) when
    /// `convolutionWritesInPlace`, else to scratch `prod` as `[O, N·P]`. Returns the array
    /// holding the product and its strides over `out`'s shape.
    ///
    /// With `epilogue`, a product in scratch holds one chunk only (`[O, samples·P]`, strides
    /// `[P, samples·P, W, 1]` over the chunk's samples) and `epilogue(first, samples)` runs after
    /// each chunk's gemm, while the chunk is still in cache; the returned strides are then the
    /// last chunk's.
    mutating func convolutionProduct(_ a: ConvAttributes, input: String, _ inputType: TensorType, filter: String,
                                     _ filterType: TensorType, _ out: TensorType, into destination: String, chunkElements: Int,
                                     epilogue: ((inout KernelBuilder, String, Int) throws(KilnError) -> Void)? = nil)
        throws(KilnError) -> (array: String, strides: [Int]) {
        let direct = (array: destination, strides: rowMajorStrides(out.shape))
        let (batch, o) = (out.shape[0], out.shape[1])
        let g = ConvWindow(image: inputType, window: Array(filterType.shape[2...]), response: out, a)
        guard out.count > 0 else { return direct }
        guard inputType.count > 0 else {
            fill(destination, count: out.count, value: .int(0), out.dtype)
            return direct
        }
        let chunk = g.samplesPerChunk(batch: batch, bound: chunkElements)
        let p = g.positions
        let inPlace = convolutionWritesInPlace(a, inputType, filterType, out, chunkElements: chunkElements)
        let perChunk = epilogue != nil && !inPlace
        var s = ConvScratch()
        if !(chunk == 1 && g.isPointwise) { try s.reserve("cols", [g.patchSize, chunk, p], out.dtype, "conv2d") }
        if !inPlace { try s.reserve("prod", perChunk ? [o, chunk, p] : [out.count], out.dtype, "conv2d") }
        declare(s, out.dtype)
        var strides = [p, batch * p, out.shape[3], 1]
        try forEachChunk(batch: batch, chunk: chunk) { k, first, samples throws(KilnError) in
            let cols = k.columns(input, first: first, samples: samples, g, into: "cols", out.dtype)
            let (c, ldc) = inPlace ? (destination + sampleOffset(first, o * p), samples * p)
                : perChunk ? ("prod", samples * p) : ("prod" + sampleOffset(first, p), batch * p)
            try k.gemm(out.dtype, GemmCall(m: o, n: samples * p, k: g.patchSize, a: filter, lda: g.patchSize,
                                           b: cols, ldb: samples * p, c: c, ldc: ldc), passing: chunkLocals(first))
            guard perChunk, let epilogue else { return }
            strides = [p, samples * p, out.shape[3], 1]
            try epilogue(&k, first, samples)
        }
        return inPlace ? direct : ("prod", strides)
    }

    /// `out = conv2d(input, filter)`: the product, then its rows moved into NCHW order when it
    /// was computed as `[O, N·P]`.
    mutating func lowerConv2d(_ a: ConvAttributes, _ input: TensorType, _ filter: TensorType, _ out: TensorType,
                              chunkElements: Int) throws(KilnError) {
        let product = try convolutionProduct(a, input: "input", input, filter: "filter", filter, out, into: "out",
                                             chunkElements: chunkElements)
        guard product.array != "out" else { return }
        transposeRows(product.array, "out", outer: out.shape[1], inner: out.shape[0], length: out.shape[2] * out.shape[3], out.dtype)
    }

    /// `out = conv2d_transpose(input, filter)`: per chunk, `cols = filterᵀ · pack(input)`, then
    /// col2im of each sample's columns into its output image.
    mutating func lowerConv2dTranspose(_ a: ConvAttributes, _ input: TensorType, _ filter: TensorType, _ out: TensorType,
                                       chunkElements: Int) throws(KilnError) {
        let (batch, ci) = (input.shape[0], input.shape[1])
        let g = ConvWindow(image: out, window: Array(filter.shape[2...]), response: input, a)
        guard out.count > 0 else { return }
        guard ci * g.positions > 0 else { return zero(out.count, out.dtype) }
        let chunk = g.samplesPerChunk(batch: batch, bound: chunkElements)
        let p = g.positions
        var s = ConvScratch()
        try s.reserve("cols", [g.patchSize, chunk, p], out.dtype, "conv2d_transpose")
        if chunk > 1 { try s.reserve("packed", [ci, chunk, p], out.dtype, "conv2d_transpose") }
        declare(s, out.dtype)
        let col2im = PreludeItem.col2im(out.dtype).functionName
        use(.col2im(out.dtype))
        try forEachChunk(batch: batch, chunk: chunk) { k, first, samples throws(KilnError) in
            let b = k.packedResponses("input", first: first, samples: samples, channels: ci, positions: p, into: "packed", out.dtype)
            try k.gemm(out.dtype, GemmCall(transA: true, m: g.patchSize, n: samples * p, k: ci, a: "filter", lda: g.patchSize,
                                           b: b, ldb: samples * p, c: "cols", ldc: samples * p), passing: chunkLocals(first))
            let tail = ["\(samples * p)"] + g.helperArguments
            if samples == 1 {
                k.line("\(col2im)(\((["cols", "out\(sampleOffset(first, g.imageSize))"] + tail).joined(separator: ", ")));")
            } else {
                k.forEachSample(samples, first: first, work: g.patchSize * p) { s in
                    "\(col2im)(\((["cols + \(s) * \(p)", "out\(sampleOffset(first, g.imageSize, sample: s))"] + tail).joined(separator: ", ")));"
                }
            }
        }
    }

    /// `out = conv2d_filter_grad(input, grad)`: zeroed, then per chunk `out += pack(grad) · colsᵀ`.
    mutating func lowerConv2dFilterGrad(_ a: ConvAttributes, window: [Int], _ input: TensorType, _ grad: TensorType,
                                        _ out: TensorType, chunkElements: Int) throws(KilnError) {
        let (batch, o) = (grad.shape[0], grad.shape[1])
        let g = ConvWindow(image: input, window: window, response: grad, a)
        guard out.count > 0 else { return }
        zero(out.count, out.dtype)
        guard input.count > 0 && grad.count > 0 else { return }
        let chunk = g.samplesPerChunk(batch: batch, bound: chunkElements)
        let p = g.positions
        var s = ConvScratch()
        if !(chunk == 1 && g.isPointwise) { try s.reserve("cols", [g.patchSize, chunk, p], out.dtype, "conv2d_filter_grad") }
        if chunk > 1 { try s.reserve("packed", [o, chunk, p], out.dtype, "conv2d_filter_grad") }
        declare(s, out.dtype)
        try forEachChunk(batch: batch, chunk: chunk) { k, first, samples throws(KilnError) in
            let r = k.packedResponses("grad", first: first, samples: samples, channels: o, positions: p, into: "packed", out.dtype)
            let cols = k.columns("input", first: first, samples: samples, g, into: "cols", out.dtype)
            try k.gemm(out.dtype, GemmCall(transB: true, m: o, n: g.patchSize, k: samples * p, a: r, lda: samples * p,
                                           b: cols, ldb: samples * p, beta: 1, c: "out", ldc: g.patchSize), passing: chunkLocals(first))
        }
    }
}

/// `kiln_im2col_<dtype>`: the columns of one sample into `col`, whose rows are `ld` elements apart.
func im2colDefinition(_ name: String, _ d: DType) -> String {
    let t = cType(d)
    return """
    /* col[((c*kh + i)*kw + j)*ld + y*wo + x] = in[c][y*sh - ph + i*dh][x*sw - pw + j*dw], 0 outside */
    static void \(name)(const \(t) *in, \(t) *col, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long ho, long wo) {
      for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
        \(t) *row = col + ((c * kh + i) * kw + j) * ld;
        long off = j * dw - pw;
        long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
        if (x0 < 0) x0 = 0;
        if (x1 > wo) x1 = wo;
        if (x1 < x0) x1 = x0;
        if (sh == 1 && sw == 1 && wo == w) {
          /* unit stride, rows as wide as the image's: the in-bounds rows are one shifted run of
             the plane, copied at once; then the columns outside the image are zeroed */
          long y0 = ph - i * dh, y1 = h + ph - i * dh;
          if (y0 < 0) y0 = 0;
          if (y1 > ho) y1 = ho;
          if (y1 < y0) y1 = y0;
          memset(row, 0, y0 * wo * sizeof(\(t)));
          memset(row + y1 * wo, 0, (ho - y1) * wo * sizeof(\(t)));
          if (y1 == y0) continue;
          const \(t) *src = in + (c * h + y0 - ph + i * dh) * w + off;
          long lo = off < 0 ? -off : 0, hi = (y1 - y0) * w - (off > 0 ? off : 0);
          if (hi > lo) memcpy(row + y0 * wo + lo, src + lo, (hi - lo) * sizeof(\(t)));
          for (long y = y0; y < y1; y++) {
            \(t) *dst = row + y * wo;
            for (long x = 0; x < x0; x++) dst[x] = 0;
            for (long x = x1; x < wo; x++) dst[x] = 0;
          }
          continue;
        }
        for (long y = 0; y < ho; y++) {
          \(t) *dst = row + y * wo;
          long iy = y * sh - ph + i * dh;
          if (iy < 0 || iy >= h) { memset(dst, 0, wo * sizeof(\(t))); continue; }
          const \(t) *src = in + (c * h + iy) * w + off;
          long x = 0;
          for (; x < x0; x++) dst[x] = 0;
          for (; x < x1; x++) dst[x] = src[x * sw];
          for (; x < wo; x++) dst[x] = 0;
        }
      }
    }
    """
}

/// `kiln_col2im_<dtype>`: one sample's columns (rows `ld` elements apart) added into the zeroed `out`.
/// The columns are scratch: with unit stride, the entries that fall outside the image are zeroed.
func col2imDefinition(_ name: String, _ d: DType) -> String {
    let t = cType(d)
    return """
    /* out[c][y*sh - ph + i*dh][x*sw - pw + j*dw] += col[((c*kh + i)*kw + j)*ld + y*wi + x] where inside; out zeroed first */
    static void \(name)(\(t) *col, \(t) *out, long ld, long c_, long h, long w, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long hi, long wi) {
      memset(out, 0, c_ * h * w * sizeof(\(t)));
      for (long c = 0; c < c_; c++) for (long i = 0; i < kh; i++) for (long j = 0; j < kw; j++) {
        \(t) *row = col + ((c * kh + i) * kw + j) * ld;
        long off = j * dw - pw;
        long x0 = kiln_ceil_div(-off, sw), x1 = kiln_ceil_div(w - off, sw);
        if (x0 < 0) x0 = 0;
        if (x1 > wi) x1 = wi;
        if (sh == 1 && sw == 1 && wi == w) {
          /* unit stride, rows as wide as the image's: the entries outside the image's columns are
             zeroed, then the in-bounds rows are added as one shifted run of the plane. The zeros land
             on neighbouring cells, whose sums started at +0 and so are never -0: adding +0 keeps them. */
          long y0 = ph - i * dh, y1 = h + ph - i * dh;
          if (y0 < 0) y0 = 0;
          if (y1 > hi) y1 = hi;
          if (y1 <= y0) continue;
          if (x1 < x0) x1 = x0;
          for (long y = y0; y < y1; y++) {
            \(t) *r = row + y * wi;
            for (long x = 0; x < x0; x++) r[x] = 0;
            for (long x = x1; x < wi; x++) r[x] = 0;
          }
          \(t) *dst = out + (c * h + y0 - ph + i * dh) * w + off;
          const \(t) *src = row + y0 * wi;
          long lo = off < 0 ? -off : 0, n = (y1 - y0) * w - (off > 0 ? off : 0);
          for (long k = lo; k < n; k++) dst[k] += src[k];
          continue;
        }
        for (long y = 0; y < hi; y++) {
          long oy = y * sh - ph + i * dh;
          if (oy < 0 || oy >= h) continue;
          \(t) *dst = out + (c * h + oy) * w + off;
          const \(t) *src = row + y * wi;
          for (long x = x0; x < x1; x++) dst[x * sw] += src[x];
        }
      }
    }
    """
}
