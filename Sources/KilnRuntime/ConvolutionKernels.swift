import KilnIR

// The three convolution products share one lowering to matrix products. Per image, the im2col
// matrix `cols` is [C*KH*KW, Ho*Wo]: row (c, i, j), column (y, x) holds
// `image[c, y*sh - ph + i*dh, x*sw - pw + j*dw]` (zero outside the image). With the filter viewed
// as F = [O, C*KH*KW] and the response (conv2d's output or its gradient) as R = [O, Ho*Wo]:
//
//   conv2d              R = F · cols
//   conv2d_transpose    image += col2im(Fᵀ · R)      (col2im adds each entry back where im2col read it)
//   conv2d_filter_grad  F += R · colsᵀ               (summed over the images)
//
// `cols` is built a tile of output positions at a time, in one scratch buffer per call.

func conv2dKernel(_ a: ConvAttributes, _ input: HostTensor, _ filter: HostTensor, _ out: HostTensor) {
    convolve(.forward, a, input, filter, out)
}

func conv2dTransposeKernel(_ a: ConvAttributes, _ input: HostTensor, _ filter: HostTensor, _ out: HostTensor) {
    convolve(.inputGradient, a, input, filter, out)
}

func conv2dFilterGradKernel(_ a: ConvAttributes, _ input: HostTensor, _ grad: HostTensor, _ out: HostTensor) {
    convolve(.filterGradient, a, input, grad, out)
}

/// Which convolution product `convolve` computes.
enum ConvProduct {
    /// `conv2d(image, filter) -> response`.
    case forward
    /// `conv2d_transpose(response, filter) -> image`.
    case inputGradient
    /// `conv2d_filter_grad(image, response) -> filter`.
    case filterGradient
}

/// Scratch elements an im2col tile aims at (1 MiB of f32): large enough for efficient products,
/// and a bound on the scratch buffer however large the image (beyond it only when one column,
/// C*KH*KW elements, is larger).
let defaultConvTileElements = 1 << 18

/// Computes `product` of the operands `x`, `y` (in the op's order) into the zero-filled `out`,
/// building im2col tiles of about `tileElements` elements (at least one output position each).
func convolve(_ product: ConvProduct, _ a: ConvAttributes, _ x: HostTensor, _ y: HostTensor, _ out: HostTensor,
              tileElements: Int = defaultConvTileElements) {
    switch out.type.dtype {
    case .f32: convolve(Float.self, product, a, x, y, out, tileElements: tileElements)
    case .f64: convolve(Double.self, product, a, x, y, out, tileElements: tileElements)
    case .i32, .i64, .bool: break  // type inference admits floats only
    }
}

private func convolve<T: BLASFloat>(_: T.Type, _ product: ConvProduct, _ a: ConvAttributes,
                                    _ x: HostTensor, _ y: HostTensor, _ out: HostTensor, tileElements: Int) {
    let (images, responses, filters) = switch product {
    case .forward: (x, out, y)
    case .inputGradient: (out, x, y)
    case .filterGradient: (x, y, out)
    }
    // Nothing to add up (no image, channel or response): the zero-filled `out` is the answer.
    guard images.count > 0, responses.count > 0 else { return }
    let g = ConvGeometry(image: images.type, window: Array(filters.type.shape[2...]), response: responses.type, a)
    let responseChannels = responses.type.shape[1]
    let (k, p) = (g.patchSize, g.positions)
    let columns = max(1, min(p, tileElements / k))
    let tile = UnsafeMutablePointer<T>.allocate(capacity: k * columns)
    defer { tile.deallocate() }
    let filter = filters.pointer(T.self)
    for n in 0..<images.type.shape[0] {
        let image = images.pointer(T.self) + n * g.imageSize
        let response = responses.pointer(T.self) + n * responseChannels * p
        for start in stride(from: 0, to: p, by: columns) {
            let range = start..<min(start + columns, p)
            let width = range.count
            switch product {
            case .forward:
                g.im2col(image, range, tile)
                gemm(transposeA: false, transposeB: false, m: responseChannels, n: width, k: k,
                     filter, lda: k, tile, ldb: width, accumulate: false, response + start, ldc: p)
            case .inputGradient:
                gemm(transposeA: true, transposeB: false, m: k, n: width, k: responseChannels,
                     filter, lda: k, response + start, ldb: p, accumulate: false, tile, ldc: width)
                g.col2im(tile, range, image)
            case .filterGradient:
                g.im2col(image, range, tile)
                gemm(transposeA: false, transposeB: true, m: responseChannels, n: k, k: width,
                     response + start, lda: p, tile, ldb: width, accumulate: true, filter, ldc: k)
            }
        }
    }
}

