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
/// small enough to stay in cache and to keep big images from needing a huge buffer.
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

    /// Calls `body(entry, pixel)` for every im2col entry of the output positions `range` that lies
    /// inside the image: `entry` indexes the `[patchSize, range.count]` tile, `pixel` the image.
    @inline(__always)
    func forEachPatchEntry(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
        let count = range.count
        let (firstY, firstX) = range.lowerBound.quotientAndRemainder(dividingBy: outWidth)
        var row = 0
        for c in 0..<channels {
            for i in 0..<kh {
                let offsetY = i * dilation.0 - padding.0
                for j in 0..<kw {
                    let offsetX = j * dilation.1 - padding.1
                    var (y, x) = (firstY, firstX)
                    for entry in row * count..<(row + 1) * count {
                        let iy = y * stride.0 + offsetY, ix = x * stride.1 + offsetX
                        if iy >= 0 && iy < height && ix >= 0 && ix < width {
                            body(entry, (c * height + iy) * width + ix)
                        }
                        x += 1
                        if x == outWidth { (y, x) = (y + 1, 0) }
                    }
                    row += 1
                }
            }
        }
    }

    /// Fills `tile` with the im2col columns `range` of `image`.
    func im2col<T: BLASFloat>(_ image: UnsafePointer<T>, _ range: Range<Int>, _ tile: UnsafeMutablePointer<T>) {
        tile.update(repeating: 0, count: patchSize * range.count)
        forEachPatchEntry(range) { entry, pixel in tile[entry] = image[pixel] }
    }

    /// Adds every entry of the im2col tile of columns `range` to the image pixel it was read from.
    func col2im<T: BLASFloat>(_ tile: UnsafePointer<T>, _ range: Range<Int>, _ image: UnsafeMutablePointer<T>) {
        forEachPatchEntry(range) { entry, pixel in image[pixel] += tile[entry] }
    }
}
