import KilnIR
import KilnRuntime

/// A function with inputs, as a differential test runs it.
struct FailingCase {
    var function: Function
    var inputs: [HostTensor]
}

/// The smallest case reachable from `start` by dropping returned values, returning an operand
/// of a returned value's instruction instead of it, and cutting instructions (an instruction's
/// result becomes a parameter fed with the value the interpreter computes for it), keeping every
/// step for which `fails` still holds. Dead instructions and unused parameters go along the way.
func shrink(_ start: FailingCase, while fails: (FailingCase) -> Bool) -> FailingCase {
    var current = start
    var improved = true
    func attempt(_ f: Function) {
        if let smaller = withoutDeadCode(FailingCase(function: f, inputs: current.inputs)), fails(smaller) {
            current = smaller
            improved = true
        }
    }
    while improved {
        improved = false
        for k in current.function.results.indices.reversed() where k < current.function.results.count {
            var f = current.function
            if f.results.count > 1 {
                f.results.remove(at: k)
                f.resultTypes.remove(at: k)
                attempt(f)
                continue
            }
            let producer = f.body.last { $0.results.contains(f.results[k]) }
            for operand in producer?.operands ?? [] where !improved {
                f.results[k] = operand
                f.resultTypes[k] = f.type(of: operand)
                attempt(f)
            }
        }
        var index = 0
        while index < current.function.body.count {
            if let smaller = cutting(current, at: index), fails(smaller) {
                current = smaller
                improved = true
            } else {
                index += 1
            }
        }
    }
    return current
}

/// `c` with the instruction at `index` replaced by a parameter holding its interpreted value.
private func cutting(_ c: FailingCase, at index: Int) -> FailingCase? {
    var f = c.function
    guard let v = f.body[index].results.first else { return nil }
    var probe = f
    probe.results = [v]
    probe.resultTypes = [f.type(of: v)]
    guard let value = try? interpret(probe, inputs: c.inputs).first else { return nil }
    f.body.remove(at: index)
    f.params.append(v)
    return withoutDeadCode(FailingCase(function: f, inputs: c.inputs + [value]))
}

/// `c` without instructions nothing returned depends on, and without unused parameters.
private func withoutDeadCode(_ c: FailingCase) -> FailingCase? {
    var f = c.function
    var live = Set(f.results)
    var body: [Instruction] = []
    for inst in f.body.reversed() where inst.results.contains(where: live.contains) {
        body.append(inst)
        live.formUnion(inst.operands)
    }
    f.body = body.reversed()
    let kept = f.params.indices.filter { live.contains(f.params[$0]) }
    f.params = kept.map { f.params[$0] }
    guard (try? verify(f)) != nil else { return nil }
    return FailingCase(function: f, inputs: kept.map { c.inputs[$0] })
}
