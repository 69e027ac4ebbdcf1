import KilnIR
import KilnTestSupport
import Testing

@Suite struct RandomFunctionGeneratorTests {
    /// The functions the coverage tests inspect: the round-trip cases, at least 1000 of them.
    static let functions: [Function] = {
        var seeds = randomSeeds(countVariable: "KILN_RANDOM_CASES", defaultCount: 1000)
        if let last = seeds.last, seeds.count < 1000 { seeds += (1...(1000 - seeds.count)).map { last &+ UInt64($0) } }
        if seeds.isEmpty { seeds = (0..<1000).map(UInt64.init) }
        return seeds.map(variedRandomFunction)
    }()

    @Test func splitMix64MatchesTheReferenceSequence() {
        var zero = SplitMix64(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var other = SplitMix64(seed: 1_234_567)
        #expect([other.next(), other.next()] == [0x599E_D017_FB08_FC85, 0x2C73_F084_5854_0FA5])
    }

    @Test func theSeedDeterminesTheFunction() {
        var a = RandomFunctionGenerator(seed: 7), b = RandomFunctionGenerator(seed: 7), c = RandomFunctionGenerator(seed: 8)
        let texts = (0..<5).map { printFunction(a.makeFunction(name: "f\($0)")) }
        #expect(texts == (0..<5).map { printFunction(b.makeFunction(name: "f\($0)")) })
        #expect(texts != (0..<5).map { printFunction(c.makeFunction(name: "f\($0)")) })
        #expect(Set(texts).count == 5)
    }

    @Test func everyGeneratedFunctionVerifies() {
        for f in Self.functions {
            do { try verify(f) } catch { Issue.record("\(error) in:\n\(printFunction(f))") }
        }
    }

    @Test func coversEveryOpNameAndDtype() {
        let instructions = Self.functions.flatMap(\.body)
        // `fused` kernels come from the fuse pass, which the differential suites run on these functions.
        for name in Op.allNames where name != "fused" {
            #expect(instructions.contains { $0.op.name == name }, "no '\(name)' generated")
        }
        let dtypes = Set(Self.functions.flatMap(\.values).map(\.type.dtype))
        #expect(dtypes == Set(DType.allCases))
    }

    @Test func coversEveryDtypeEachOpAccepts() {
        var seen: Set<String> = []
        for f in Self.functions {
            for inst in f.body { seen.formUnion(dtypeFeatures(inst, in: f)) }
        }
        let missing = expectedDtypeFeatures.subtracting(seen)
        #expect(missing.isEmpty, "never generated: \(missing.sorted())")
        let unexpected = seen.subtracting(expectedDtypeFeatures)
        #expect(unexpected.isEmpty, "generated outside the op table: \(unexpected.sorted())")
    }

    @Test func coversAttributeVariantsAndShapes() {
        var seen: Set<String> = []
        for f in Self.functions {
            for inst in f.body { seen.formUnion(variantFeatures(inst, in: f)) }
            let types = f.values.map(\.type)
            if types.contains(where: { $0.rank == 0 }) { seen.insert("scalar") }
            if types.contains(where: { $0.shape.contains(1) }) { seen.insert("size-1 axis") }
            if types.contains(where: { $0.shape.contains { $0 > 1 && $0 % 2 == 1 } }) { seen.insert("odd axis") }
            if types.contains(where: { $0.shape.contains(0) }) { seen.insert("empty axis") }
            let uses = f.body.flatMap(\.operands) + f.results
            if Set(uses).count < uses.count { seen.insert("fan-out") }
            if f.results.count > 1 { seen.insert("several results") }
            if f.body.contains(where: { inst in inst.operands.contains { f.params.contains($0) } }) { seen.insert("parameter use") }
        }
        let missing = expectedVariants.subtracting(seen)
        #expect(missing.isEmpty, "never generated: \(missing.sorted())")
    }

    @Test func restrictedConfigurationsAreRespected() throws {
        var configuration = GeneratorConfiguration()
        configuration.dtypes = [.f64, .i32]
        configuration.families = [.elementwise, .layout]
        configuration.maxRank = 2
        configuration.maxElements = 12
        configuration.maxInstructions = 6
        var generator = RandomFunctionGenerator(seed: 3, configuration: configuration)
        let allowedOps = Set(UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue)
            + ["broadcast_in_dim", "reshape", "transpose", "slice", "concatenate", "pad", "reverse", "constant"])
        var opsSeen: Set<String> = []
        for index in 0..<200 {
            let f = generator.makeFunction(name: "r\(index)")
            try verify(f)
            #expect(!f.body.isEmpty)
            #expect(f.body.count <= 6 * 4, "too many instructions:\n\(printFunction(f))")
            for info in f.values {
                #expect(info.type.rank <= 2 && info.type.count <= 12 && [.f64, .i32].contains(info.type.dtype), "\(info.type)")
            }
            opsSeen.formUnion(f.body.map(\.op.name))
        }
        #expect(opsSeen.isSubset(of: allowedOps), "\(opsSeen.subtracting(allowedOps))")
        #expect(opsSeen.count >= 20)
    }

