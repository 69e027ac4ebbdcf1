import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import KilnRuntime
import KilnSupport

/// The page-aligned memory holding a compiled function's intermediates. A large arena's pages
/// are written once on another core (`prefaultInBackground`) while libtcc compiles and the
/// caller gets ready, so that the kernel's page faults and page zeroing, about 10 ms for 20 MiB
/// here, are not paid by the first call.
final class Arena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    let bytes: Int
    private let prefaulted = DispatchGroup()

    /// Arenas smaller than this fault in quicker than a thread starts.
    static let prefaultThreshold = 1 << 20
    static let pageBytes = 4096

    init(bytes: Int, of function: String) throws(KilnError) {
        guard bytes <= HostTensor.maxBytes else {
            throw KilnError("@\(function) needs an arena of \(bytes) bytes for its intermediates, more than the \(HostTensor.maxBytes >> 30) GiB limit; use smaller shapes")
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, Self.pageBytes, max(bytes, 1)) == 0, let raw else {
            throw KilnError("out of memory allocating the \(bytes)-byte arena of @\(function)")
        }
        (base, self.bytes) = (raw, bytes)
    }

    deinit {
        prefaulted.wait()
        free(base)
    }

    /// Starts writing one byte of every page on another thread, when the arena is large enough
    /// to be worth it; `memory` waits for it. (Page faults take per-area locks, so they do not
    /// hold up libtcc's own mappings, as `MADV_POPULATE_WRITE` would.)
    func prefaultInBackground() {
        guard bytes >= Self.prefaultThreshold else { return }
        DispatchQueue.global(qos: .userInitiated).async(group: prefaulted) { [self] in
            for offset in stride(from: 0, to: bytes, by: Self.pageBytes) { base.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self) }
        }
    }

    /// The arena's first byte, once its pages are in.
    var memory: UnsafeMutableRawPointer {
        prefaulted.wait()
        return base
    }
}
