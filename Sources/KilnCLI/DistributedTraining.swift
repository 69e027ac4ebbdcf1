import Kiln
import KilnDistributed
import KilnSupport
#if canImport(Glibc)
import Glibc
#endif

/// Data-parallel training for `kiln train` when it runs under an MPI launcher (or `--distributed`
/// asks for it); nil on one process. Ranks other than 0 print nothing on stdout. The gradients are
/// all-reduced as `fusion` says (`--gradient-fusion`), else as `KILN_ALLREDUCE` does, else as
/// `defaultGradientFusion`.
func distributedTraining(requested: Bool, fusion option: String?) throws -> DataParallel? {
    guard requested || launchedByMPI else { return nil }
    let fusion: GradientFusion
    if let option {
        do { fusion = try GradientFusion(parsing: option) } catch { throw error.rephrased { "--gradient-fusion: \($0)" } }
    } else if let variable = getenv("KILN_ALLREDUCE").map({ String(cString: $0) }) {
        do { fusion = try GradientFusion(parsing: variable) } catch { throw error.rephrased { "KILN_ALLREDUCE: \($0)" } }
    } else {
        fusion = defaultGradientFusion
    }
    let communicator: MPICommunicator
    do { communicator = try MPICommunicator() } catch { throw error.rephrased { "--distributed: \($0)" } }
    if communicator.rank != 0 {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
    }
    return DataParallel(communicator: communicator, gradientFusion: fusion)
}

/// How `kiln train` all-reduces gradients unless told otherwise (docs/distributed.md, Measured here).
let defaultGradientFusion = GradientFusion.flat

/// Ends MPI after a successful distributed run (a failed rank exits without it, and mpirun then
/// ends the others).
func finishDistributedTraining(_ parallel: DataParallel?) {
    (parallel?.communicator as? MPICommunicator)?.finalize()
}
