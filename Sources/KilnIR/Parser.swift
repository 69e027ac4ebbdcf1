/// Parses the text of a `.kir` file (see docs/ir.md). Errors name `file:line:col`.
/// The result is not verified: call `verify` (or use `loadModule`).
public func parseModule(_ text: String, file: String) throws(KilnError) -> IRModule {
    try parseModule(bytes: Array(text.utf8), file: file)
}

/// Parses raw file bytes; bytes that are not UTF-8 are an error at their line and column.
public func parseModule(bytes: [UInt8], file: String) throws(KilnError) -> IRModule {
    if let (line, column) = firstInvalidUTF8(bytes) {
        throw KilnError("the file is not valid UTF-8 here; save it as UTF-8",
                        at: SourceLocation(file: file, line: line, column: column))
    }
    var parser = try Parser(lexer: Lexer(bytes: bytes, file: file), file: file)
    return try parser.module()
}

/// Recursive-descent parser over the token stream, one token of lookahead.
private struct Parser {
    var lexer: Lexer
    let file: String
    var token: Token

    /// Deepest nesting of lists in an attribute value.
    static let maxNesting = 64
    /// Deepest nesting of `fused` bodies (`FusedNesting.maxDepth`).
    var fusedDepth = 0

    init(lexer: Lexer, file: String) throws(KilnError) {
        self.lexer = lexer
        self.file = file
        self.token = try self.lexer.next()
    }

    var location: SourceLocation { SourceLocation(file: file, line: token.line, column: token.column) }

    func error(_ message: String, at place: SourceLocation? = nil) -> KilnError {
        KilnError(message, at: place ?? location)
    }

    mutating func advance() throws(KilnError) { token = try lexer.next() }

    mutating func expect(_ c: Character, _ context: String) throws(KilnError) {
        guard token.kind == .punct(c) else { throw error("expected '\(c)' \(context), found \(token.text)") }
        try advance()
    }

    mutating func accept(_ c: Character) throws(KilnError) -> Bool {
        guard token.kind == .punct(c) else { return false }
        try advance()
        return true
    }

    mutating func module() throws(KilnError) -> IRModule {
        var functions: [Function] = []
        while token.kind != .end { functions.append(try function()) }
        guard !functions.isEmpty else {
            throw error("the file holds no function; write one: func @name(%x: f32[2]) -> (f32[2]) { return %x }")
        }
        return IRModule(functions: functions)
    }

    // MARK: functions

    mutating func function() throws(KilnError) -> Function {
        let start = location
        guard token.kind == .word("func") else { throw error("expected 'func', found \(token.text)") }
        try advance()
        guard case .global(let name) = token.kind else { throw error("expected a function name like @main, found \(token.text)") }
        try advance()
        var scope = Scope(file: file)
        let params = try parameterList(&scope)
        guard token.kind == .arrow else { throw error("expected '->' and the result types, found \(token.text)") }
        try advance()
        let resultTypes = try typeList()
        try expect("{", "to open the function body")
        let returnPlace = location
        let (body, results) = try block(&scope, terminator: "return", owner: "@\(name)")
        guard results.count == resultTypes.count else {
            throw error("return gives \(results.count) value\(results.count == 1 ? "" : "s") but @\(name) declares \(resultTypes.count) result\(resultTypes.count == 1 ? "" : "s")", at: returnPlace)
        }
        try expect("}", "to close @\(name)")
        return Function(name: name, params: params, values: scope.values, body: body, results: results,
                        resultTypes: resultTypes, location: start)
    }

    /// `(%a: type, ...)`: defines the parameters in `scope`.
    mutating func parameterList(_ scope: inout Scope) throws(KilnError) -> [Value] {
        try expect("(", "to open the parameter list")
        var params: [Value] = []
        if token.kind != .punct(")") {
            repeat {
                let place = location
                guard case .local(let p) = token.kind else { throw error("expected a parameter like %x: f32[2], found \(token.text)") }
                try advance()
                try expect(":", "after parameter %\(p)")
                params.append(try scope.define(p, type: try type(), at: place))
            } while try accept(",")
        }
        try expect(")", "to close the parameter list")
        return params
    }

