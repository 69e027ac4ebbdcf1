import KilnCodegen
import KilnIR
#if canImport(Glibc)
import Glibc
#endif

/// Machine code in a shared object loaded with `dlopen`; `dlclose` on deinit unmaps it, so keep
/// the module alive as long as any pointer into the code is in use.
final class SharedObjectModule: LoadedCode, @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    let entry: UnsafeMutableRawPointer

    /// Loads `path` with every symbol bound now (`RTLD_NOW`) and kept out of the global scope
    /// (`RTLD_LOCAL`); its undefined symbols (libm, OpenBLAS, memcpy) resolve against the process.
    init(path: String, entryName: String) throws(KilnError) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw KilnError("dlopen failed: \(dlerror().map { String(cString: $0) } ?? "no message")")
        }
        guard let entry = dlsym(handle, entryName) else {
            dlclose(handle)
            throw KilnError("the shared object has no \(entryName)")
        }
        self.handle = handle
        self.entry = entry
    }

    deinit {
        stopThreads(dlsym(handle, threadsStopSymbol))
        dlclose(handle)
    }

    func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
}
