import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// Options that keep the interpreter's order of summation, so compiled results are bit-exact:
/// one accumulator per reduction and one sample per convolution product; libm for exp, log, tanh.
let exactOptions = CodegenOptions(reductionAccumulators: 1, convolutionChunkElements: 1, libmFunctions: true)

/// How close compiled results must be to the interpreter's under `options`: bit-exact with
/// `libmFunctions`, else within 1e-5 relative to `1 + |r|`: the inline f32 `exp`, `log`, `tanh` and
/// `sigmoid` are within 4 ulp (2.4e-7 relative) of libm's (`InlineMathTests`), and the test
/// functions' few later ops (a `tanh` of an `exp`, sums of a few terms) grow that by under 40x.
func interpreterTolerance(_ options: CodegenOptions) -> Tolerance {
    options.libmFunctions ? .exact : .relative(1e-5)
}

/// The single function of `text`, parsed and verified.
func parseFunction(_ text: String) throws -> Function {
    let module = try parseModule(text, file: "test.kir")
    try verify(module)
    return module.functions[0]
}

/// `f(operands) = op(operands)`: one instruction over fresh parameters of `types`.
func singleOp(_ op: Op, _ types: [TensorType], name: String = "f") throws -> Function {
    let b = FunctionBuilder(name: name)
    let params = types.enumerated().map { b.parameter("p\($0.offset)", $0.element) }
    return b.finish(returning: [try b.emit(op, params)])
}

/// How close compiled results must be to the interpreter's.
enum Tolerance: CustomStringConvertible {
    /// Same bits (any NaN matches any NaN).
    case exact
    /// `|c - r| <= bound * (1 + |r|)`, NaN matching NaN and infinities matching exactly.
    case relative(Double)
    /// `|c - r| <= bound`, NaN matching NaN and infinities matching exactly.
    case absolute(Double)

    var description: String {
        switch self {
        case .exact: return "bit-exact"
        case .relative(let bound): return "relative \(bound)"
        case .absolute(let bound): return "absolute \(bound)"
        }
    }

    func accepts(_ c: Double, _ r: Double) -> Bool {
        if c.isNaN || r.isNaN { return c.isNaN && r.isNaN }
        switch self {
        case .exact: return c.bitPattern == r.bitPattern
        case .relative(let bound): return c == r || (c - r).magnitude <= bound * (1 + r.magnitude)
        case .absolute(let bound): return c == r || (c - r).magnitude <= bound
        }
    }
}

/// The first element where `compiled` and `reference` differ beyond `tolerance`, described; nil
/// when they match (types included).
func mismatch(_ compiled: [HostTensor], _ reference: [HostTensor], _ tolerance: Tolerance) -> String? {
    guard compiled.count == reference.count else { return "\(compiled.count) results, expected \(reference.count)" }
    for (k, (c, r)) in zip(compiled, reference).enumerated() {
        guard c.type == r.type else { return "result \(k) is \(c.type), expected \(r.type)" }
        for i in 0..<c.count {
            let (cv, rv) = (c[i].asDouble, r[i].asDouble)
            if !tolerance.accepts(cv, rv) {
                return "result \(k) element \(i): compiled \(cv) (bits \(String(cv.bitPattern, radix: 16))), interpreter \(rv) (bits \(String(rv.bitPattern, radix: 16))), \(tolerance)"
            }
        }
    }
    return nil
}

/// Compiles `f` and checks it against the interpreter on `inputs`; returns the compiled results.
@discardableResult
func expectMatchesInterpreter(_ f: Function, _ inputs: [HostTensor], _ tolerance: Tolerance = .exact,
                              options: CodegenOptions = exactOptions,
                              sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [HostTensor] {
    let compiled = try JITCompiler.shared.compile(f, options: options)
    let outputs = try compiled.run(inputs)
    let reference = try interpret(f, inputs: inputs)
    if let problem = mismatch(outputs, reference, tolerance) {
        Issue.record("\(problem)\nin:\n\(printFunction(f))", sourceLocation: sourceLocation)
    }
    return outputs
}

/// Values that exercise the IR's edge rules for `dtype`: signed zeros, NaN, infinities,
/// subnormals and large magnitudes for floats; the extremes, 0 and ±1 for integers.
func edgeValues(_ dtype: DType) -> [Double] {
    switch dtype {
    case .f32: return [0, -0.0, 1, -1, .nan, .infinity, -.infinity, 1e-40, -3.5, 2.5, 1e30, -7e9, 0.1, 3e9]
    case .f64: return [0, -0.0, 1, -1, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -3.5, 2.5, 1e300, -9.5e18, 0.1, 3e9]
    case .i32: return [0, 1, -1, Double(Int32.min), Double(Int32.max), 2, -3, 7, 31, -32]
    case .i64: return [0, 1, -1, -9223372036854775808, 2, -3, 7, 63, -64, 4_000_000_000]
    case .bool: return [0, 1]
    }
}

/// A tensor of `type`: edge values of its dtype first, then small pseudo-random ones
/// (floats in [-4, 4), integers in -6...6) determined by `seed`.
func testTensor(_ type: TensorType, seed: UInt64, edges: Bool = true) throws -> HostTensor {
    let t = try HostTensor(zeros: type)
    var rng = SplitMix64(seed: seed)
    let special = edges ? edgeValues(type.dtype) : []
    for i in 0..<t.count {
        if i < special.count {
            t[i] = type.dtype.isInteger ? .int(Int64(exactly: special[i]) ?? 0) : .float(special[i])
        } else {
            switch type.dtype {
            case .f32, .f64: t[i] = .float(Double.random(in: -4..<4, using: &rng))
            case .i32, .i64: t[i] = .int(Int64.random(in: -6...6, using: &rng))
            case .bool: t[i] = .bool(Bool.random(using: &rng))
            }
        }
    }
    return t
}

/// One `testTensor` per parameter of `f`.
func testInputs(_ f: Function, seed: UInt64 = 1, edges: Bool = true) throws -> [HostTensor] {
    try f.paramTypes.enumerated().map { try testTensor($0.element, seed: seed &+ UInt64($0.offset), edges: edges) }
}

