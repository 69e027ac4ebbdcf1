/// Builds a `Function` instruction by instruction, inferring each result type.
///
/// ```swift
/// let b = FunctionBuilder(name: "affine")
/// let x = b.parameter("x", TensorType(.f32, [4, 3]))
/// let w = b.parameter("w", TensorType(.f32, [3, 2]))
/// let y = try b.emit(.matmul(transposeA: false, transposeB: false), [x, w])
/// let f = b.finish(returning: [y])
/// ```
public final class FunctionBuilder {
    public let name: String
    private var values: [ValueInfo] = []
    private var params: [Value] = []
    private var body: [Instruction] = []
    private var usedNames: Set<String> = []
    private var nextNumber = 0

    public init(name: String) { self.name = name }

    /// Adds a parameter; `name` is made unique (and valid) if needed.
    public func parameter(_ name: String, _ type: TensorType) -> Value {
        let v = newValue(hint: name, type: type)
        params.append(v)
        return v
    }

    public func type(of value: Value) -> TensorType { values[value.id].type }
    public func name(of value: Value) -> String { values[value.id].name }

    /// Appends `op(operands)` and returns its first result (the only one, except for `fused`).
    /// Throws when the operands or attributes do not fit the op, with the reason.
    @discardableResult
    public func emit(_ op: Op, _ operands: [Value], name: String? = nil,
                     at location: SourceLocation? = nil) throws(KilnError) -> Value {
        try emitResults(op, operands, names: [name], at: location)[0]
    }

    /// Appends `op(operands)` and returns all its results; `names[k]` hints the name of result `k`.
    public func emitResults(_ op: Op, _ operands: [Value], names: [String?] = [],
                            at location: SourceLocation? = nil) throws(KilnError) -> [Value] {
        let types = try inferResultTypes(op, operands.map(type(of:)))
        let results = types.enumerated().map { k, t in newValue(hint: k < names.count ? names[k] : nil, type: t) }
        body.append(Instruction(op: op, operands: operands, results: results, location: location))
        return results
    }

    /// The finished function returning `results`.
    public func finish(returning results: [Value]) -> Function {
        Function(name: name, params: params, values: values, body: body, results: results,
                 resultTypes: results.map(type(of:)))
    }

    private func newValue(hint: String?, type: TensorType) -> Value {
        var name: String
        if let hint, isValidIdentifier(hint), !usedNames.contains(hint) {
            name = hint
        } else if let hint, isValidIdentifier(hint) {
            var k = 1
            repeat { name = "\(hint).\(k)"; k += 1 } while usedNames.contains(name)
        } else {
            repeat { name = String(nextNumber); nextNumber += 1 } while usedNames.contains(name)
        }
        usedNames.insert(name)
        values.append(ValueInfo(name: name, type: type))
        return Value(values.count - 1)
    }
}
