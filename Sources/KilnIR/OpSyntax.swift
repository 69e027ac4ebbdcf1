// The textual form of every op's attributes, in both directions: `attributes(of:)` for the printer
// and `makeOp(...)` for the parser. Keeping both here keeps them each other's inverse.

/// The attributes the printer writes for `op` (whose first result has `resultType`), in canonical
/// order, defaults included except where noted.
public func attributes(of op: Op, resultType: TensorType) -> [(String, AttributeValue)] {
    switch op {
    case let .constant(literal, type):
        switch literal {
        case .splat(let s): return [("value", scalarValue(s, type.dtype))]
        case .dense(let values): return [("value", .dense(nestedList(values, shape: type.shape, dtype: type.dtype)))]
        }
    case let .iota(axis, type): return [("shape", ints(type.shape)), ("axis", int(axis))]
    case .unary, .binary, .select: return []
    case .compare(let direction): return [("direction", .string(direction.rawValue))]
    case .convert(let dtype): return [("dtype", .string(dtype.rawValue))]
    case .reduce(_, let axes): return [("axes", ints(axes))]
    case .argmax(let axis): return [("axis", int(axis))]
    case let .broadcastInDim(shape, dims): return [("shape", ints(shape)), ("dims", ints(dims))]
    case .reshape(let shape): return [("shape", ints(shape))]
    case .transpose(let perm): return [("perm", ints(perm))]
    case let .slice(start, limit, stride): return [("start", ints(start)), ("limit", ints(limit)), ("stride", ints(stride))]
    case .concatenate(let axis): return [("axis", int(axis))]
    case let .pad(low, high, value):
        return [("low", ints(low)), ("high", ints(high)), ("value", scalarValue(value, resultType.dtype))]
    case .reverse(let axes): return [("axes", ints(axes))]
    case let .matmul(ta, tb):
        return (ta ? [("transpose_a", AttributeValue.bool(true))] : []) + (tb ? [("transpose_b", .bool(true))] : [])
    case .conv2d(let a): return convAttributes(a)
    case let .conv2dTranspose(a, outputPadding):
        return [("stride", ints(a.stride)), ("padding", ints(a.padding)), ("output_padding", ints(outputPadding)),
                ("dilation", ints(a.dilation))]
    case let .conv2dFilterGrad(a, window): return [("window", ints(window))] + convAttributes(a)
    case .maxPool2d(let p), .avgPool2d(let p), .maxPool2dGrad(let p), .avgPool2dGrad(let p):
        return [("window", ints(p.window)), ("stride", ints(p.stride)), ("padding", ints(p.padding))]
    case .gather(let axis), .scatterAdd(let axis): return [("axis", int(axis))]
    case let .oneHot(depth, dtype):
        return [("depth", int(depth))] + (dtype == .f32 ? [] : [("dtype", .string(dtype.rawValue))])
    case .rngUniform(let seed, _), .rngNormal(let seed, _): return [("seed", .number(String(seed)))]
    case .fused: return []
    case .allReduce(let reduction): return [("reduction", .string(reduction.rawValue))]
    }
}

private func int(_ v: Int) -> AttributeValue { .number(String(v)) }
private func ints(_ v: [Int]) -> AttributeValue { .list(v.map(int)) }

private func scalarValue(_ s: Scalar, _ dtype: DType) -> AttributeValue {
    dtype == .bool ? .bool(s.asDouble != 0) : .number(s.text(as: dtype))
}

private func convAttributes(_ a: ConvAttributes) -> [(String, AttributeValue)] {
    [("stride", ints(a.stride)), ("padding", ints(a.padding)), ("dilation", ints(a.dilation))]
}

private func nestedList(_ values: [Scalar], shape: [Int], dtype: DType) -> AttributeValue {
    guard let first = shape.first else { return scalarValue(values[0], dtype) }
    let rest = Array(shape.dropFirst())
    let chunk = rest.reduce(1, *)
    return .list((0..<first).map { i in
        nestedList(Array(values[(i * chunk)..<((i + 1) * chunk)]), shape: rest, dtype: dtype)
    })
}

