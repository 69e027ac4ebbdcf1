import Foundation
import KilnIR
import KilnJIT
import Testing

/// Compiling a function leaves OpenBLAS with the thread timeout of `OPENBLAS_THREAD_TIMEOUT`:
/// the user's value when set, else the short one Kiln sets (docs/codegen.md, Threads), read again
/// by OpenBLAS (which would otherwise report 0, its own default, for a variable set after it loaded).
@Suite struct BLASThreadTimeoutTests {
    @Test func openBLASReadsTheTimeoutInTheEnvironment() throws {
        let f = try singleOp(.unary(.neg), [TensorType(.f32, [3])])
        _ = try JITCompiler(capacity: 1).compile(f)
        let text = try #require(getenv("OPENBLAS_THREAD_TIMEOUT").map { String(cString: $0) })
        let value = try #require(Int32(text), "OPENBLAS_THREAD_TIMEOUT=\(text)")
        let timeout = try #require(dlsym(nil, "openblas_thread_timeout"), "the BLAS is OpenBLAS")
        let read = unsafeBitCast(timeout, to: (@convention(c) () -> Int32).self)()
        #expect(read == value)
    }
}
