import CPNG
import Glibc
import Kiln

/// Writes a grayscale image (`width * height` values in [0, 1], clamped) as an 8-bit PNG,
/// creating the file's directory if it is missing.
public func writePNG(gray: [Float], width: Int, height: Int, to path: String) throws {
    try writePNG(gray, channels: 1, format: UInt32(PNG_FORMAT_GRAY), width: width, height: height, to: path)
}

/// Writes an RGB image (`width * height * 3` interleaved values in [0, 1], clamped) as an 8-bit PNG.
public func writePNG(rgb: [Float], width: Int, height: Int, to path: String) throws {
    try writePNG(rgb, channels: 3, format: UInt32(PNG_FORMAT_RGB), width: width, height: height, to: path)
}

/// libpng's simplified API, which reports failure in `image.message` instead of longjmp-ing out.
private func writePNG(_ values: [Float], channels: Int, format: UInt32, width: Int, height: Int, to path: String) throws {
    guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20 else {
        throw KilnError("PNG '\(path)': the size \(width)x\(height) must be positive (and at most 2^20 a side)")
    }
    guard values.count == width * height * channels else {
        throw KilnError("PNG '\(path)': \(values.count) values do not make a \(width)x\(height) image of \(channels) channel(s), which needs \(width * height * channels)")
    }
    try makeDirectories(parentOf: path)
    var bytes = values.map { UInt8((min(max($0.isNaN ? 0 : $0, 0), 1) * 255).rounded()) }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    let written = png_image_write_to_file(&image, path, 0, &bytes, Int32(width * channels), nil)
    let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    png_image_free(&image)
    guard written != 0 else { throw KilnError("could not write the PNG '\(path)': \(message)") }
}

/// `mkdir -p` of the directory holding `path` (of `path` itself when it ends in `/`).
func makeDirectories(parentOf path: String) throws {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
    var prefix = ""
    for (i, part) in parts.enumerated() {
        prefix += (i == 0 ? "" : "/") + part
        guard !part.isEmpty, part != ".", mkdir(prefix, 0o755) != 0, errno != EEXIST else { continue }
        throw KilnError("could not create the directory '\(prefix)' for '\(path)': \(String(cString: strerror(errno)))")
    }
}