/// Builds the op named `name` from parsed attributes. `resultTypes` are the declared result types,
/// which complete the ops that create tensors (`constant`, `iota`, `rng_*`) and fix the dtype of
/// numeric attributes (`pad` value, constants). Errors point at the faulty attribute when there is one.
public func makeOp(name: String, attributes: [String: ParsedAttribute], resultTypes: [TensorType],
                   at location: SourceLocation?) throws(KilnError) -> Op {
    var reader = AttributeReader(op: name, attributes: attributes, location: location)
    func onlyResult() throws(KilnError) -> TensorType {
        guard resultTypes.count == 1 else {
            throw KilnError("'\(name)' has one result, but \(resultTypes.count) are declared", at: location)
        }
        return resultTypes[0]
    }
    guard let kind = OpKind(name: name) else {
        throw KilnError("unknown op '\(name)'\(suggestion(for: name))", at: location)
    }
    let op: Op
    switch kind {
    case .unary: op = .unary(try member(name))
    case .binary: op = .binary(try member(name))
    case .reduce: op = .reduce(try member(String(name.dropFirst("reduce_".count))), axes: try reader.ints("axes"))
    case .constant:
        let type = try onlyResult()
        op = .constant(try reader.literal("value", type: type), type)
    case .iota:
        let type = try onlyResult()
        let shape = try reader.ints("shape")
        guard shape == type.shape else {
            throw KilnError("'iota' shape \(shape) differs from the declared type \(type)", at: reader.location(of: "shape"))
        }
        op = .iota(axis: try reader.int("axis"), type)
    case .compare:
        let text = try reader.string("direction")
        guard let d = CompareDirection(rawValue: text) else {
            throw KilnError("unknown compare direction \"\(text)\"; use one of \(CompareDirection.allCases.map(\.rawValue).joined(separator: ", "))",
                            at: reader.location(of: "direction"))
        }
        op = .compare(d)
    case .select: op = .select
    case .convert: op = .convert(try reader.dtype("dtype"))
    case .argmax: op = .argmax(axis: try reader.int("axis"))
    case .broadcastInDim: op = .broadcastInDim(shape: try reader.ints("shape"), dims: try reader.ints("dims"))
    case .reshape: op = .reshape(shape: try reader.ints("shape"))
    case .transpose: op = .transpose(perm: try reader.ints("perm"))
    case .slice:
        let start = try reader.ints("start")
        op = .slice(start: start, limit: try reader.ints("limit"),
                    stride: try reader.ints("stride", default: Array(repeating: 1, count: start.count)))
    case .concatenate: op = .concatenate(axis: try reader.int("axis"))
    case .pad:
        let dtype = try onlyResult().dtype
        op = .pad(low: try reader.ints("low"), high: try reader.ints("high"),
                  value: try reader.scalar("value", dtype: dtype, default: Scalar.int(0).cast(to: dtype)))
    case .reverse: op = .reverse(axes: try reader.ints("axes"))
    case .matmul:
        op = .matmul(transposeA: try reader.bool("transpose_a", default: false),
                     transposeB: try reader.bool("transpose_b", default: false))
    case .conv2d: op = .conv2d(try reader.conv())
    case .conv2dTranspose:
        op = .conv2dTranspose(try reader.conv(), outputPadding: try reader.ints("output_padding", default: [0, 0]))
    case .conv2dFilterGrad:
        op = .conv2dFilterGrad(try reader.conv(), window: try reader.ints("window"))
    case .maxPool2d: op = .maxPool2d(try reader.pool())
    case .avgPool2d: op = .avgPool2d(try reader.pool())
    case .maxPool2dGrad: op = .maxPool2dGrad(try reader.pool())
    case .avgPool2dGrad: op = .avgPool2dGrad(try reader.pool())
    case .gather: op = .gather(axis: try reader.int("axis"))
    case .scatterAdd: op = .scatterAdd(axis: try reader.int("axis"))
    case .oneHot:
        op = .oneHot(depth: try reader.int("depth"), dtype: try reader.dtype("dtype", default: .f32))
    case .rngUniform: op = .rngUniform(seed: try reader.int64("seed"), try onlyResult())
    case .rngNormal: op = .rngNormal(seed: try reader.int64("seed"), try onlyResult())
    case .allReduce:
        let raw = try reader.string("reduction")
        guard let reduction = AllReduceOp(rawValue: raw) else {
            throw KilnError("unknown all_reduce reduction \"\(raw)\"; use one of \(AllReduceOp.allCases.map(\.rawValue).joined(separator: ", "))",
                            at: reader.location(of: "reduction"))
        }
        op = .allReduce(reduction)
    case .fused:
        throw KilnError("'fused' needs a body: fused(%a) { ^(%p: f32[4]): ... yield %r } : f32[4]", at: location)
    }
    try reader.rejectUnused()
    return op
}

