import KilnIR

/// A seeded, deterministic source of random valid Kiln functions, for round-trip, differential
/// and optimization tests.
///
/// Every op of the IR with every dtype it accepts can appear. Ops consume earlier values
/// (parameters or results), so functions are DAGs with fan-out; operands that must have a
/// particular type are built to fit (an existing value of that type, a reshaped, broadcast or
/// converted one, a new parameter or a constant). Every function passes `verify`.
///
/// ```swift
/// var generator = RandomFunctionGenerator(seed: 42)
/// let f = generator.makeFunction(name: "case0")
/// let outputs = try interpret(f, inputs: try randomInputs(for: f, seed: 42))
/// ```
public struct RandomFunctionGenerator {
    public var configuration: GeneratorConfiguration
    private var rng: SplitMix64

    public init(seed: UInt64, configuration: GeneratorConfiguration = GeneratorConfiguration()) {
        self.configuration = configuration
        self.rng = SplitMix64(seed: seed)
    }

    /// The next random function, named `name`.
    public mutating func makeFunction(name: String) -> Function {
        let synthesis = Synthesis(name: name, configuration: configuration, rng: rng)
        let f = synthesis.run()
        rng = synthesis.rng
        return f
    }
}

/// The ops the generator draws, with how often (ops with many variants weigh more): one per
/// `OpKind` except `fused`, pools and rng ops drawn in pairs (RandomFunctionGeneratorTests checks
/// that every op name of `OpKind` is generated).
enum DrawnOp: CaseIterable {
    case constant, iota, unary, binary, compare, select, convert, reduce, argmax
    case broadcast, reshape, transpose, slice, concatenate, pad, reverse
    case matmul, conv2d, conv2dTranspose, conv2dFilterGrad, pool, poolGrad
    case gather, scatterAdd, oneHot, rng, allReduce

    var family: OpGroup {
        switch self {
        case .constant, .iota: return .creation
        case .unary, .binary: return .elementwise
        case .compare, .select: return .comparison
        case .convert: return .conversion
        case .reduce, .argmax: return .reduction
        case .broadcast, .reshape, .transpose, .slice, .concatenate, .pad, .reverse: return .layout
        case .matmul: return .matmul
        case .conv2d, .conv2dTranspose, .conv2dFilterGrad: return .convolution
        case .pool, .poolGrad: return .pooling
        case .gather, .scatterAdd, .oneHot: return .indexing
        case .rng: return .random
        case .allReduce: return .collective
        }
    }

    var weight: Int {
        switch self {
        case .unary: return 5
        case .binary, .convert: return 3
        case .compare, .reduce, .pool, .poolGrad: return 2
        default: return 1
        }
    }
}

/// The state of one function being generated.
final class Synthesis {
    let configuration: GeneratorConfiguration
    var rng: SplitMix64
    private let builder: FunctionBuilder
    /// Every value so far (parameters and results), in creation order.
    private var pool: [Value] = []
    private var bodyValues: [Value] = []
    private var used: Set<Value> = []
    /// The allowed dtypes, in `DType.allCases` order.
    let dtypes: [DType]
    private let kinds: [DrawnOp]

    init(name: String, configuration: GeneratorConfiguration, rng: SplitMix64) {
        self.configuration = configuration
        self.rng = rng
        self.builder = FunctionBuilder(name: name)
        self.dtypes = DType.allCases.filter(configuration.dtypes.contains)
        self.kinds = DrawnOp.allCases.filter { configuration.families.contains($0.family) }
    }

    func run() -> Function {
        let target = rng.int(1...max(1, configuration.maxInstructions))
        for _ in 0..<rng.int(0...2) {
            if let dtype = rng.element(dtypes) { _ = try? fresh(TensorType(dtype, randomShape(ranks: 0...configuration.maxRank))) }
        }
        var attempts = 0
        while bodyValues.count < target, attempts < 10 * target, let kind = randomKind() {
            attempts += 1
            _ = try? add(kind)
        }
        return builder.finish(returning: chooseResults())
    }

    private func randomKind() -> DrawnOp? {
        var ticket = rng.int(0...max(0, kinds.reduce(0) { $0 + $1.weight } - 1))
        for kind in kinds {
            if ticket < kind.weight { return kind }
            ticket -= kind.weight
        }
        return nil
    }

    private func add(_ kind: DrawnOp) throws(KilnError) {
        switch kind {
        case .constant: try addConstant()
        case .iota: try addIota()
        case .unary: try addUnary()
        case .binary: try addBinary()
        case .compare: try addCompare()
        case .select: try addSelect()
        case .convert: try addConvert()
        case .reduce: try addReduce()
        case .argmax: try addArgmax()
        case .broadcast: try addBroadcast()
        case .reshape: try addReshape()
        case .transpose: try addTranspose()
        case .slice: try addSlice()
        case .concatenate: try addConcatenate()
        case .pad: try addPad()
        case .reverse: try addReverse()
        case .matmul: try addMatmul()
        case .conv2d: try addConv2d()
        case .conv2dTranspose: try addConv2dTranspose()
        case .conv2dFilterGrad: try addConv2dFilterGrad()
        case .pool: try addPool()
        case .poolGrad: try addPoolGrad()
        case .gather: try addGather()
        case .scatterAdd: try addScatterAdd()
        case .oneHot: try addOneHot()
        case .rng: try addRandom()
        case .allReduce: try addAllReduce()
        }
    }

