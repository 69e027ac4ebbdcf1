import KilnIR

/// Turns fuzz bytes into `.kir` programs that parse and mostly verify, carrying the extreme
/// values plain byte mutation never finds: strides, paddings, dilations, windows, depths and
/// shapes near `Int.max` and the shape limits, deep `fused` nesting (past
/// `FusedNesting.maxDepth`), huge declared types for small dense literals and float literals out
/// of range.
///
/// Each instruction's declared type is the inferred one; the first op whose attributes type
/// inference rejects ends the body, declared with its operand's type, so the program reaches the
/// verifier and must be rejected with a `KilnError` there. Used by the `KilnFuzz` target and by
/// an ordinary test (`checkRoundTrip` says what a program must do).
public struct ExtremeProgramGenerator {
    private var input: FuzzBytes

    public init(bytes: [UInt8]) { input = FuzzBytes(bytes) }

    /// The program the bytes describe.
    public mutating func makeProgram() -> String {
        let synthesis = ExtremeSynthesis(input: input)
        let text = synthesis.run()
        input = synthesis.input
        return text
    }
}

/// Sizes that make careless shape arithmetic overflow or allocate absurdly.
private let extremeSizes: [Int] = [
    0, -1, -2, 2, 3, 1 << 16, ShapeLimits.maxDimension - 1, ShapeLimits.maxDimension, ShapeLimits.maxDimension + 1,
    1 << 32, ShapeLimits.maxElements, 1 << 62, Int.max - 1, Int.max, Int.min, Int.min + 1,
]

/// Float literals as written: in range, at the edges, and out of range for f32 or f64.
private let floatTexts: [String] = [
    "0.0", "-0.0", "1.5", "inf", "-inf", "nan", "3.4028235e38", "3.4028236e38", "-3.5e38", "1e39", "1e-46",
    "1e308", "1.7976931348623157e308", "1e309", "-1e999", "1e999", "4.9e-324",
]

private final class ExtremeSynthesis {
    var input: FuzzBytes
    private var values: [ValueInfo] = []
    private var params: [Value] = []
    private var body: [Instruction] = []
    /// Text spliced in before `return`: an instruction only the text form can express.
    private var textLine: String?

    init(input: FuzzBytes) { self.input = input }

    func run() -> String {
        for _ in 0...input.int(0...2) { _ = parameter(TensorType(dtype(), shape(rank: input.int(0...4)))) }
        for _ in 0..<input.int(1...8) where input.hasMore {
            guard step() else { break }
        }
        if input.oneIn(8) { textLine = hostileLine() }
        let result = body.last?.results[0] ?? params[0]
        let f = Function(name: "fuzz", params: params, values: values, body: body, results: [result],
                         resultTypes: [values[result.id].type])
        var lines = printFunction(f).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let textLine, let at = lines.lastIndex(where: { $0.hasPrefix("  return") }) { lines.insert("  " + textLine, at: at) }
        return lines.joined(separator: "\n")
    }

    // MARK: values and attributes

    private func newValue(_ type: TensorType) -> Value {
        values.append(ValueInfo(name: "v\(values.count)", type: type))
        return Value(values.count - 1)
    }

    private func parameter(_ type: TensorType) -> Value {
        let v = newValue(type)
        params.append(v)
        return v
    }

    private func type(_ v: Value) -> TensorType { values[v.id].type }

    private func dtype() -> DType { input.oneIn(3) ? input.element(DType.allCases) : .f32 }

    /// Mostly 1...4, now and then 0 or a size at the edge of the limits.
    private func dimension() -> Int {
        if input.oneIn(48) { return input.element([0, 0, ShapeLimits.maxDimension, ShapeLimits.maxDimension, ShapeLimits.maxDimension + 1, 1 << 33]) }
        return input.int(1...4)
    }

    private func shape(rank: Int) -> [Int] { (0..<rank).map { _ in dimension() } }

    /// A value in `small` most of the time, else an extreme size.
    private func size(_ small: ClosedRange<Int>) -> Int {
        input.oneIn(8) ? input.element(extremeSizes) : input.int(small)
    }

    private func sizes(_ count: Int, _ small: ClosedRange<Int>) -> [Int] { (0..<count).map { _ in size(small) } }

    /// An existing value of rank `rank` whose dtype is `dtype` (any when nil), else a new parameter.
    private func operand(rank: Int, dtype wanted: DType? = nil) -> Value {
        let fits = (params + body.flatMap(\.results)).filter { type($0).rank == rank && (wanted ?? type($0).dtype) == type($0).dtype }
        if !fits.isEmpty, !input.oneIn(3) { return input.element(fits) }
        return parameter(TensorType(wanted ?? dtype(), shape(rank: rank)))
    }

