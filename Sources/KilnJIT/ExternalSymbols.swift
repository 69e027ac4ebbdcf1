import CBLAS
import CKilnKernels
import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

// Every function generated code may call, bound by name: the prototypes of KilnCodegen's prelude
// on one side, these addresses on the other. Taking each address from a typed Swift reference
// makes the linker keep the library and the compiler check the signature.

private typealias FloatFunction = @convention(c) (Float) -> Float
private typealias DoubleFunction = @convention(c) (Double) -> Double
private typealias FloatBinary = @convention(c) (Float, Float) -> Float
private typealias DoubleBinary = @convention(c) (Double, Double) -> Double
private typealias Sgemm = @convention(c) (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Float,
                                          UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint, Float,
                                          UnsafeMutablePointer<Float>?, blasint) -> Void
private typealias Dgemm = @convention(c) (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Double,
                                          UnsafePointer<Double>?, blasint, UnsafePointer<Double>?, blasint, Double,
                                          UnsafeMutablePointer<Double>?, blasint) -> Void
private typealias Memcpy = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer, Int) -> UnsafeMutableRawPointer?
private typealias AllReduceStart = @convention(c) (UnsafeMutableRawPointer?, Int, Int32, Int32) -> Int
private typealias AllReduceRequest = @convention(c) (Int) -> Void
private typealias Memset = @convention(c) (UnsafeMutableRawPointer, Int32, Int) -> UnsafeMutableRawPointer?
private typealias ThreadCreate = @convention(c) (UnsafeMutablePointer<pthread_t>, UnsafePointer<pthread_attr_t>?,
                                                 @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?,
                                                 UnsafeMutableRawPointer?) -> Int32
private typealias ThreadJoin = @convention(c) (pthread_t, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
private typealias MutexInit = @convention(c) (UnsafeMutablePointer<pthread_mutex_t>, UnsafePointer<pthread_mutexattr_t>?) -> Int32
private typealias MutexFunction = @convention(c) (UnsafeMutablePointer<pthread_mutex_t>) -> Int32
private typealias CondInit = @convention(c) (UnsafeMutablePointer<pthread_cond_t>, UnsafePointer<pthread_condattr_t>?) -> Int32
private typealias CondFunction = @convention(c) (UnsafeMutablePointer<pthread_cond_t>) -> Int32
private typealias CondWait = @convention(c) (UnsafeMutablePointer<pthread_cond_t>, UnsafeMutablePointer<pthread_mutex_t>) -> Int32

private typealias ImageF32 = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int, Int, Int, Int, Int, Int,
                                               Int, Int, Int, Int, Int, Int, Int, Int) -> Void
private typealias ImageF64 = @convention(c) (UnsafePointer<Double>?, UnsafeMutablePointer<Double>?, Int, Int, Int, Int, Int, Int,
                                               Int, Int, Int, Int, Int, Int, Int, Int) -> Void
/// col2im writes its columns too (it zeroes the entries outside the image).
private typealias ColumnsF32 = @convention(c) (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int, Int, Int, Int, Int, Int,
                                                 Int, Int, Int, Int, Int, Int, Int, Int) -> Void
private typealias ColumnsF64 = @convention(c) (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?, Int, Int, Int, Int, Int, Int,
                                                 Int, Int, Int, Int, Int, Int, Int, Int) -> Void
private typealias PoolF32 = @convention(c) (UnsafeMutablePointer<Float>?, UnsafePointer<Float>?, Int, Int, Int, Int, Int, Int,
                                              Int, Int, Int, Int, Int, Int) -> Void
private typealias PoolF64 = @convention(c) (UnsafeMutablePointer<Double>?, UnsafePointer<Double>?, Int, Int, Int, Int, Int, Int,
                                              Int, Int, Int, Int, Int, Int) -> Void
