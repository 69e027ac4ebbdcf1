import KilnIR

extension HostTensor {
    /// How many elements are NaN or infinite, and the first of them (index and value); nil when
    /// every element is finite (always for integer and bool tensors).
    public var nonFiniteElements: (count: Int, firstIndex: Int, firstValue: Double)? {
        func scan<T: BinaryFloatingPoint>(_: T.Type) -> (Int, Int, Double)? {
            let p = pointer(T.self)
            var first: Int?, bad = 0
            for i in 0..<count where !p[i].isFinite {
                bad += 1
                if first == nil { first = i }
            }
            return first.map { (bad, $0, Double(p[$0])) }
        }
        switch type.dtype {
        case .f32: return scan(Float.self)
        case .f64: return scan(Double.self)
        case .i32, .i64, .bool: return nil
        }
    }
}

/// `value` as Swift prints it, except that a NaN of either sign is `nan`.
public func numberText(_ value: Double) -> String { value.isNaN ? "nan" : "\(value)" }

/// The first value of a run that holds NaN or infinity: an input, or the result of an instruction
/// whose operands were all finite.
public struct NonFiniteValue: Error, Sendable, CustomStringConvertible {
    /// The function run.
    public let function: Function
    /// The instruction's index in `function.body`; nil when the value is an input.
    public let instruction: Int?
    public let value: Value
    /// How many elements are not finite, the first one's flat index and its value.
    public let count: Int
    public let firstIndex: Int
    public let firstValue: Double

    /// Where the instruction was written (parsed IR) or traced, when known.
    public var location: SourceLocation? { instruction.flatMap { function.body[$0].location } }

    /// The instruction's text (its first line, shortened), or the input's declaration.
    public var text: String {
        guard let instruction else { return "input %\(function.name(of: value)): \(function.type(of: value))" }
        let line = printInstruction(function.body[instruction], in: function).prefix { $0 != "\n" }
        return line.count > 160 ? line.prefix(157) + "..." : String(line)
    }

    public var description: String {
        let elements = "\(count) of \(function.type(of: value).count) elements"
        let producer = instruction.map { "instruction \($0 + 1) of @\(function.name), '\(function.body[$0].op.name)'," } ?? "the input"
        return "\(producer) \(instruction == nil ? "holds" : "produced") \(numberText(firstValue)) at element \(firstIndex) of " +
            "%\(function.name(of: value)) (\(elements) not finite" + (instruction == nil ? ")" : "; its operands were finite)") +
            ": \(text)"
    }
}

/// Runs `f` with the reference interpreter, checking every input and every instruction's results
/// for NaN and infinity. Returns the results when every value is finite, or the first value that
/// is not (see `NonFiniteValue`).
public func interpretCheckingNumerics(_ f: Function, inputs: [HostTensor]) throws(KilnError) -> Result<[HostTensor], NonFiniteValue> {
    func report(_ t: HostTensor, _ v: Value, _ instruction: Int?) -> NonFiniteValue? {
        t.nonFiniteElements.map {
            NonFiniteValue(function: f, instruction: instruction, value: v, count: $0.count, firstIndex: $0.firstIndex, firstValue: $0.firstValue)
        }
    }
    for (p, t) in zip(f.params, inputs) {
        if let found = report(t, p, nil) { return .failure(found) }
    }
    var found: NonFiniteValue?
    let results = try interpret(f, inputs: inputs) { i, results in
        found = zip(f.body[i].results, results).lazy.compactMap { report($0.1, $0.0, i) }.first
        return found != nil
    }
    if let found { return .failure(found) }
    return .success(results ?? [])
}

/// The parameters of `f` that `f.body[instruction]` depends on through the fewest instructions,
/// among those `candidates` accepts: those reached first walking back from its operands.
public func nearestParameters(of instruction: Int, in f: Function, where candidates: (Value) -> Bool) -> [Value] {
    var producer: [Int: Int] = [:]
    for (i, inst) in f.body.enumerated() { for r in inst.results { producer[r.id] = i } }
    let params = Set(f.params)
    var seen: Set<Value> = [], frontier = f.body[instruction].operands
    while !frontier.isEmpty {
        frontier = frontier.filter { seen.insert($0).inserted }
        let found = frontier.filter { params.contains($0) && candidates($0) }
        if !found.isEmpty { return found.sorted() }
        frontier = frontier.flatMap { v in producer[v.id].map { f.body[$0].operands } ?? [] }
    }
    return []
}
