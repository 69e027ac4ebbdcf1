/// The canonical text of a module: functions separated by a blank line.
public func printModule(_ module: Module) -> String {
    module.functions.map(printFunction).joined(separator: "\n")
}

/// The canonical text of one function (see docs/ir.md).
public func printFunction(_ f: Function) -> String {
    func ref(_ v: Value) -> String { "%" + f.name(of: v) }
    let params = f.params.map { "\(ref($0)): \(f.type(of: $0))" }.joined(separator: ", ")
    let results = f.resultTypes.map(\.description).joined(separator: ", ")
    var out = "func @\(f.name)(\(params)) -> (\(results)) {\n"
    for inst in f.body {
        let lhs = inst.results.count == 1 ? ref(inst.results[0]) : "(" + inst.results.map(ref).joined(separator: ", ") + ")"
        let types = inst.results.map { f.type(of: $0).description }
        let type = types.count == 1 ? types[0] : "(" + types.joined(separator: ", ") + ")"
        var attrs = ""
        if let first = inst.results.first {
            let list = attributes(of: inst.op, resultType: f.type(of: first))
            if !list.isEmpty { attrs = " {" + list.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + "}" }
        }
        out += "  \(lhs) = \(inst.op.name)(\(inst.operands.map(ref).joined(separator: ", ")))\(attrs) : \(type)\n"
    }
    out += "  return \(f.results.map(ref).joined(separator: ", "))\n}\n"
    return out
}