private typealias PoolGradF32 = @convention(c) (UnsafeMutablePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, Int, Int,
                                                  Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void
private typealias PoolGradF64 = @convention(c) (UnsafeMutablePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?, Int, Int,
                                                  Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void

/// `kiln_all_reduce_start(data, count, is_double, is_mean)`: starts compiled `all_reduce` in
/// place through the active communicator and returns its request (0: done already). With
/// `kiln_all_reduce_test(request)` and `kiln_all_reduce_wait(request)`, exported under their C
/// names, so that gcc's shared objects resolve them against the process like libm and OpenBLAS.
/// A failure there ends the job: compiled code cannot throw.
@_cdecl("kiln_all_reduce_start")
public func kilnAllReduceStart(_ data: UnsafeMutableRawPointer?, _ count: Int, _ isDouble: Int32, _ isMean: Int32) -> Int {
    guard let data else { return 0 }
    return endingJobOnError { () throws(KilnError) in
        try startAllReduce(isMean != 0 ? .mean : .sum, data, count: count, dtype: isDouble != 0 ? .f64 : .f32)
    } ?? 0
}

/// Lets the request of `kiln_all_reduce_start` progress, unless `KILN_MPI_TEST=0`.
@_cdecl("kiln_all_reduce_test")
public func kilnAllReduceTest(_ request: Int) {
    guard testsReductions else { return }
    endingJobOnError { () throws(KilnError) in try progressAllReduce(request) }
}

/// Waits for the request of `kiln_all_reduce_start`: its data then holds the result.
@_cdecl("kiln_all_reduce_wait")
public func kilnAllReduceWait(_ request: Int) {
    endingJobOnError { () throws(KilnError) in try finishAllReduce(request) }
}

/// Whether `kiln_all_reduce_test` calls the communicator (`KILN_MPI_TEST`, default on).
private let testsReductions = getenv("KILN_MPI_TEST").map { String(cString: $0) != "0" } ?? true

/// `body`'s value, or nil after a failure, which the active communicator turns into the end of the job.
@discardableResult
private func endingJobOnError<T>(_ body: () throws(KilnError) -> T) -> T? {
    do throws(KilnError) {
        return try body()
    } catch {
        CommunicatorScope.active?.abort(error)
        return nil
    }
}

private func address<F>(_ function: F) -> UnsafeRawPointer {
    unsafeBitCast(function, to: UnsafeRawPointer.self)
}

/// The address of the external function `name` generated code may declare, or nil.
func externalSymbolAddress(_ name: String) -> UnsafeRawPointer? {
    switch name {
    case "memcpy": return address(memcpy as Memcpy)
    case "memset": return address(memset as Memset)
    case "kiln_all_reduce_start": return address(kilnAllReduceStart as AllReduceStart)
    case "kiln_all_reduce_test": return address(kilnAllReduceTest as AllReduceRequest)
    case "kiln_all_reduce_wait": return address(kilnAllReduceWait as AllReduceRequest)
    case "cblas_sgemm": return address(cblas_sgemm as Sgemm)
    case "cblas_dgemm": return address(cblas_dgemm as Dgemm)
    case "openblas_get_num_threads": return address(openblas_get_num_threads as @convention(c) () -> Int32)
    case "openblas_set_num_threads": return address(openblas_set_num_threads as @convention(c) (Int32) -> Void)
    case "expf": return address(expf as FloatFunction)
    case "logf": return address(logf as FloatFunction)
    case "sqrtf": return address(sqrtf as FloatFunction)
    case "tanhf": return address(tanhf as FloatFunction)
    case "sinf": return address(sinf as FloatFunction)
    case "cosf": return address(cosf as FloatFunction)
    case "floorf": return address(floorf as FloatFunction)
    case "powf": return address(powf as FloatBinary)
    case "exp": return address(exp as DoubleFunction)
    case "log": return address(log as DoubleFunction)
    case "sqrt": return address(sqrt as DoubleFunction)
    case "tanh": return address(tanh as DoubleFunction)
    case "sin": return address(sin as DoubleFunction)
    case "cos": return address(cos as DoubleFunction)
    case "floor": return address(floor as DoubleFunction)
    case "pow": return address(pow as DoubleBinary)
    case "kiln_lib_im2col_f32": return address(kiln_lib_im2col_f32 as ImageF32)
    case "kiln_lib_col2im_f32": return address(kiln_lib_col2im_f32 as ColumnsF32)
    case "kiln_lib_max_pool_f32": return address(kiln_lib_max_pool_f32 as PoolF32)
    case "kiln_lib_avg_pool_f32": return address(kiln_lib_avg_pool_f32 as PoolF32)
    case "kiln_lib_max_pool_grad_f32": return address(kiln_lib_max_pool_grad_f32 as PoolGradF32)
    case "kiln_lib_avg_pool_grad_f32": return address(kiln_lib_avg_pool_grad_f32 as PoolF32)
    case "kiln_lib_im2col_f64": return address(kiln_lib_im2col_f64 as ImageF64)
    case "kiln_lib_col2im_f64": return address(kiln_lib_col2im_f64 as ColumnsF64)
    case "kiln_lib_max_pool_f64": return address(kiln_lib_max_pool_f64 as PoolF64)
    case "kiln_lib_avg_pool_f64": return address(kiln_lib_avg_pool_f64 as PoolF64)
    case "kiln_lib_max_pool_grad_f64": return address(kiln_lib_max_pool_grad_f64 as PoolGradF64)
    case "kiln_lib_avg_pool_grad_f64": return address(kiln_lib_avg_pool_grad_f64 as PoolF64)
    case "pthread_create": return address(pthread_create as ThreadCreate)
    case "pthread_join": return address(pthread_join as ThreadJoin)
    case "pthread_mutex_init": return address(pthread_mutex_init as MutexInit)
    case "pthread_mutex_destroy": return address(pthread_mutex_destroy as MutexFunction)
    case "pthread_mutex_lock": return address(pthread_mutex_lock as MutexFunction)
    case "pthread_mutex_unlock": return address(pthread_mutex_unlock as MutexFunction)
    case "pthread_cond_init": return address(pthread_cond_init as CondInit)
    case "pthread_cond_destroy": return address(pthread_cond_destroy as CondFunction)
    case "pthread_cond_wait": return address(pthread_cond_wait as CondWait)
    case "pthread_cond_broadcast": return address(pthread_cond_broadcast as CondFunction)
    case "pthread_cond_signal": return address(pthread_cond_signal as CondFunction)
    default: return kiln_lib_element_kernel(name)
    }
}

/// `names` with their addresses, or an error naming the first unknown one.
func bindSymbols(_ names: [String]) throws(KilnError) -> [(name: String, address: UnsafeRawPointer)] {
    var bound: [(name: String, address: UnsafeRawPointer)] = []
    for name in names {
        guard let address = externalSymbolAddress(name) else {
            throw KilnError("generated C calls '\(name)', which the JIT does not provide; this is a bug in Kiln's code generation")
        }
        bound.append((name, address))
    }
    return bound
}
