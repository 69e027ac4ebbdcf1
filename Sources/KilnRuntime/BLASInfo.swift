#if canImport(Glibc)
import Glibc
#endif

/// The kernels OpenBLAS runs on this CPU (`Haswell`, `SkylakeX`, `Cooperlake`, ...: its own
/// choice, or `OPENBLAS_CORETYPE`'s), or nil with a BLAS other than OpenBLAS.
public var openBLASCoreName: String? {
    guard let symbol = dlsym(nil, "openblas_get_corename") else { return nil }
    typealias Name = @convention(c) () -> UnsafePointer<CChar>?
    return unsafeBitCast(symbol, to: Name.self)().map { String(cString: $0) }
}
