import KilnIR
import KilnPasses
import KilnSupport

/// A graph shape the pass-scaling benchmark builds at any size.
public struct GraphShape: Sendable {
    public var name: String
    public var summary: String
    /// Builds a function of about `instructions` instructions.
    public var build: @Sendable (_ instructions: Int) throws(KilnError) -> Function

    /// The shapes `kiln bench passes` measures.
    public static let all: [GraphShape] = [chain, wide, mlp, softmax]

    /// `%v = add(%v, %y)` repeated: one long dependency chain.
    public static let chain = GraphShape(name: "chain", summary: "a chain of adds: %v = add(%v, %y)") { n throws(KilnError) in
        let b = FunctionBuilder(name: "chain")
        let x = b.parameter("x", TensorType(.f32, [8, 8]))
        let y = b.parameter("y", TensorType(.f32, [8, 8]))
        var v = x
        for _ in 0..<max(1, n) { v = try b.emit(.binary(.add), [v, y]) }
        return b.finish(returning: [v])
    }

    /// Many independent ops on one value, each dividing by one shared constant, summed by a
    /// balanced tree of adds.
    public static let wide = GraphShape(name: "wide", summary: "n/4 independent div(mul(%x, constant k), %two), summed pairwise") { n throws(KilnError) in
        let b = FunctionBuilder(name: "wide")
        let type = TensorType(.f32, [8, 8])
        let x = b.parameter("x", type)
        let two = try b.emit(.constant(.splat(.float(2)), type), [], name: "two")
        var level: [Value] = []
        for k in 0..<max(1, n / 4) {
            let c = try b.emit(.constant(.splat(.float(Double(k + 3))), type), [])
            level.append(try b.emit(.binary(.div), [try b.emit(.binary(.mul), [x, c]), two]))
        }
        while level.count > 1 {
            var next: [Value] = []
            for k in stride(from: 0, to: level.count - 1, by: 2) { next.append(try b.emit(.binary(.add), [level[k], level[k + 1]])) }
            if level.count % 2 == 1, let last = level.last { next.append(last) }
            level = next
        }
        return b.finish(returning: level)
    }

    /// Dense layers `tanh(matmul(%h, %w) + broadcast(%b))`, each broadcasting the bias again.
    public static let mlp = GraphShape(name: "mlp", summary: "layers tanh(matmul(%h, %w) + broadcast(%b)), 4 instructions each") { n throws(KilnError) in
        let b = FunctionBuilder(name: "mlp")
        var h = b.parameter("x", TensorType(.f32, [16, 32]))
        let w = b.parameter("w", TensorType(.f32, [32, 32]))
        let bias = b.parameter("b", TensorType(.f32, [32]))
        for _ in 0..<max(1, n / 4) {
            let product = try b.emit(.matmul(transposeA: false, transposeB: false), [h, w])
            let broadcast = try b.emit(.broadcastInDim(shape: [16, 32], dims: [1]), [bias])
            h = try b.emit(.unary(.tanh), [try b.emit(.binary(.add), [product, broadcast])])
        }
        return b.finish(returning: [h])
    }

    /// Row softmaxes of row softmaxes: reductions over the last axis and their broadcasts back.
    public static let softmax = GraphShape(name: "softmax", summary: "repeated row softmax plus a residual add, 8 instructions each") { n throws(KilnError) in
        let b = FunctionBuilder(name: "softmax")
        let x = b.parameter("x", TensorType(.f32, [16, 32]))
        var h = x
        func rowBroadcast(_ v: Value) throws(KilnError) -> Value {
            try b.emit(.broadcastInDim(shape: [16, 32], dims: [0]), [v])
        }
        for _ in 0..<max(1, n / 8) {
            let m = try rowBroadcast(try b.emit(.reduce(.max, axes: [1]), [h]))
            let e = try b.emit(.unary(.exp), [try b.emit(.binary(.sub), [h, m])])
            let s = try rowBroadcast(try b.emit(.reduce(.sum, axes: [1]), [e]))
            h = try b.emit(.binary(.add), [try b.emit(.binary(.div), [e, s]), x])
        }
        return b.finish(returning: [h])
    }
}

/// Time spent by each pass of a pipeline on one function.
public struct PassScalingResult: Sendable, Codable {
    public var shape: String
    public var instructionsBefore: Int
    public var instructionsAfter: Int
    public var rounds: Int
    /// Pass names in the order they first ran, with the milliseconds spent in each over all rounds.
    public var passes: [String]
    public var passMs: [Double]
    /// Verification after every pass, in milliseconds.
    public var verifyMs: Double
    public var totalPassMs: Double { passMs.reduce(0, +) }
}

/// Builds `shape` at `instructions` and runs `pipeline` on it (verifying after every pass when
/// `verifyEach`), timing each pass.
public func runPassScaling(_ shape: GraphShape, instructions: Int, pipeline: PassPipeline = .standard(),
                           verifyEach: Bool = true) throws(KilnError) -> PassScalingResult {
    var f = try shape.build(instructions)
    let before = f.body.count
    var pipeline = pipeline
    pipeline.verifyEach = verifyEach
    let report = try pipeline.run(on: &f)
    return PassScalingResult(shape: shape.name, instructionsBefore: before, instructionsAfter: f.body.count,
                             rounds: report.rounds, passes: report.passes.map(\.name),
                             passMs: report.passes.map { $0.seconds * 1e3 }, verifyMs: report.verifySeconds * 1e3)
}

/// The table `kiln bench passes` prints: one row per run, one column per pass.
public func passScalingTable(_ results: [PassScalingResult]) -> String {
    var passNames: [String] = []
    for r in results { for p in r.passes where !passNames.contains(p) { passNames.append(p) } }
    let header = ["shape", "instructions", "after", "rounds"] + passNames + ["passes", "verify"]
    let rows = results.map { r in
        [r.shape, String(r.instructionsBefore), String(r.instructionsAfter), String(r.rounds)]
            + passNames.map { name in r.passes.firstIndex(of: name).map { ms(r.passMs[$0]) } ?? "-" }
            + [ms(r.totalPassMs), ms(r.verifyMs)]
    }
    return markdownTable(header: header, rows: rows)
}
