import KilnSupport

/// The largest `.kir` file Kiln reads (1 GiB).
public let maxModuleFileBytes = 1 << 30

/// The bytes of the `.kir` file at `path`, read in chunks: a file larger than `maxModuleFileBytes`
/// or holding a NUL byte (a binary file, /dev/zero) is an error as soon as its first offending
/// chunk arrives, so no input makes Kiln read without end.
public func readModuleFile(_ path: String) throws(KilnError) -> [UInt8] {
    try readFileBytes(path, limit: maxModuleFileBytes) { chunk, offset throws(KilnError) in
        guard let nul = chunk.firstIndex(of: 0) else { return }
        throw KilnError("\(path): byte \(offset + nul) is NUL: a .kir file is UTF-8 text (is '\(path)' a binary file?)")
    }
}

/// Reads, parses and verifies the `.kir` file at `path`.
public func loadModule(path: String) throws(KilnError) -> IRModule {
    let module = try parseModule(bytes: try readModuleFile(path), file: path)
    try verify(module)
    return module
}