    @Test func guardsFeedRiskyOpsSafeOperands() {
        var configuration = GeneratorConfiguration()
        configuration.dtypes = [.f32]
        configuration.families = [.elementwise]
        var generator = RandomFunctionGenerator(seed: 11, configuration: configuration)
        var guarded = 0
        for index in 0..<200 {
            let f = generator.makeFunction(name: "g\(index)")
            let producer = Dictionary(uniqueKeysWithValues: f.body.map { ($0.results[0], $0) })
            func isAbsPlusHalf(_ v: Value) -> Bool {
                guard let add = producer[v], add.op == .binary(.add), add.operands.count == 2,
                      let abs = producer[add.operands[0]], abs.op == .unary(.abs) else { return false }
                return producer[add.operands[1]]?.op == .constant(.splat(.float(0.5)), f.type(of: v))
            }
            func isTanh(_ v: Value) -> Bool { producer[v]?.op == .unary(.tanh) }
            for inst in f.body {
                let ok: Bool
                switch inst.op {
                case .unary(.log), .unary(.sqrt), .unary(.rsqrt): ok = isAbsPlusHalf(inst.operands[0])
                case .unary(.exp): ok = isTanh(inst.operands[0])
                case .binary(.div): ok = isAbsPlusHalf(inst.operands[1])
                case .binary(.pow): ok = isAbsPlusHalf(inst.operands[0]) && isTanh(inst.operands[1])
                case .constant(let literal, let t):
                    ok = (0..<t.count).allSatisfy { (-1.0...2.0).contains(literal[$0].asDouble) }
                default: continue
                }
                guarded += 1
                #expect(ok, "unguarded \(inst.op.name) in:\n\(printFunction(f))")
            }
        }
        #expect(guarded > 100)
    }

    @Test func structuralFormIgnoresCreationOrderAndLocations() throws {
        let b = FunctionBuilder(name: "f")
        let x = b.parameter("x", TensorType(.f32, [2]))
        let y = try b.emit(.unary(.neg), [x], name: "y")
        let late = b.parameter("late", TensorType(.f32, [2]))
        let z = try b.emit(.binary(.add), [y, late], name: "z")
        let built = b.finish(returning: [z])
        let parsed = try #require(try parseModule(printFunction(built), file: "f.kir").functions.first)
        #expect(parsed != built)
        #expect(structuralForm(parsed) == structuralForm(built))
        var changed = parsed
        changed.body[1].operands.reverse()
        #expect(structuralForm(changed) != structuralForm(built))
    }
}

private let allDtypes = DType.allCases.map(\.rawValue)
private let numeric = ["f32", "f64", "i32", "i64"]
private let floats = ["f32", "f64"]
private let ints = ["i32", "i64"]

/// `name:d` for the first operand's dtype (`name:` without operands), `name->d` for the result
/// dtype, `name[1]:d` for the index operand of gather and scatter_add, `convert:a->b`.
private func dtypeFeatures(_ inst: Instruction, in f: Function) -> [String] {
    let name = inst.op.name
    let operands = inst.operands.map { f.type(of: $0).dtype.rawValue }
    let result = f.type(of: inst.results[0]).dtype.rawValue
    var features = ["\(name):\(operands.first ?? "")", "\(name)->\(result)"]
    switch inst.op {
    case .gather, .scatterAdd: features.append("\(name)[1]:\(operands[1])")
    case .convert: features.append("convert:\(operands[0])->\(result)")
    default: break
    }
    return features
}

/// The features the op table of docs/ir.md allows, every one of which must be generated.
private let expectedDtypeFeatures: Set<String> = {
    var expected: Set<String> = []
    func add(_ names: [String], operand: [String], result: [String]) {
        for name in names {
            expected.formUnion(operand.map { "\(name):\($0)" })
            expected.formUnion(result.map { "\(name)->\($0)" })
        }
    }
    let layout = ["broadcast_in_dim", "reshape", "transpose", "slice", "concatenate", "pad", "reverse"]
    let floatOps = ["matmul", "conv2d", "conv2d_transpose", "conv2d_filter_grad", "max_pool2d", "avg_pool2d",
                    "max_pool2d_grad", "avg_pool2d_grad", "all_reduce"]
    let anyNumeric = UnaryOp.allCases.filter { !$0.isFloatOnly }.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue)
        + ReduceOp.allCases.map { "reduce_" + $0.rawValue }
    add(["constant"], operand: [""], result: allDtypes)
    add(["iota"], operand: [""], result: numeric)
    add(UnaryOp.allCases.filter(\.isFloatOnly).map(\.rawValue), operand: floats, result: floats)
    add(anyNumeric, operand: numeric, result: numeric)
    add(["compare"], operand: allDtypes, result: ["bool"])
    add(["select"], operand: ["bool"], result: allDtypes)
    add(["convert"] + layout + ["gather"], operand: allDtypes, result: allDtypes)
    add(["argmax"], operand: numeric, result: ["i32"])
    add(floatOps, operand: floats, result: floats)
    add(["scatter_add"], operand: numeric, result: numeric)
    add(["one_hot"], operand: ints, result: allDtypes)
    add(["rng_uniform", "rng_normal"], operand: [""] + ints, result: floats)
    expected.formUnion(ints.flatMap { ["gather[1]:\($0)", "scatter_add[1]:\($0)"] })
    expected.formUnion(allDtypes.flatMap { a in allDtypes.map { "convert:\(a)->\($0)" } })
    return expected
}()

