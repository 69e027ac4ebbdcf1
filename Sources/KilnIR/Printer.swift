/// The canonical text of a module: functions separated by a blank line.
public func printModule(_ module: IRModule) -> String {
    module.functions.map(printFunction).joined(separator: "\n")
}

/// The canonical text of one function (see docs/ir.md).
public func printFunction(_ f: Function) -> String {
    let params = f.params.map { "%\(f.name(of: $0)): \(f.type(of: $0))" }.joined(separator: ", ")
    let results = f.resultTypes.map(\.description).joined(separator: ", ")
    return "func @\(f.name)(\(params)) -> (\(results)) {\n" + printBlock(f, indent: "  ", terminator: "return") + "}\n"
}

/// The instructions of `f`, each starting with `indent`, then `terminator` and the results.
private func printBlock(_ f: Function, indent: String, terminator: String) -> String {
    f.body.map { printInstruction($0, in: f, indent: indent) }.joined()
        + "\(indent)\(terminator) \(f.results.map { "%" + f.name(of: $0) }.joined(separator: ", "))\n"
}

/// The canonical text of one instruction of `f`, each line starting with `indent` and ending with
/// a newline (a `fused` instruction spans several lines).
public func printInstruction(_ inst: Instruction, in f: Function, indent: String = "") -> String {
    func ref(_ v: Value) -> String { "%" + f.name(of: v) }
    let lhs = inst.results.count == 1 ? ref(inst.results[0]) : "(" + inst.results.map(ref).joined(separator: ", ") + ")"
    let types = inst.results.map { f.type(of: $0).description }
    let type = types.count == 1 ? types[0] : "(" + types.joined(separator: ", ") + ")"
    var suffix = ""
    if case .fused(let body) = inst.op {
        let params = body.params.map { "%\(body.name(of: $0)): \(body.type(of: $0))" }.joined(separator: ", ")
        suffix = " {\n\(indent)  ^(\(params)):\n" + printBlock(body, indent: indent + "    ", terminator: "yield") + indent + "}"
    } else if let first = inst.results.first {
        let list = attributes(of: inst.op, resultType: f.type(of: first))
        if !list.isEmpty { suffix = " {" + list.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + "}" }
    }
    return "\(indent)\(lhs) = \(inst.op.name)(\(inst.operands.map(ref).joined(separator: ", ")))\(suffix) : \(type)\n"
}
