import KilnIR

/// `dce`: removes the instructions whose results are neither returned nor used by a live
/// instruction, then drops the values no longer defined from the value table (parameters stay:
/// they are the signature).
///
/// Every op is pure (random ops are functions of their seed and key), so removing an unused one
/// never changes what the function computes.
public struct DeadCodeElimination: Pass {
    public let name = "dce"

    public init() {}

    public func run(on f: inout Function) throws(KilnError) -> Bool {
        var live = [Bool](repeating: false, count: f.values.count)
        for v in f.results { live[v.id] = true }
        var kept = [Bool](repeating: false, count: f.body.count)
        for i in f.body.indices.reversed() where f.body[i].results.contains(where: { live[$0.id] }) {
            for v in f.body[i].operands { live[v.id] = true }
            kept[i] = true
        }
        guard kept.contains(false) else { return false }
        f.body = f.body.indices.compactMap { kept[$0] ? f.body[$0] : nil }
        f.compactValueTable()
        return true
    }
}

extension Function {
    /// Renumbers the values so that the table holds only parameters and values the body defines,
    /// in their original order.
    mutating func compactValueTable() {
        var used = [Bool](repeating: false, count: values.count)
        for v in params { used[v.id] = true }
        for inst in body { for v in inst.results { used[v.id] = true } }
        var newID = [Int](repeating: -1, count: values.count)
        var table: [ValueInfo] = []
        for (id, info) in values.enumerated() where used[id] {
            newID[id] = table.count
            table.append(info)
        }
        func map(_ v: Value) -> Value { Value(newID[v.id]) }
        values = table
        params = params.map(map)
        results = results.map(map)
        for i in body.indices {
            body[i].operands = body[i].operands.map(map)
            body[i].results = body[i].results.map(map)
        }
    }
}
