/// Tiles equally sized images (row-major, `width * height` values each, or `* 3` for RGB) into
/// one picture of `columns` per row with a one-pixel white gap; missing tiles stay black.
public func imageGrid(_ images: [[Float]], width: Int, height: Int, columns: Int) -> (pixels: [Float], width: Int, height: Int) {
    let channels = max(1, (images.first?.count ?? 0) / max(1, width * height))
    let columns = max(1, min(columns, images.count))
    let rows = (images.count + columns - 1) / columns
    let (gridWidth, gridHeight) = (columns * (width + 1) - 1, max(0, rows * (height + 1) - 1))
    var pixels = [Float](repeating: 1, count: gridWidth * gridHeight * channels)
    for index in 0..<(rows * columns) {
        let image = index < images.count ? images[index] : []
        let (left, top) = ((index % columns) * (width + 1), (index / columns) * (height + 1))
        for y in 0..<height {
            for x in 0..<width * channels {
                let source = y * width * channels + x
                pixels[((top + y) * gridWidth + left) * channels + x] = source < image.count ? image[source] : 0
            }
        }
    }
    return (pixels, gridWidth, gridHeight)
}

/// Maps values to RGB in [0, 1] (three per value) from black through red and yellow to white,
/// the smallest value black and the largest white.
public func heatMap(_ values: [Float]) -> [Float] {
    let finite = values.filter(\.isFinite)
    let (low, high) = (finite.min() ?? 0, finite.max() ?? 0)
    let range = high > low ? high - low : 1
    return values.flatMap { value -> [Float] in
        let t = value.isFinite ? (value - low) / range : 0
        return [min(max(3 * t, 0), 1), min(max(3 * t - 1, 0), 1), min(max(3 * t - 2, 0), 1)]
    }
}

/// The mean of `count` equally sized images stored one after another in `pixels`, pixel by pixel.
public func meanImage(_ pixels: [Double], count: Int) -> [Double] {
    let size = count > 0 ? pixels.count / count : 0
    return (0..<size).map { i in stride(from: i, to: size * count, by: size).map { pixels[$0] }.reduce(0, +) / Double(count) }
}
