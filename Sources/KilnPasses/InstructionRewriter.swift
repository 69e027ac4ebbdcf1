import KilnIR

/// What a rewrite does with one instruction.
enum Rewrite {
    /// Drop the instruction and use `value` (an operand or an earlier result) in place of its result.
    case replace(Value)
    /// Keep the instruction and its result (so its name) but compute it as `op(operands)`.
    /// The result type must stay the same.
    case update(Op, [Value])
}

/// The function as rewritten so far, seen by a rewrite while it walks the body.
struct RewriteContext {
    private(set) var values: [ValueInfo]
    private(set) var body: [Instruction] = []
    private var definingIndex: [Int?]
    /// The names in use, collected at the first `emit` (most walks emit nothing).
    private var names: Set<String> = []
    private var namesCollected = false
    /// For each name hint, the suffix after the last one `emit` gave it (names are never freed,
    /// so the first free suffix only grows).
    private var lastSuffix: [String: Int] = [:]

    init(values: [ValueInfo]) {
        self.values = values
        definingIndex = Array(repeating: nil, count: values.count)
    }

    func type(of v: Value) -> TensorType { values[v.id].type }
    func name(of v: Value) -> String { values[v.id].name }

    /// The instruction (already rewritten) that defines `v`, or nil for a parameter.
    func definition(of v: Value) -> Instruction? {
        definingIndex[v.id].map { body[$0] }
    }

    /// The literal and type of `v` when a `constant` defines it.
    func constant(_ v: Value) -> (Literal, TensorType)? {
        guard case let .constant(literal, type)? = definition(of: v)?.op else { return nil }
        return (literal, type)
    }

    /// The one value every element of `v` has, when `v` is a non-empty constant whose elements are
    /// all equal (bitwise: `-0.0` differs from `0.0`).
    func splatScalar(of v: Value) -> Scalar? {
        guard let (literal, type) = constant(v), type.count > 0 else { return nil }
        switch literal {
        case .splat(let s): return s
        case .dense(let elements): return elements.allSatisfy { $0 == elements[0] } ? elements[0] : nil
        }
    }

    /// Appends `op(operands)` before the instruction being rewritten and returns its result, named
    /// after `hint` (made unique).
    mutating func emit(_ op: Op, _ operands: [Value], nameHint hint: String) throws(KilnError) -> Value {
        let type = try inferResultTypes(op, operands.map(type(of:)))[0]
        if !namesCollected {
            names = Set(values.map(\.name))
            namesCollected = true
        }
        var name = hint
        if names.contains(hint) {
            var k = lastSuffix[hint] ?? 0
            repeat { k += 1; name = "\(hint).\(k)" } while names.contains(name)
            lastSuffix[hint] = k
        }
        names.insert(name)
        values.append(ValueInfo(name: name, type: type))
        definingIndex.append(nil)
        let result = Value(values.count - 1)
        append(Instruction(op: op, operands: operands, results: [result]))
        return result
    }

    fileprivate mutating func append(_ inst: Instruction) {
        for r in inst.results { definingIndex[r.id] = body.count }
        body.append(inst)
    }
}

/// How many rewrites one instruction may go through in one walk (a bound against rules that undo
/// each other).
private let maxRewritesPerInstruction = 16

extension Function {
    /// Walks the body in order, offering each instruction (with operands already renamed by earlier
    /// replacements) to `rewrite`, again after every `update`, until it returns nil. Replaced
    /// instructions are dropped, their uses (returned values included) renamed and their values
    /// removed from the table. Returns true when anything changed. `pass` names the caller in
    /// internal errors.
    mutating func rewriteInstructions(
        pass: String,
        _ rewrite: (Instruction, inout RewriteContext) throws(KilnError) -> Rewrite?
    ) throws(KilnError) -> Bool {
        var context = RewriteContext(values: values)
        var renamed = Array(values.indices).map(Value.init)
        var changed = false
        for original in body {
            var inst = original
            inst.operands = inst.operands.map { renamed[$0.id] }
            var replacement: Value?
            rewriting: for _ in 0..<maxRewritesPerInstruction {
                guard let step = try rewrite(inst, &context) else { break }
                changed = true
                switch step {
                case .replace(let v):
                    replacement = v
                    break rewriting
                case let .update(op, operands):
                    let types = try inferResultTypes(op, operands.map(context.type(of:)))
                    guard types == inst.results.map(context.type(of:)) else {
                        throw KilnError.internal("pass '\(pass)': rewriting %\(context.name(of: inst.results[0])) as '\(op.name)' changes its type")
                    }
                    inst.op = op
                    inst.operands = operands
                }
            }
            if let replacement, inst.results.count == 1 {
                renamed[inst.results[0].id] = replacement
            } else {
                context.append(inst)
            }
        }
        values = context.values
        body = context.body
        results = results.map { renamed[$0.id] }
        if changed { compactValueTable() }
        return changed
    }
}