    private func anyOperand() -> Value { operand(rank: input.int(0...4)) }

    private func image() -> Value { operand(rank: 4, dtype: .f32) }

    private func scalar(_ dtype: DType) -> Scalar {
        switch dtype {
        case .f32, .f64: return .float(input.element([0, -0.0, 1.5, .infinity, -.infinity, .nan, 3.4028234663852886e38, 1e-45, .greatestFiniteMagnitude]))
        case .i32, .i64: return .int(input.element([0, -1, Int64(Int32.max), Int64(Int32.min), .max, .min]))
        case .bool: return .bool(input.oneIn(2))
        }
    }

    // MARK: instructions

    /// Appends one instruction; false when it was rejected by type inference (and so ends the body).
    private func step() -> Bool {
        let (op, operands) = instruction()
        let operandTypes = operands.map(type)
        do {
            let results = try inferResultTypes(op, operandTypes).map(newValue)
            body.append(Instruction(op: op, operands: operands, results: results))
            return true
        } catch {
            let declared = operandTypes.first ?? createdType(op)
            body.append(Instruction(op: op, operands: operands, results: [newValue(declared)]))
            return false
        }
    }

    private func instruction() -> (Op, [Value]) {
        switch input.int(0...17) {
        case 0:
            let x = anyOperand()
            return input.oneIn(2) ? (.unary(input.element(UnaryOp.allCases)), [x]) : (.binary(input.element(BinaryOp.allCases)), [x, x])
        case 1:
            let x = anyOperand()
            let shape = type(x).shape
            let start = shape.map { input.oneIn(6) ? input.element(extremeSizes) : input.int(0...max(0, $0)) }
            let limit = zip(start, shape).map { s, d in input.oneIn(6) ? input.element(extremeSizes) : input.int(min(max(s, 0), d)...max(d, 0)) }
            return (.slice(start: start, limit: limit, stride: sizes(shape.count, 1...3)), [x])
        case 2:
            let x = anyOperand()
            return (.pad(low: sizes(type(x).rank, 0...2), high: sizes(type(x).rank, 0...2), value: scalar(type(x).dtype)), [x])
        case 3:
            let x = image()
            let filter = parameter(TensorType(.f32, [input.int(1...3), type(x).shape[1], input.int(1...3), input.int(1...3)]))
            return (.conv2d(convAttributes()), [x, filter])
        case 4:
            let x = image()
            let filter = parameter(TensorType(.f32, [type(x).shape[1], input.int(1...3), input.int(1...3), input.int(1...3)]))
            return (.conv2dTranspose(convAttributes(), outputPadding: sizes(2, 0...1)), [x, filter])
        case 5:
            let x = image(), attributes = convAttributes(), window = sizes(2, 1...3)
            let filter = TensorType(.f32, [input.int(1...3), type(x).shape[1]] + window)
            let grad = (try? inferResultTypes(.conv2d(attributes), [type(x), filter]))?.first ?? TensorType(.f32, shape(rank: 4))
            return (.conv2dFilterGrad(attributes, window: window), [x, parameter(grad)])
        case 6:
            let x = image()
            let pool = PoolAttributes(window: sizes(2, 1...3), stride: sizes(2, 1...3), padding: sizes(2, 0...1))
            guard input.oneIn(2) else { return (input.oneIn(2) ? .maxPool2d(pool) : .avgPool2d(pool), [x]) }
            let pooled = (try? inferResultTypes(.maxPool2d(pool), [type(x)]))?.first ?? TensorType(.f32, shape(rank: 4))
            return (input.oneIn(2) ? .maxPool2dGrad(pool) : .avgPool2dGrad(pool), [x, parameter(pooled)])
        case 7:
            let x = anyOperand()
            return (.reshape(shape: input.oneIn(2) ? [type(x).count] : sizes(input.int(0...3), 1...4)), [x])
        case 8:
            let x = anyOperand(), rank = type(x).rank
            let extra = sizes(input.int(0...2), 1...3)
            return (.broadcastInDim(shape: extra + type(x).shape, dims: (0..<rank).map { $0 + extra.count }), [x])
        case 9:
            let type = TensorType(input.element([DType.f32, .i32, .i64]), shape(rank: input.int(1...3)))
            return (.iota(axis: size(0...max(0, type.rank - 1)), type), [])
        case 10:
            return (.oneHot(depth: size(1...4), dtype: dtype()), [operand(rank: input.int(0...2), dtype: .i32)])
        case 11:
            let x = operand(rank: input.int(1...4))
            return (.concatenate(axis: size(0...max(0, type(x).rank - 1))), Array(repeating: x, count: input.int(1...3)))
        case 12:
            let x = anyOperand()
            let axes = sizes(input.int(0...type(x).rank), 0...max(0, type(x).rank - 1))
            switch input.int(0...3) {
            case 0: return (.reduce(input.element(ReduceOp.allCases), axes: axes), [x])
            case 1: return (.reverse(axes: axes), [x])
            case 2: return (.transpose(perm: axes), [x])
            default: return (.argmax(axis: size(0...max(0, type(x).rank - 1))), [x])
            }
        case 13:
            let table = operand(rank: input.int(1...4))
            let indices = parameter(TensorType(.i32, shape(rank: input.int(0...2))))
            return (.gather(axis: size(0...max(0, type(table).rank - 1))), [table, indices])
        case 14:
            let type = TensorType(input.oneIn(2) ? .f32 : .f64, shape(rank: input.int(0...3)))
            let seed = Int64(truncatingIfNeeded: input.element(extremeSizes))
            return (input.oneIn(2) ? .rngUniform(seed: seed, type) : .rngNormal(seed: seed, type), [])
        case 15:
            let type = TensorType(dtype(), shape(rank: input.int(0...2)))
            let dense = type.count <= 64 && input.oneIn(2)
            let literal: Literal = dense ? .dense((0..<type.count).map { _ in scalar(type.dtype) }) : .splat(scalar(type.dtype))
            return (.constant(literal, type), [])
        case 16:
            let a = operand(rank: 2, dtype: .f32)
            return (.matmul(transposeA: input.oneIn(2), transposeB: input.oneIn(2)), [a, a])
        default:
            let x = anyOperand()
            return (nestedFused(type(x)), [x])
        }
    }

