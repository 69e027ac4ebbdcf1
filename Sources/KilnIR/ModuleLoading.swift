#if canImport(Glibc)
import Glibc
#endif

/// Reads, parses and verifies the `.kir` file at `path`.
public func loadModule(path: String) throws(KilnError) -> IRModule {
    let module = try parseModule(bytes: try readFileBytes(path), file: path)
    try verify(module)
    return module
}
