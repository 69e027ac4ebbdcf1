import KilnRuntime
@testable import Kiln

/// The largest relative difference |u - v| / (1 + |v|) between `steps` steps of `compiled`
/// (training `a`) and of `interpreted` (training `b`) on the batch (x, y): over their losses,
/// then over the parameters of `a` and `b` after those steps.
func worstTrainingDifference(_ compiled: Trainer, _ a: any Kiln.Module, _ interpreted: Trainer, _ b: any Kiln.Module,
                             _ x: HostTensor, _ y: HostTensor, steps: Int = 4) throws -> Double {
    func difference(_ u: Double, _ v: Double) -> Double { Swift.abs(u - v) / (1 + Swift.abs(v)) }
    var worst = 0.0
    for _ in 0..<steps { worst = max(worst, difference(try compiled.step(x, y), try interpreted.step(x, y))) }
    for (p, q) in zip(a.parameters, b.parameters) {
        for (u, v) in zip(p.value.doubles, q.value.doubles) { worst = max(worst, difference(u, v)) }
    }
    return worst
}