/// The case of `E` spelled `raw`, which `OpKind(name:)` has already found among the op names.
private func member<E: RawRepresentable<String>>(_ raw: String) throws(KilnError) -> E {
    guard let value = E(rawValue: raw) else { throw KilnError.internal("'\(raw)' is an op name without a case of \(E.self)") }
    return value
}

/// ", did you mean 'x'?" for the closest known op name, or "".
private func suggestion(for name: String) -> String {
    // A name longer than every op name by more than 2 is farther than 2 edits from all of them
    // (and the edit distance costs the product of the lengths).
    let longest = Op.allNames.map(\.count).max() ?? 0
    let best = name.count > longest + 2 ? nil : Op.allNames.min { editDistance($0, name) < editDistance($1, name) }
    guard let best, editDistance(best, name) <= 2 else { return "; see docs/ir.md for the op list" }
    return "; did you mean '\(best)'?"
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}

/// Reads typed attributes out of a parsed attribute block, remembering which were used.
private struct AttributeReader {
    let op: String
    let attributes: [String: ParsedAttribute]
    let location: SourceLocation?
    var used: Set<String> = []

    init(op: String, attributes: [String: ParsedAttribute], location: SourceLocation?) {
        self.op = op
        self.attributes = attributes
        self.location = location
    }

    func location(of key: String) -> SourceLocation? { attributes[key]?.location ?? location }

    private func error(_ key: String, _ message: String) -> KilnError {
        KilnError("'\(op)' attribute '\(key)' \(message)", at: location(of: key))
    }

    private mutating func value(_ key: String) throws(KilnError) -> AttributeValue {
        guard let v = attributes[key] else {
            throw KilnError("'\(op)' needs attribute '\(key)'", at: location)
        }
        used.insert(key)
        return v.value
    }

    private mutating func optional(_ key: String) -> AttributeValue? {
        guard let v = attributes[key] else { return nil }
        used.insert(key)
        return v.value
    }

    func rejectUnused() throws(KilnError) {
        if let extra = attributes.keys.sorted().first(where: { !used.contains($0) }) {
            throw KilnError("'\(op)' has no attribute '\(extra)'", at: location(of: extra))
        }
    }

    private func integer(_ key: String, _ v: AttributeValue) throws(KilnError) -> Int {
        guard case .number(let text) = v, let n = Int(text) else {
            throw error(key, "must be an integer, got \(v)")
        }
        return n
    }

    mutating func int(_ key: String) throws(KilnError) -> Int { try integer(key, try value(key)) }

    mutating func int64(_ key: String) throws(KilnError) -> Int64 {
        let v = try value(key)
        guard case .number(let text) = v, let n = Int64(text) else { throw error(key, "must be an integer, got \(v)") }
        return n
    }

    mutating func ints(_ key: String) throws(KilnError) -> [Int] {
        try intList(key, try value(key))
    }

    mutating func ints(_ key: String, default fallback: [Int]) throws(KilnError) -> [Int] {
        guard let v = optional(key) else { return fallback }
        return try intList(key, v)
    }

