#if canImport(Glibc)
import Glibc
#endif

/// Reads, parses and verifies the `.kir` file at `path`.
public func loadModule(path: String) throws(KilnError) -> Module {
    let module = try parseModule(bytes: try readFileBytes(path), file: path)
    try verify(module)
    return module
}

/// The bytes of the file at `path`, or an error naming it.
public func readFileBytes(_ path: String) throws(KilnError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw KilnError("cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            guard ferror(file) == 0 else { throw KilnError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
            return bytes
        }
    }
}
