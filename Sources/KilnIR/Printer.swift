/// The canonical text of a module: functions separated by a blank line.
public func printModule(_ module: IRModule) -> String {
    module.functions.map(printFunction).joined(separator: "\n")
}

/// The canonical text of one function (see docs/ir.md). Written into one buffer, so the time is
/// linear in the length of the text, whatever the nesting of `fused` bodies.
public func printFunction(_ f: Function) -> String {
    var out = "func @\(f.name)("
    writeParameters(f, into: &out)
    out += ") -> (\(f.resultTypes.map(\.description).joined(separator: ", "))) {\n"
    writeBlock(f, indent: "  ", terminator: "return", into: &out)
    out += "}\n"
    return out
}

/// The canonical text of one instruction of `f`, each line starting with `indent` and ending with
/// a newline (a `fused` instruction spans several lines).
public func printInstruction(_ inst: Instruction, in f: Function, indent: String = "") -> String {
    var out = ""
    writeInstruction(inst, in: f, indent: indent, into: &out)
    return out
}

private func writeParameters(_ f: Function, into out: inout String) {
    for (k, p) in f.params.enumerated() {
        if k > 0 { out += ", " }
        out += "%\(f.name(of: p)): \(f.type(of: p))"
    }
}

/// The instructions of `f`, each starting with `indent`, then `terminator` and the results.
private func writeBlock(_ f: Function, indent: String, terminator: String, into out: inout String) {
    for inst in f.body { writeInstruction(inst, in: f, indent: indent, into: &out) }
    out += "\(indent)\(terminator) \(f.results.map { "%" + f.name(of: $0) }.joined(separator: ", "))\n"
}

private func writeInstruction(_ inst: Instruction, in f: Function, indent: String, into out: inout String) {
    func ref(_ v: Value) -> String { "%" + f.name(of: v) }
    out += indent
    out += inst.results.count == 1 ? ref(inst.results[0]) : "(" + inst.results.map(ref).joined(separator: ", ") + ")"
    out += " = \(inst.op.name)(\(inst.operands.map(ref).joined(separator: ", ")))"
    if case .fused(let body) = inst.op {
        out += " {\n\(indent)  ^("
        writeParameters(body, into: &out)
        out += "):\n"
        writeBlock(body, indent: indent + "    ", terminator: "yield", into: &out)
        out += indent + "}"
    } else if let first = inst.results.first {
        let list = attributes(of: inst.op, resultType: f.type(of: first))
        if !list.isEmpty { out += " {" + list.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + "}" }
    }
    let types = inst.results.map { f.type(of: $0).description }
    out += " : " + (types.count == 1 ? types[0] : "(" + types.joined(separator: ", ") + ")") + "\n"
}