    /// The type an op without operands carries.
    private func createdType(_ op: Op) -> TensorType {
        switch op {
        case .constant(_, let t), .iota(_, let t), .rngUniform(_, let t), .rngNormal(_, let t): return t
        default: return TensorType(.f32, [])
        }
    }

    private func convAttributes() -> ConvAttributes {
        ConvAttributes(stride: sizes(2, 1...3), padding: sizes(2, 0...2), dilation: sizes(2, 1...3))
    }

    /// `fused` bodies nested 1 to 80 deep around one op on the innermost block argument.
    private func nestedFused(_ t: TensorType) -> Op {
        let depth = input.oneIn(3) ? input.int(1...FusedNesting.maxDepth + 16) : input.int(1...3)
        let innermost: Op = t.rank > 0 && input.oneIn(2)
            ? .slice(start: t.shape.map { _ in 0 }, limit: t.shape, stride: sizes(t.rank, 1...2))
            : .unary(.abs)
        var kernel = wrap(innermost, t)
        for _ in 1..<depth { kernel = wrap(.fused(kernel), t) }
        return .fused(kernel)
    }

    /// A `fused` body applying `op` to its one block argument of type `t`.
    private func wrap(_ op: Op, _ t: TensorType) -> Function {
        let result = (try? inferResultTypes(op, [t]))?.first ?? t
        return Function(name: "fused", params: [Value(0)], values: [ValueInfo(name: "p", type: t), ValueInfo(name: "r", type: result)],
                        body: [Instruction(op: op, operands: [Value(0)], results: [Value(1)])],
                        results: [Value(1)], resultTypes: [result])
    }

    /// An instruction the text can hold but a `Function` cannot: a small dense literal declared
    /// with a huge type, or a float literal out of range for its dtype.
    private func hostileLine() -> String {
        let float = input.element(floatTexts)
        let dtype = input.oneIn(2) ? "f32" : "f64"
        switch input.int(0...2) {
        case 0:
            let dims = (0..<input.int(1...3)).map { _ in String(input.element([2, 131072, ShapeLimits.maxDimension, 1 << 33])) }
            return "%hostile = constant() {value = dense<[\(float),\(float)]>} : \(dtype)[\(dims.joined(separator: ","))]"
        case 1:
            return "%hostile = constant() {value = \(float)} : \(dtype)[]"
        default:
            return "%hostile = constant() {value = dense<[\(float)]>} : \(dtype)[1]"
        }
    }
}
