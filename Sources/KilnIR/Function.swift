/// An SSA value: an index into its function's value table.
public struct Value: Hashable, Sendable, Comparable {
    public let id: Int
    public init(_ id: Int) { self.id = id }
    public static func < (a: Value, b: Value) -> Bool { a.id < b.id }
}

/// Name (without `%`) and type of a value.
public struct ValueInfo: Hashable, Sendable {
    public var name: String
    public var type: TensorType
    public init(name: String, type: TensorType) {
        self.name = name
        self.type = type
    }
}

/// `results = op(operands)`.
public struct Instruction: Hashable, Sendable {
    public var op: Op
    public var operands: [Value]
    public var results: [Value]
    /// Where the instruction was written, when it was parsed.
    public var location: SourceLocation?

    public init(op: Op, operands: [Value], results: [Value], location: SourceLocation? = nil) {
        self.op = op
        self.operands = operands
        self.results = results
        self.location = location
    }
}

/// A function: typed parameters, a straight-line SSA body, and returned values.
public struct Function: Hashable, Sendable {
    /// Name without `@`.
    public var name: String
    public var params: [Value]
    /// Every value of the function, indexed by `Value.id`.
    public var values: [ValueInfo]
    public var body: [Instruction]
    public var results: [Value]
    /// The result types of the signature; the verifier checks `results` against them.
    public var resultTypes: [TensorType]
    public var location: SourceLocation?

    public init(name: String, params: [Value], values: [ValueInfo], body: [Instruction],
                results: [Value], resultTypes: [TensorType], location: SourceLocation? = nil) {
        self.name = name
        self.params = params
        self.values = values
        self.body = body
        self.results = results
        self.resultTypes = resultTypes
        self.location = location
    }

    public func type(of value: Value) -> TensorType { values[value.id].type }
    public func name(of value: Value) -> String { values[value.id].name }
    public var paramTypes: [TensorType] { params.map { type(of: $0) } }
}

/// The contents of a `.kir` file: one or more functions.
public struct IRModule: Hashable, Sendable {
    public var functions: [Function]
    public init(functions: [Function]) { self.functions = functions }

    public func function(named name: String) -> Function? {
        functions.first { $0.name == name }
    }
}