/// One image (`channels × height × width`) seen through a dilated `kh × kw` window at
/// `outHeight × outWidth` positions.
struct ConvGeometry {
    let channels, height, width: Int
    let kh, kw: Int
    let outHeight, outWidth: Int
    let stride, padding, dilation: (Int, Int)

    /// Geometry of NCHW `image` with `window = [KH, KW]` producing the NCHW `response`.
    init(image: TensorType, window: [Int], response: TensorType, _ a: ConvAttributes) {
        (channels, height, width) = (image.shape[1], image.shape[2], image.shape[3])
        (kh, kw) = (window[0], window[1])
        (outHeight, outWidth) = (response.shape[2], response.shape[3])
        stride = (a.stride[0], a.stride[1])
        padding = (a.padding[0], a.padding[1])
        dilation = (a.dilation[0], a.dilation[1])
    }

    /// Rows of the im2col matrix: one per (channel, window row, window column).
    var patchSize: Int { channels * kh * kw }
    /// Columns of the im2col matrix: one per output position.
    var positions: Int { outHeight * outWidth }
    var imageSize: Int { channels * height * width }

    /// Calls `body(entry, pixel, count)` for every run of im2col entries of the output positions
    /// `range` that lie inside the image: entries `entry..<entry+count` of the
    /// `[patchSize, range.count]` tile come from pixels `pixel + t * stride.1`, `t < count`.
    @inline(__always)
    func forEachPatchRun(_ range: Range<Int>, _ body: (_ entry: Int, _ pixel: Int, _ count: Int) -> Void) {
        let (firstY, firstX) = range.lowerBound.quotientAndRemainder(dividingBy: outWidth)
        let (lastY, lastX) = (range.upperBound - 1).quotientAndRemainder(dividingBy: outWidth)
        var rowStart = -range.lowerBound
        for c in 0..<channels {
            for i in 0..<kh {
                let offsetY = i * dilation.0 - padding.0
                let ys = Self.inside(offset: offsetY, stride: stride.0, size: height, positions: outHeight)
                    .clamped(to: firstY..<lastY + 1)
                for j in 0..<kw {
                    let offsetX = j * dilation.1 - padding.1
                    let xs = Self.inside(offset: offsetX, stride: stride.1, size: width, positions: outWidth)
                    for y in ys {
                        let lo = max(xs.lowerBound, y == firstY ? firstX : 0)
                        let hi = min(xs.upperBound, y == lastY ? lastX + 1 : outWidth)
                        if lo < hi {
                            body(rowStart + y * outWidth + lo, (c * height + y * stride.0 + offsetY) * width + lo * stride.1 + offsetX, hi - lo)
                        }
                    }
                    rowStart += range.count
                }
            }
        }
    }

    /// Output positions `o` along an axis whose input position `o * stride + offset` is in `0..<size`.
    private static func inside(offset: Int, stride: Int, size: Int, positions: Int) -> Range<Int> {
        let lower = offset >= 0 ? 0 : (stride - 1 - offset) / stride
        let upper = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1
        let start = min(lower, positions)
        return start..<max(start, min(upper, positions))
    }

    /// Fills `tile` with the im2col columns `range` of `image`.
    func im2col<T: BLASFloat>(_ image: UnsafePointer<T>, _ range: Range<Int>, _ tile: UnsafeMutablePointer<T>) {
        tile.update(repeating: 0, count: patchSize * range.count)
        let step = stride.1
        forEachPatchRun(range) { entry, pixel, count in
            for t in 0..<count { tile[entry + t] = image[pixel + t * step] }
        }
    }

    /// Adds every entry of the im2col tile of columns `range` to the image pixel it was read from.
    func col2im<T: BLASFloat>(_ tile: UnsafePointer<T>, _ range: Range<Int>, _ image: UnsafeMutablePointer<T>) {
        let step = stride.1
        forEachPatchRun(range) { entry, pixel, count in
            for t in 0..<count { image[pixel + t * step] += tile[entry + t] }
        }
    }
}
