import KilnIR
import KilnRuntime

/// Applies `op` to `operands`: recorded into their trace when one is traced, evaluated at once
/// otherwise (and taped when gradients may flow). `context` supplies the trace for ops without
/// operands (constants, random numbers).
func apply(_ op: Op, _ operands: [Tensor], context: Tensor? = nil, at location: SourceLocation? = nil) throws(KilnError) -> Tensor {
    let trace = (operands + (context.map { [$0] } ?? [])).lazy.compactMap { t -> Trace? in
        if case .traced(_, let trace) = t.storage { return trace }
        return nil
    }.first
    do {
        if let trace {
            var values: [Value] = []
            for t in operands { values.append(try trace.value(of: t)) }
            return Tensor(traced: try trace.builder.emit(op, values), in: trace)
        }
        var hosts: [HostTensor] = []
        for t in operands { hosts.append(try t.host()) }
        let result = try evaluate(op, hosts)
        let tracked = operands.contains { $0.node != nil }
        return Tensor(eager: result, node: tracked ? TapeNode(op: op, operands: operands, result: result) : nil)
    } catch {
        throw KilnError(error.message, at: location ?? error.location)
    }
}

/// The place in user code that called a DSL function, for error messages.
func callSite(_ file: StaticString, _ line: UInt, _ column: UInt) -> SourceLocation {
    SourceLocation(file: "\(file)", line: Int(line), column: Int(column))
}
