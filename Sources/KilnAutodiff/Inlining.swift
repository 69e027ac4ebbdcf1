import KilnIR

extension FunctionBuilder {
    /// Appends the body of `f` (verified first) with its parameters bound to `arguments` and
    /// returns the values `f` returns. Value names of `f` are kept where they are still free.
    public func inline(_ f: Function, arguments: [Value]) throws(KilnError) -> [Value] {
        try verify(f)
        let map = try replay(f, arguments: arguments)
        var results: [Value] = []
        for v in f.results { results.append(try map.lookup(v, in: f)) }
        return results
    }

    /// Appends the body of the verified function `f` with its parameters bound to `arguments`;
    /// maps every value of `f` to its copy.
    func replay(_ f: Function, arguments: [Value]) throws(KilnError) -> ValueMap {
        guard arguments.map(type(of:)) == f.paramTypes else {
            throw KilnError("@\(f.name) takes (\(f.paramTypes.map(\.description).joined(separator: ", "))), got (\(arguments.map { type(of: $0).description }.joined(separator: ", ")))")
        }
        var map = ValueMap(count: f.values.count)
        for (p, a) in zip(f.params, arguments) { map[p] = a }
        for inst in f.body {
            var operands: [Value] = []
            for v in inst.operands { operands.append(try map.lookup(v, in: f)) }
            let copies = try emitResults(inst.op, operands, names: inst.results.map(f.name(of:)), at: inst.location)
            for (v, copy) in zip(inst.results, copies) { map[v] = copy }
        }
        return map
    }
}

/// The values of one function mapped to values of another, by id.
struct ValueMap {
    private var table: [Value?]

    init(count: Int) { table = Array(repeating: nil, count: count) }

    subscript(v: Value) -> Value? {
        get { table[v.id] }
        set { table[v.id] = newValue }
    }

    /// The image of `v`, or an error when `f` uses `v` before defining it.
    func lookup(_ v: Value, in f: Function) throws(KilnError) -> Value {
        guard v.id >= 0, v.id < table.count, let mapped = table[v.id] else {
            throw KilnError("in @\(f.name): a value is used before it is defined; run the verifier")
        }
        return mapped
    }
}
