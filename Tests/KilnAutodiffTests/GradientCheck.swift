import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

/// A seeded splitmix64 generator (the runtime's `mix64`), so every random case is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func bool() -> Bool { Bool.random(using: &self) }
    mutating func shape(rank: Int, dims: ClosedRange<Int> = 1...4) -> [Int] { (0..<rank).map { _ in int(dims) } }
}

/// How the values of a random input are drawn.
enum Domain {
    /// Uniform in `-2...2`.
    case any
    /// Uniform in `0.3...2`.
    case positive
    /// Magnitude in `0.2...2` with a random sign: away from kinks at zero.
    case awayFromZero
}

extension SeededGenerator {
    /// A tensor of `type` with random values from `domain` (floats), or random indices in
    /// `-1...indexLimit` for integer types, or random bools.
    mutating func tensor(_ type: TensorType, _ domain: Domain = .any, indexLimit: Int = 3) throws -> HostTensor {
        let values: [Double] = (0..<type.count).map { _ in
            switch type.dtype {
            case .bool: return bool() ? 1 : 0
            case .i32, .i64: return Double(int(-1...indexLimit))
            case .f32, .f64:
                switch domain {
                case .any: return Double.random(in: -2...2, using: &self)
                case .positive: return Double.random(in: 0.3...2, using: &self)
                case .awayFromZero: return Double.random(in: 0.2...2, using: &self) * (bool() ? 1 : -1)
                }
            }
        }
        return try HostTensor(type, doubles: values)
    }
}

/// `loss = reduce_sum(op(x0, x1, ...) * weights)`: parameters `x0...` of `operandTypes`, then
/// `weights` shaped like the op's result, so that every output element matters to the loss.
func opLoss(_ op: Op, _ operandTypes: [TensorType]) throws -> Function {
    let b = FunctionBuilder(name: "loss")
    let operands = operandTypes.enumerated().map { b.parameter("x\($0.offset)", $0.element) }
    let y = try b.emit(op, operands, name: "y")
    let weights = b.parameter("weights", b.type(of: y))
    let weighted = try b.emit(.binary(.mul), [y, weights])
    let loss = try b.emit(.reduce(.sum, axes: Array(0..<b.type(of: y).rank)), [weighted], name: "loss")
    return b.finish(returning: [loss])
}

/// Evaluates `f` and returns its first result's only element.
func lossValue(_ f: Function, _ inputs: [HostTensor]) throws -> Double {
    try interpret(f, inputs: inputs)[0][0].asDouble
}

/// Central differences of `f`'s loss with respect to every element of parameter `index`.
func finiteDifferences(_ f: Function, _ inputs: [HostTensor], parameter index: Int, step: Double) throws -> [Double] {
    var shifted = inputs
    return try (0..<inputs[index].count).map { i in
        let x = inputs[index][i].asDouble
        shifted[index] = try inputs[index].copy()
        shifted[index][i] = .float(x + step)
        let up = try lossValue(f, shifted)
        shifted[index][i] = .float(x - step)
        let down = try lossValue(f, shifted)
        return (up - down) / (2 * step)
    }
}

/// Largest `|a - b|` relative to the largest `|b|`.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 0
    let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    return scale == 0 ? error : error / scale
}

/// Checks `grad(f, wrt:)`: it verifies, reproduces `f`'s results, and each gradient agrees with
/// central differences of the loss (relative error below `tolerance`) and is not all zeros.
func checkGradient(_ f: Function, _ inputs: [HostTensor], wrt: [String], step: Double = 1e-5,
                   tolerance: Double = 1e-6, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let g = try grad(f, wrt: wrt)
    try verify(g)
    let forward = try interpret(f, inputs: inputs)
    let outputs = try interpret(g, inputs: inputs)
    #expect(outputs.count == forward.count + wrt.count, sourceLocation: sourceLocation)
    for (a, b) in zip(forward, outputs) {
        #expect(a.doubles == b.doubles, "the gradient function changes the original results", sourceLocation: sourceLocation)
    }
    for (k, name) in wrt.enumerated() {
        let index = try #require(f.params.firstIndex { f.name(of: $0) == name }, sourceLocation: sourceLocation)
        let analytic = outputs[forward.count + k]
        #expect(analytic.type == inputs[index].type, sourceLocation: sourceLocation)
        let numeric = try finiteDifferences(f, inputs, parameter: index, step: step)
        let error = relativeError(analytic.doubles, numeric)
        #expect(error < tolerance, "d loss / d \(name): relative error \(error)\n\(printFunction(f))",
                sourceLocation: sourceLocation)
        #expect(numeric.isEmpty || numeric.contains { $0 != 0 }, "d loss / d \(name) is zero: the check proves nothing",
                sourceLocation: sourceLocation)
    }
}

/// Checks the gradient of `op` at random operand values (see `opLoss`) with respect to the
/// operands `wrt` (default: every float operand). `domains` gives each operand's domain (default
/// `.any`); integer operands are drawn from `-1...indexLimit`.
func checkOp(_ op: Op, _ operandTypes: [TensorType], wrt: [Int]? = nil, domains: [Domain] = [], indexLimit: Int = 3,
             rng: inout SeededGenerator, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let f = try opLoss(op, operandTypes)
    var inputs: [HostTensor] = []
    for (i, type) in operandTypes.enumerated() {
        inputs.append(try rng.tensor(type, i < domains.count ? domains[i] : .any, indexLimit: indexLimit))
    }
    inputs.append(try rng.tensor(f.paramTypes[operandTypes.count]))
    let names = (wrt ?? operandTypes.indices.filter { operandTypes[$0].dtype.isFloat }).map { "x\($0)" }
    try checkGradient(f, inputs, wrt: names, sourceLocation: sourceLocation)
}

/// Parses a one-function `.kir` text.
func parseFunction(_ text: String) throws -> Function {
    let module = try parseModule(text, file: "test.kir")
    try verify(module)
    return try #require(module.functions.first)
}

/// A seed derived from `text` (FNV-1a), so each parameterized case draws its own numbers.
func seed(_ text: String) -> UInt64 {
    text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
}
