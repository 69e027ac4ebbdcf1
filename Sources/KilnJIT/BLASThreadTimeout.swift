#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's idle threads spin, calling `sched_yield`, for 2^`OPENBLAS_THREAD_TIMEOUT` cycles
/// after each product before they sleep (default 2^28, about 0.1 s). Compiled code runs its own
/// threads on the same cores between products, and that spinning takes the cores from them.
/// Once per process, unless `OPENBLAS_THREAD_TIMEOUT` or `GOTO_THREAD_TIMEOUT` is set, Kiln sets
/// the timeout to 2^`blasThreadTimeoutExponent` cycles: it sets the variable, has OpenBLAS read
/// its environment again and stops its threads, which the next product restarts. Nothing happens
/// with a BLAS that lacks OpenBLAS's entry points. Runs before the first function is compiled,
/// when no compiled code is calling BLAS.
private let blasThreadTimeoutExponent = 16

let shortenBLASThreadTimeoutOnce: Void = {
    guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil, getenv("GOTO_THREAD_TIMEOUT") == nil,
          let readEnvironment = dlsym(nil, "openblas_read_env"),
          let shutdown = dlsym(nil, "blas_thread_shutdown_") else { return }
    typealias Procedure = @convention(c) () -> Void
    setenv("OPENBLAS_THREAD_TIMEOUT", String(blasThreadTimeoutExponent), 0)
    unsafeBitCast(readEnvironment, to: Procedure.self)()
    unsafeBitCast(shutdown, to: Procedure.self)()
}()
