import KilnIR
import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// The few functions and handles of Open MPI that Kiln calls, loaded with `dlopen` when
/// distributed training is asked for, so that Kiln neither links nor needs MPI otherwise.
///
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, ...) are the addresses of its
/// exported objects (`ompi_mpi_comm_world`, ...); `MPI_IN_PLACE` is `(void *)1`.
struct MPILibrary {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
                                           Int32, UnsafeMutablePointer<Int32>?) -> Int32
    typealias CommInt = @convention(c) (Handle, UnsafeMutablePointer<Int32>?) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    /// `MPI_Iallreduce`; its last argument is an `MPI_Request *` (a pointer-sized handle).
    typealias Iallreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle,
                                           UnsafeMutablePointer<Handle?>?) -> Int32
    /// `MPI_Wait(request, status)`.
    typealias Wait = @convention(c) (UnsafeMutablePointer<Handle?>?, UnsafeMutableRawPointer?) -> Int32
    /// `MPI_Test(request, flag, status)`.
    typealias Test = @convention(c) (UnsafeMutablePointer<Handle?>?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias Flag = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32

    /// The shared library: `KILN_MPI_LIBRARY` if set (a path or a name), else Open MPI's
    /// `libmpi.so.40` (Debian's `libopenmpi3`, installed with `libopenmpi-dev`).
    static var libraryName: String { getenv("KILN_MPI_LIBRARY").map { String(cString: $0) } ?? "libmpi.so.40" }
    /// `MPI_THREAD_SERIALIZED`: one thread at a time calls MPI.
    static let threadSerialized: Int32 = 2

    let initThread: InitThread, initialized: Flag, finalized: Flag, finalize: Finalize
    let commRank: CommInt, commSize: CommInt
    let allreduce: Allreduce, bcast: Bcast, abort: Abort
    let iallreduce: Iallreduce, wait: Wait, test: Test
    let commWorld: Handle, sum: Handle, byte: Handle
    let float: Handle, double: Handle, int32: Handle, int64: Handle
    /// `MPI_IN_PLACE`.
    let inPlace = UnsafeRawPointer(bitPattern: 1)
    /// `MPI_STATUS_IGNORE`.
    let statusIgnore: UnsafeMutableRawPointer? = nil

    /// Loads Open MPI, or throws naming the packages to install.
    init() throws(KilnError) {
        // RTLD_GLOBAL: Open MPI's plugins resolve libmpi's symbols through the global scope.
        let name = Self.libraryName
        guard let library = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw KilnError("distributed training needs Open MPI, but \(name) could not be loaded (\(reason)); " +
                            "install it with `apt-get install openmpi-bin libopenmpi-dev` and launch with mpirun")
        }
        func symbol(_ name: String) throws(KilnError) -> Handle {
            guard let address = dlsym(library, name) else {
                throw KilnError("\(name) has no symbol '\(name)': Kiln needs Open MPI 4 or later (Debian's openmpi-bin libopenmpi-dev)")
            }
            return address
        }
        func function<F>(_ name: String, as type: F.Type) throws(KilnError) -> F { unsafeBitCast(try symbol(name), to: type) }
        initThread = try function("MPI_Init_thread", as: InitThread.self)
        initialized = try function("MPI_Initialized", as: Flag.self)
        finalized = try function("MPI_Finalized", as: Flag.self)
        finalize = try function("MPI_Finalize", as: Finalize.self)
        commRank = try function("MPI_Comm_rank", as: CommInt.self)
        commSize = try function("MPI_Comm_size", as: CommInt.self)
        allreduce = try function("MPI_Allreduce", as: Allreduce.self)
        bcast = try function("MPI_Bcast", as: Bcast.self)
        iallreduce = try function("MPI_Iallreduce", as: Iallreduce.self)
        wait = try function("MPI_Wait", as: Wait.self)
        test = try function("MPI_Test", as: Test.self)
        abort = try function("MPI_Abort", as: Abort.self)
        commWorld = try symbol("ompi_mpi_comm_world")
        sum = try symbol("ompi_mpi_op_sum")
        byte = try symbol("ompi_mpi_byte")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        int32 = try symbol("ompi_mpi_int32_t")
        int64 = try symbol("ompi_mpi_int64_t")
    }

    /// The MPI datatype of `dtype`'s elements.
    func datatype(_ dtype: DType) throws(KilnError) -> Handle {
        switch dtype {
        case .f32: return float
        case .f64: return double
        case .i32: return int32
        case .i64: return int64
        case .bool: throw KilnError("all-reduce of bool tensors is not supported; convert them to i32 first")
        }
    }
}
