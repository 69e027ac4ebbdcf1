import Kiln
import KilnDistributed
import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// Data-parallel training for `kiln train` when it runs under an MPI launcher (or `--distributed`
/// asks for it); nil on one process. Ranks other than 0 print nothing on stdout. The gradients are
/// all-reduced as one flat buffer unless `KILN_ALLREDUCE=per-tensor`.
func distributedTraining(requested: Bool) throws -> DataParallel? {
    guard requested || launchedByMPI else { return nil }
    let communicator: MPICommunicator
    do { communicator = try MPICommunicator() } catch { throw error.rephrased { "--distributed: \($0)" } }
    let fusion = getenv("KILN_ALLREDUCE").flatMap { GradientFusion(rawValue: String(cString: $0)) } ?? .flat
    if communicator.rank != 0 {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
    }
    return DataParallel(communicator: communicator, gradientFusion: fusion)
}

/// Ends MPI after a successful distributed run (a failed rank exits without it, and mpirun then
/// ends the others).
func finishDistributedTraining(_ parallel: DataParallel?) {
    (parallel?.communicator as? MPICommunicator)?.finalize()
}