    /// Instructions up to `terminator` (`return` or `yield`) and the values it lists.
    mutating func block(_ scope: inout Scope, terminator: String, owner: String) throws(KilnError) -> ([Instruction], [Value]) {
        var body: [Instruction] = []
        while token.kind != .word(terminator) {
            guard token.kind != .end, token.kind != .punct("}") else {
                throw error("expected '\(terminator)' before the end of \(owner)")
            }
            body.append(try instruction(&scope))
        }
        try advance()
        var values: [Value] = []
        if token.kind != .punct("}") {
            repeat { values.append(try scope.use(try localName("a \(terminator)ed value"), at: location)); try advance() } while try accept(",")
        }
        return (body, values)
    }

    /// The body of `fused`: `{ ^(%p: type, ...): instructions yield %a, ... }`, in its own scope.
    mutating func fusedBody(at place: SourceLocation) throws(KilnError) -> Function {
        guard fusedDepth < FusedNesting.maxDepth else {
            throw error("'fused' bodies nested deeper than \(FusedNesting.maxDepth) levels; flatten the inner kernels into their enclosing body", at: place)
        }
        fusedDepth += 1
        defer { fusedDepth -= 1 }
        try expect("{", "to open the body of 'fused'")
        try expect("^", "to start the block arguments of 'fused', like ^(%p0: f32[4]):")
        var scope = Scope(file: file)
        let params = try parameterList(&scope)
        try expect(":", "after the block arguments of 'fused'")
        let (body, yielded) = try block(&scope, terminator: "yield", owner: "the body of 'fused'")
        try expect("}", "to close the body of 'fused'")
        return Function(name: "fused", params: params, values: scope.values, body: body, results: yielded,
                        resultTypes: yielded.map { scope.values[$0.id].type }, location: place)
    }

    /// The name of the `%value` at the current token (not consumed).
    func localName(_ what: String) throws(KilnError) -> String {
        guard case .local(let n) = token.kind else { throw error("expected \(what) like %x, found \(token.text)") }
        return n
    }

    mutating func instruction(_ scope: inout Scope) throws(KilnError) -> Instruction {
        var names: [(String, SourceLocation)] = []
        if try accept("(") {
            repeat { names.append((try localName("a result name"), location)); try advance() } while try accept(",")
            try expect(")", "after the result names")
        } else {
            names.append((try localName("an instruction '%name = op(...)' or 'return'"), location))
            try advance()
        }
        try expect("=", "after \(names.map { "%" + $0.0 }.joined(separator: ", "))")
        let opPlace = location
        guard case .word(let opName) = token.kind else { throw error("expected an op name, found \(token.text)") }
        try advance()
        try expect("(", "after '\(opName)'")
        var operands: [Value] = []
        if token.kind != .punct(")") {
            repeat { operands.append(try scope.use(try localName("an operand"), at: location)); try advance() } while try accept(",")
        }
        try expect(")", "to close the operands of '\(opName)'")
        let kernel = opName == "fused" ? try fusedBody(at: opPlace) : nil
        let attributes = kernel == nil && token.kind == .punct("{") ? try attributeBlock() : [:]
        try expect(":", "and the result type after '\(opName)(...)'")
        let typePlace = location
        let types = try typeList()
        guard types.count == names.count else {
            throw error("\(names.count) result\(names.count == 1 ? "" : "s") named but \(types.count) type\(types.count == 1 ? "" : "s") given", at: typePlace)
        }
        let op: Op
        if let kernel { op = .fused(kernel) } else { op = try makeOp(name: opName, attributes: attributes, resultTypes: types, at: opPlace) }
        var results: [Value] = []
        for ((name, place), t) in zip(names, types) { results.append(try scope.define(name, type: t, at: place)) }
        return Instruction(op: op, operands: operands, results: results, location: opPlace)
    }

    // MARK: types