    /// The unused results, up to `maxResults` of them (so that little is dead), now and then
    /// with an extra returned value that is used elsewhere, a parameter, or a repeat.
    private func chooseResults() -> [Value] {
        let sinks = bodyValues.filter { !used.contains($0) }
        var results = Array(rng.shuffled(sinks).prefix(max(1, configuration.maxResults)))
        if results.isEmpty || rng.chance(0.1), let extra = rng.element(pool) { results.append(extra) }
        if results.isEmpty { results.append(builder.parameter("x", TensorType(dtypes.first ?? .f32, []))) }
        return results
    }

    // MARK: values

    func type(_ v: Value) -> TensorType { builder.type(of: v) }

    func allows(_ family: OpGroup) -> Bool { configuration.families.contains(family) }

    /// Throws unless a value of type `t` is within the configuration.
    func requireFits(_ t: TensorType) throws(KilnError) {
        guard t.rank <= configuration.maxRank, t.count <= configuration.maxElements, dtypes.contains(t.dtype) else {
            throw KilnError("\(t) is outside the generator's configuration")
        }
    }

    /// Appends `op(operands)` when its result fits the configuration.
    @discardableResult
    func emit(_ op: Op, _ operands: [Value]) throws(KilnError) -> Value {
        try requireFits(try inferResultTypes(op, operands.map(type))[0])
        let v = try builder.emit(op, operands, name: nameHint())
        pool.append(v)
        bodyValues.append(v)
        used.formUnion(operands)
        return v
    }

    /// An existing value whose type satisfies `accepts`, favouring unused and recent ones so that
    /// chains grow deep and little is dead.
    private func existing(where accepts: (TensorType) -> Bool) -> Value? {
        let matches = pool.filter { accepts(type($0)) }
        let unused = matches.filter { !used.contains($0) }
        if !unused.isEmpty, rng.chance(0.6) { return rng.element(unused) }
        return rng.element(rng.chance(0.5) ? matches.suffix(3) : matches[...])
    }

    /// A new parameter or (when `creation` is allowed) constant of type `t`.
    func fresh(_ t: TensorType) throws(KilnError) -> Value {
        try requireFits(t)
        if allows(.creation), rng.chance(0.2) { return try emit(.constant(randomLiteral(t), t), []) }
        let p = builder.parameter(nameHint() ?? "", t)
        pool.append(p)
        return p
    }

    /// A value of exactly type `t`: mostly an existing one, else one adapted from an existing
    /// value, else a fresh one.
    func operand(ofType t: TensorType) throws(KilnError) -> Value {
        try requireFits(t)
        if rng.chance(0.8), let v = existing(where: { $0 == t }) { return v }
        if rng.chance(0.5), let v = try adapted(to: t) { return v }
        return try fresh(t)
    }

    /// An existing value reshaped or broadcast (from a scalar) to `t`'s shape and converted to
    /// its dtype, as the allowed families permit; nil when there is none.
    private func adapted(to t: TensorType) throws(KilnError) -> Value? {
        let layout = allows(.layout), conversion = allows(.conversion)
        guard let source = existing(where: {
            ($0.shape == t.shape || layout && ($0.count == t.count || $0.rank == 0)) && ($0.dtype == t.dtype || conversion)
        }) else { return nil }
        var v = source
        if type(v).shape != t.shape {
            v = try emit(type(v).count == t.count ? .reshape(shape: t.shape) : .broadcastInDim(shape: t.shape, dims: []), [v])
        }
        if type(v).dtype != t.dtype { v = try emit(.convert(t.dtype), [v]) }
        return v
    }

    /// A value with a dtype among `candidates` (and allowed) and a rank in `ranks`: mostly an
    /// existing one, else a fresh one of a random shape.
    func operand(among candidates: [DType], ranks: ClosedRange<Int> = 0...ShapeLimits.maxRank) throws(KilnError) -> Value {
        let allowed = dtypes.filter(candidates.contains)
        guard let dtype = rng.element(allowed), ranks.lowerBound <= configuration.maxRank else {
            throw KilnError("no allowed operand among \(candidates) of rank \(ranks)")
        }
        if rng.chance(0.85), let v = existing(where: { allowed.contains($0.dtype) && ranks.contains($0.rank) }) { return v }
        return try fresh(TensorType(dtype, randomShape(ranks: ranks)))
    }

    /// Nil (a numbered name) or one of a few names, some with dots and underscores.
    private func nameHint() -> String? {
        rng.chance(0.6) ? nil : rng.element(["x", "h", "t.1", "logits", "_tmp", "a.b", "W0", "y_2"])
    }
}
