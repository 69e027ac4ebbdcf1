import KilnIR

/// `cse`: an instruction with the same op (attributes included) and the same operands as an earlier
/// one is dropped and its uses read the earlier result.
///
/// Every op is a pure function of its operands and attributes, random ops included (their bits
/// depend only on seed, key and position), so the two instructions always compute the same tensor.
/// Identical constants merge too (their elements compare bitwise, so `0.0` and `-0.0` stay apart).
/// Operands are compared as written: `add(%a, %b)` and `add(%b, %a)` are not merged, because with
/// two NaN operands the result's payload depends on their order.
public struct CommonSubexpressionElimination: Pass {
    public let name = "cse"

    public init() {}

    private struct Expression: Hashable {
        var op: Op
        var operands: [Value]
    }

    public func run(on f: inout Function) throws(KilnError) -> Bool {
        var seen: [Expression: Value] = [:]
        seen.reserveCapacity(f.body.count)
        return try f.rewriteInstructions(pass: name) { inst, _ in
            guard inst.results.count == 1 else { return nil }
            let key = Expression(op: inst.op, operands: inst.operands)
            if let earlier = seen[key] { return .replace(earlier) }
            seen[key] = inst.results[0]
            return nil
        }
    }
}