    private func intList(_ key: String, _ v: AttributeValue) throws(KilnError) -> [Int] {
        guard case .list(let items) = v else { throw error(key, "must be a list of integers like [1,2], got \(v)") }
        var out: [Int] = []
        for item in items { out.append(try integer(key, item)) }
        return out
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(KilnError) -> Bool {
        guard let v = optional(key) else { return fallback }
        guard case .bool(let b) = v else { throw error(key, "must be true or false, got \(v)") }
        return b
    }

    mutating func string(_ key: String) throws(KilnError) -> String {
        let v = try value(key)
        guard case .string(let s) = v else { throw error(key, "must be a string in double quotes, got \(v)") }
        return s
    }

    mutating func dtype(_ key: String) throws(KilnError) -> DType {
        let text = try string(key)
        guard let d = DType(rawValue: text) else {
            throw error(key, "names unknown dtype \"\(text)\"; use one of f32, f64, i32, i64, bool")
        }
        return d
    }

    mutating func dtype(_ key: String, default fallback: DType) throws(KilnError) -> DType {
        attributes[key] == nil ? fallback : try dtype(key)
    }

    mutating func conv() throws(KilnError) -> ConvAttributes {
        ConvAttributes(stride: try ints("stride", default: [1, 1]), padding: try ints("padding", default: [0, 0]),
                       dilation: try ints("dilation", default: [1, 1]))
    }

    mutating func pool() throws(KilnError) -> PoolAttributes {
        let window = try ints("window")
        return PoolAttributes(window: window, stride: try ints("stride", default: window),
                              padding: try ints("padding", default: [0, 0]))
    }

    mutating func scalar(_ key: String, dtype: DType, default fallback: Scalar) throws(KilnError) -> Scalar {
        guard let v = optional(key) else { return fallback }
        return try convertScalar(key, v, dtype)
    }

    /// One element of `dtype` from a number or bool token.
    private func convertScalar(_ key: String, _ v: AttributeValue, _ dtype: DType) throws(KilnError) -> Scalar {
        switch (v, dtype) {
        case (.bool(let b), .bool): return .bool(b)
        case (.number(let text), .f32):
            guard let x = Float(text) else { throw error(key, "'\(text)' is not an f32 number") }
            try requireInRange(key, text, x, Float.greatestFiniteMagnitude, .f32)
            return .float(Double(x))
        case (.number(let text), .f64):
            guard let x = Double(text) else { throw error(key, "'\(text)' is not an f64 number") }
            try requireInRange(key, text, x, Double.greatestFiniteMagnitude, .f64)
            return .float(x)
        case (.number(let text), .i32):
            guard let x = Int32(text) else { throw error(key, "'\(text)' is not an i32 integer") }
            return .int(Int64(x))
        case (.number(let text), .i64):
            guard let x = Int64(text) else { throw error(key, "'\(text)' is not an i64 integer") }
            return .int(x)
        default:
            throw error(key, "value \(v) is not a \(dtype.rawValue)")
        }
    }

    /// A float that overflowed to infinity while the text does not spell `inf` is out of range.
    private func requireInRange<F: BinaryFloatingPoint>(_ key: String, _ text: String, _ x: F, _ largest: F,
                                                        _ dtype: DType) throws(KilnError) {
        guard x.isFinite || text.contains("inf") || text.contains("nan") else {
            throw error(key, "'\(text)' is out of range for \(dtype.rawValue) (largest finite magnitude \(largest)); write inf or -inf for infinity")
        }
    }

    mutating func literal(_ key: String, type: TensorType) throws(KilnError) -> Literal {
        let v = try value(key)
        guard case .dense(let payload) = v else { return .splat(try convertScalar(key, v, type.dtype)) }
        // The nesting is checked against the shape first, so the reservation is the literal's
        // own element count (already in memory as text), never just the declared type's.
        try requireShape(key, payload, shape: type.shape[...], type: type)
        var elements: [Scalar] = []
        elements.reserveCapacity(type.count)
        try flatten(key, payload, depth: type.rank, dtype: type.dtype, into: &elements)
        return type.rank == 0 ? .splat(elements[0]) : .dense(elements)
    }

    /// Checks that nested lists `v` have exactly `shape`, without converting any element.
    private func requireShape(_ key: String, _ v: AttributeValue, shape: ArraySlice<Int>, type: TensorType) throws(KilnError) {
        guard let first = shape.first else { return }
        guard case .list(let items) = v, items.count == first else {
            throw error(key, "dense value does not have shape \(type.shape) of the declared type \(type)")
        }
        for item in items { try requireShape(key, item, shape: shape.dropFirst(), type: type) }
    }

    /// Appends the row-major elements of nested lists `v` (`depth` levels, shape already checked).
    private func flatten(_ key: String, _ v: AttributeValue, depth: Int, dtype: DType,
                         into elements: inout [Scalar]) throws(KilnError) {
        guard depth > 0, case .list(let items) = v else {
            elements.append(try convertScalar(key, v, dtype))
            return
        }
        for item in items { try flatten(key, item, depth: depth - 1, dtype: dtype, into: &elements) }
    }
}