/// Attribute variants worth covering: compare directions, splat and dense constants, matmul
/// flags and batching, nontrivial strides, paddings and dilations, multi-operand concatenation...
private func variantFeatures(_ inst: Instruction, in f: Function) -> [String] {
    let name = inst.op.name
    func conv(_ a: ConvAttributes) -> [String] {
        (a.stride.contains { $0 > 1 } ? ["\(name) stride"] : []) + (a.padding.contains { $0 > 0 } ? ["\(name) padding"] : [])
            + (a.dilation.contains { $0 > 1 } ? ["\(name) dilation"] : [])
    }
    func pool(_ p: PoolAttributes) -> [String] {
        (p.padding.contains { $0 > 0 } ? ["\(name) padding"] : []) + (p.stride != p.window ? ["\(name) stride"] : [])
            + (p.window[0] != p.window[1] ? ["\(name) rectangular"] : [])
    }
    switch inst.op {
    case .compare(let d): return ["compare \(d.rawValue)"]
    case .constant(.splat, _): return ["constant splat"]
    case .constant(.dense, _): return ["constant dense"]
    case let .matmul(ta, tb): return ["matmul ta=\(ta) tb=\(tb) rank \(f.type(of: inst.operands[0]).rank)"]
    case .conv2d(let a), .conv2dFilterGrad(let a, _): return conv(a)
    case let .conv2dTranspose(a, outputPadding): return conv(a) + (outputPadding.contains { $0 > 0 } ? ["\(name) output_padding"] : [])
    case .maxPool2d(let p), .avgPool2d(let p), .maxPool2dGrad(let p), .avgPool2dGrad(let p): return pool(p)
    case .slice(_, _, let stride): return stride.contains { $0 > 1 } ? ["slice stride"] : []
    case .concatenate: return inst.operands.count > 1 ? ["concatenate several"] : ["concatenate one"]
    case .reduce(_, let axes): return ["\(name) axes=\(min(axes.count, 2))"]
            + (axes != axes.sorted() ? ["\(name) unsorted axes"] : [])
    case .broadcastInDim(_, let dims): return dims.count < f.type(of: inst.results[0]).rank ? ["broadcast new axes"] : []
    case let .pad(low, high, _): return (low + high).contains { $0 > 0 } ? ["pad nonzero"] : []
    case .rngUniform, .rngNormal: return ["\(name) \(inst.operands.isEmpty ? "without" : "with") key"]
    default: return []
    }
}

private let expectedVariants: Set<String> = {
    var expected: Set<String> = ["scalar", "size-1 axis", "odd axis", "empty axis", "fan-out", "several results",
                                 "parameter use", "constant splat", "constant dense", "slice stride",
                                 "concatenate several", "concatenate one", "broadcast new axes", "pad nonzero",
                                 "conv2d_transpose output_padding"]
    expected.formUnion(CompareDirection.allCases.map { "compare \($0.rawValue)" })
    for ta in [false, true] {
        for tb in [false, true] { expected.formUnion([2, 3].map { "matmul ta=\(ta) tb=\(tb) rank \($0)" }) }
    }
    for name in ["conv2d", "conv2d_transpose", "conv2d_filter_grad"] {
        expected.formUnion(["stride", "padding", "dilation"].map { "\(name) \($0)" })
    }
    for name in ["max_pool2d", "avg_pool2d", "max_pool2d_grad", "avg_pool2d_grad"] {
        expected.formUnion(["padding", "stride", "rectangular"].map { "\(name) \($0)" })
    }
    for r in ReduceOp.allCases.map({ "reduce_" + $0.rawValue }) {
        expected.formUnion(["axes=0", "axes=1", "axes=2", "unsorted axes"].map { "\(r) \($0)" })
    }
    for name in ["rng_uniform", "rng_normal"] { expected.formUnion(["with key", "without key"].map { "\(name) \($0)" }) }
    return expected
}()
