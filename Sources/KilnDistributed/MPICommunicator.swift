import KilnIR
import KilnRuntime
import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// `MPI_COMM_WORLD` of Open MPI as a `Communicator`: every process `mpirun` started.
///
/// MPI's default error handler on the world communicator ends the whole job on any failed call,
/// and `mpirun` ends every rank when one exits abnormally, so a collective never waits for a rank
/// that has died.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    private let mpi: MPILibrary
    public let rank: Int
    public let size: Int

    /// The largest element count one MPI call takes (its counts are C ints).
    private static let chunk = Int(Int32.max)

    /// Loads Open MPI and initializes it (once per process), or throws naming what is missing.
    public init() throws(KilnError) {
        mpi = try MPILibrary()
        var flag: Int32 = 0
        _ = mpi.initialized(&flag)
        if flag == 0 {
            var provided: Int32 = 0
            guard mpi.initThread(nil, nil, MPILibrary.threadSerialized, &provided) == 0 else {
                throw KilnError("MPI_Init_thread failed; run under mpirun (see docs/distributed.md)")
            }
        }
        var r: Int32 = 0, s: Int32 = 0
        guard mpi.commRank(mpi.commWorld, &r) == 0, mpi.commSize(mpi.commWorld, &s) == 0, s >= 1 else {
            throw KilnError("MPI_Comm_rank/MPI_Comm_size failed on MPI_COMM_WORLD")
        }
        (rank, size) = (Int(r), Int(s))
    }

    public func allReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) {
        let type = try mpi.datatype(dtype)
        var done = 0
        while done < count {
            let n = min(Self.chunk, count - done)
            let status = mpi.allreduce(mpi.inPlace, data + done * dtype.byteSize, Int32(n), type, mpi.sum, mpi.commWorld)
            guard status == 0 else { throw KilnError("MPI_Allreduce of \(n) \(dtype) elements failed with code \(status)") }
            done += n
        }
    }

    /// `MPI_Iallreduce` in place, one request per `chunk` elements.
    public func startAllReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) -> (any ReductionRequest)? {
        let type = try mpi.datatype(dtype)
        let pending = MPIRequests(mpi)
        var done = 0
        while done < count {
            let n = min(Self.chunk, count - done)
            var request: MPILibrary.Handle?
            let status = mpi.iallreduce(mpi.inPlace, data + done * dtype.byteSize, Int32(n), type, mpi.sum, mpi.commWorld, &request)
            guard status == 0 else { throw KilnError("MPI_Iallreduce of \(n) \(dtype) elements failed with code \(status)") }
            pending.requests.append(request)
            done += n
        }
        return pending
    }

    public func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError) {
        var done = 0
        while done < byteCount {
            let n = min(Self.chunk, byteCount - done)
            let status = mpi.bcast(data + done, Int32(n), mpi.byte, Int32(root), mpi.commWorld)
            guard status == 0 else { throw KilnError("MPI_Bcast of \(n) bytes from rank \(root) failed with code \(status)") }
            done += n
        }
    }

    public func abort(_ error: KilnError) -> Never {
        let bytes = Array("kiln: rank \(rank): error: \(error.message)\n".utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        _ = mpi.abort(mpi.commWorld, 1)
        exit(1)
    }

    /// Ends MPI (call once, when every rank has finished its collectives).
    public func finalize() {
        var flag: Int32 = 0
        _ = mpi.finalized(&flag)
        if flag == 0 { _ = mpi.finalize() }
    }
}

/// The MPI requests of one started reduction.
private final class MPIRequests: ReductionRequest {
    let mpi: MPILibrary
    var requests: [MPILibrary.Handle?] = []

    init(_ mpi: MPILibrary) { self.mpi = mpi }

    func test() throws(KilnError) -> Bool {
        var flag: Int32 = 1
        for i in requests.indices {
            var one: Int32 = 0
            let status = mpi.test(&requests[i], &one, mpi.statusIgnore)
            guard status == 0 else { throw KilnError("MPI_Test of an all-reduce failed with code \(status)") }
            flag &= one
        }
        return flag != 0
    }

    func wait() throws(KilnError) {
        for i in requests.indices {
            let status = mpi.wait(&requests[i], mpi.statusIgnore)
            guard status == 0 else { throw KilnError("MPI_Wait of an all-reduce failed with code \(status)") }
        }
    }
}

/// Whether this process was started by an MPI launcher with more than one rank (Open MPI's
/// `OMPI_COMM_WORLD_SIZE`, or the PMI/PMIx `PMI_SIZE` other launchers set).
public var launchedByMPI: Bool {
    for name in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"] {
        if let value = getenv(name).flatMap({ Int(String(cString: $0)) }), value > 1 { return true }
    }
    return false
}