    /// `type` or `(type, ...)`.
    mutating func typeList() throws(KilnError) -> [TensorType] {
        guard try accept("(") else { return [try type()] }
        var types: [TensorType] = []
        if token.kind != .punct(")") {
            repeat { types.append(try type()) } while try accept(",")
        }
        try expect(")", "to close the type list")
        return types
    }

    mutating func type() throws(KilnError) -> TensorType {
        let place = location
        guard case .word(let word) = token.kind, let dtype = DType(rawValue: word) else {
            throw error("expected a type like f32[2,3] (dtypes: f32, f64, i32, i64, bool), found \(token.text)")
        }
        try advance()
        try expect("[", "after dtype \(word): write the shape, [] for a scalar")
        var shape: [Int] = []
        if token.kind != .punct("]") {
            repeat {
                guard case .number(let text) = token.kind else { throw error("expected a dimension, found \(token.text)") }
                guard let d = Int(text), d >= 0 else {
                    throw error(text.hasPrefix("-") ? "dimension \(text) is negative" : "dimension \(text) is not a valid size (at most \(ShapeLimits.maxDimension))")
                }
                shape.append(d)
                try advance()
            } while try accept(",")
        }
        try expect("]", "to close the shape")
        let t = TensorType(dtype, shape)
        do { try checkLimits(t) } catch { throw self.error(error.message, at: place) }
        return t
    }

    // MARK: attributes

    mutating func attributeBlock() throws(KilnError) -> [String: ParsedAttribute] {
        try advance()
        var attributes: [String: ParsedAttribute] = [:]
        if token.kind != .punct("}") {
            repeat {
                let place = location
                guard case .word(let key) = token.kind else { throw error("expected an attribute name, found \(token.text)") }
                try advance()
                try expect("=", "after attribute '\(key)'")
                guard attributes[key] == nil else { throw error("attribute '\(key)' is given twice", at: place) }
                attributes[key] = ParsedAttribute(try attributeValue(depth: 0), at: place)
            } while try accept(",")
        }
        try expect("}", "to close the attributes")
        return attributes
    }

    mutating func attributeValue(depth: Int) throws(KilnError) -> AttributeValue {
        guard depth < Parser.maxNesting else { throw error("attribute value nested deeper than \(Parser.maxNesting) levels") }
        switch token.kind {
        case .number(let text):
            try advance()
            return .number(text)
        case .word("true"), .word("false"):
            let value = token.kind == .word("true")
            try advance()
            return .bool(value)
        case .string(let s):
            try advance()
            return .string(s)
        case .punct("["):
            try advance()
            var items: [AttributeValue] = []
            if token.kind != .punct("]") {
                repeat { items.append(try attributeValue(depth: depth + 1)) } while try accept(",")
            }
            try expect("]", "to close the list")
            return .list(items)
        case .word("dense"):
            try advance()
            try expect("<", "after 'dense'")
            let payload = try attributeValue(depth: depth + 1)
            try expect(">", "to close dense<...>")
            return .dense(payload)
        default:
            throw error("expected an attribute value (number, true/false, \"string\", [list] or dense<...>), found \(token.text)")
        }
    }
}

/// Value names of one function while it is parsed.
private struct Scope {
    let file: String
    var values: [ValueInfo] = []
    var byName: [String: (Value, SourceLocation)] = [:]

    init(file: String) { self.file = file }

    mutating func define(_ name: String, type: TensorType, at place: SourceLocation) throws(KilnError) -> Value {
        if let (_, first) = byName[name] {
            throw KilnError("value %\(name) is already defined at \(first.line):\(first.column); SSA values are defined once, so rename one", at: place)
        }
        values.append(ValueInfo(name: name, type: type))
        let v = Value(values.count - 1)
        byName[name] = (v, place)
        return v
    }

    func use(_ name: String, at place: SourceLocation) throws(KilnError) -> Value {
        guard let (v, _) = byName[name] else {
            throw KilnError("value %\(name) is not defined before this use; define it above or fix the name", at: place)
        }
        return v
    }
}
