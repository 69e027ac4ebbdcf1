import KilnIR

/// Runs `f` on `inputs` (one per parameter, of the parameter's type) with the reference kernels.
///
/// This is the definition of what a Kiln program means; compiled code is tested against it.
public func interpret(_ f: Function, inputs: [HostTensor]) throws(KilnError) -> [HostTensor] {
    try interpret(f, inputs: inputs) { _, _ in false } ?? []
}

/// Runs `f` like `interpret(_:inputs:)`, calling `stop(i, results)` after body instruction `i`
/// with its results; returns nil as soon as `stop` returns true, the results otherwise.
func interpret(_ f: Function, inputs: [HostTensor],
               stoppingAfter stop: (Int, [HostTensor]) -> Bool) throws(KilnError) -> [HostTensor]? {
    guard inputs.count == f.params.count else {
        throw KilnError("@\(f.name) takes \(f.params.count) inputs, got \(inputs.count)")
    }
    var env = [HostTensor?](repeating: nil, count: f.values.count)
    for (p, input) in zip(f.params, inputs) {
        guard input.type == f.type(of: p) else {
            throw KilnError("input %\(f.name(of: p)) of @\(f.name) must be \(f.type(of: p)), got \(input.type)")
        }
        env[p.id] = input
    }
    for (i, inst) in f.body.enumerated() {
        var operands: [HostTensor] = []
        for v in inst.operands {
            guard let t = env[v.id] else { throw KilnError("value %\(f.name(of: v)) is used before it is defined; run the verifier", at: inst.location) }
            operands.append(t)
        }
        let results: [HostTensor]
        do {
            results = try evaluateResults(inst.op, operands)
        } catch {
            throw error.rephrased({ $0 }, at: inst.location)
        }
        for (v, t) in zip(inst.results, results) { env[v.id] = t }
        if stop(i, results) { return nil }
    }
    var outputs: [HostTensor] = []
    for v in f.results {
        guard let t = env[v.id] else { throw KilnError("returned value %\(f.name(of: v)) is never defined") }
        outputs.append(t)
    }
    return outputs
}
