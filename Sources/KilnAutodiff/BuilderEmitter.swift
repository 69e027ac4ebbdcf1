import KilnIR

/// Emits gradient rules as instructions of a `FunctionBuilder`, each tagged with `location`
/// (the place of the forward instruction being differentiated, when known).
public struct BuilderEmitter: GradientEmitter {
    public let builder: FunctionBuilder
    public var location: SourceLocation?

    public init(_ builder: FunctionBuilder, location: SourceLocation? = nil) {
        self.builder = builder
        self.location = location
    }

    public func type(of value: Value) -> TensorType { builder.type(of: value) }

    public func emit(_ op: Op, _ operands: [Value]) throws(KilnError) -> Value {
        try builder.emit(op, operands, at: location)
    }
}
