import KilnIR
import KilnRuntime

/// Applies `op` to `operands`: recorded into their trace when one is traced, evaluated at once
/// otherwise (and taped when gradients may flow). `context` supplies the trace for ops without
/// operands (constants, random numbers). The instruction and any error carry `location`, by
/// default the current user call site (`CallSites.current`).
func apply(_ op: Op, _ operands: [Tensor], context: Tensor? = nil, at location: SourceLocation? = nil) throws(KilnError) -> Tensor {
    let place = location ?? CallSites.current
    let trace = (operands + (context.map { [$0] } ?? [])).lazy.compactMap(\.trace).first
    do {
        if let trace {
            var values: [Value] = []
            for t in operands { values.append(try trace.value(of: t)) }
            return Tensor(traced: try trace.builder.emit(op, values, at: place), in: trace)
        }
        var hosts: [HostTensor] = []
        for t in operands { hosts.append(try t.host()) }
        let result = try evaluate(op, hosts)
        let tracked = operands.contains { $0.node != nil }
        return Tensor(eager: result, node: tracked ? TapeNode(op: op, operands: operands, result: result) : nil)
    } catch {
        throw error.rephrased({ $0 }, at: place)
    }
}

/// `tensors`, with the eager ones lifted into the trace of any traced one (so that follow-up ops on
/// one of them are recorded, not evaluated).
func lifted(_ tensors: [Tensor]) throws(KilnError) -> [Tensor] {
    guard let trace = tensors.lazy.compactMap(\.trace).first else { return tensors }
    var out: [Tensor] = []
    for t in tensors { out.append(t.isTraced ? t : Tensor(traced: try trace.value(of: t), in: trace)) }
    return out
}
