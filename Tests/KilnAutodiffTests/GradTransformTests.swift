import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

@Suite struct GradTransformTests {
    static let affine = """
    func @affine(%x: f32[4,3], %w: f32[3,2], %b: f32[2], %n: i32[4]) -> (f32[], f32[4,2]) {
      %y = matmul(%x, %w) : f32[4,2]
      %bb = broadcast_in_dim(%b) {shape = [4,2], dims = [1]} : f32[4,2]
      %z = add(%y, %bb) : f32[4,2]
      %t = tanh(%z) : f32[4,2]
      %s = reduce_sum(%t) {axes = [0,1]} : f32[]
      return %s, %z
    }
    """

    /// The message of the `KilnError` `body` throws, or "" when it succeeds.
    static func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch let error as KilnError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func rejectsWhatCannotBeDifferentiated() throws {
        let f = try parseFunction(Self.affine)
        #expect(Self.error { _ = try grad(f, wrt: ["n"]) }.contains("%n: its type i32[4] is not f32 or f64"))
        #expect(Self.error { _ = try grad(f, wrt: ["nope"]) } == "@affine has no parameter %nope; its parameters are %x, %w, %b, %n")
        #expect(Self.error { _ = try grad(f, wrt: ["w", "%w"]) }.contains("listed twice"))
        #expect(Self.error { _ = try grad(f, wrt: []) }.contains("at least one parameter"))
        #expect(Self.error { _ = try grad(f, wrt: ["w"], name: "no spaces") }.contains("invalid function name"))
        let vector = try parseFunction("func @v(%x: f32[2]) -> (f32[2]) {\n  %y = exp(%x) : f32[2]\n  return %y\n}")
        #expect(Self.error { _ = try grad(vector, wrt: ["x"]) }.contains("its first result is f32[2], but grad needs a scalar f32 or f64 loss"))
        let integer = try parseFunction("func @i(%x: f32[2]) -> (i32[]) {\n  %y = argmax(%x) {axis = 0} : i32[]\n  return %y\n}")
        #expect(Self.error { _ = try grad(integer, wrt: ["x"]) }.contains("its first result is i32[]"))
    }

    @Test func gradientFunctionVerifiesAndRoundTripsThroughText() throws {
        let g = try grad(try parseFunction(Self.affine), wrt: ["w", "b", "x"])
        try verify(g)
        #expect(g.name == "affine_grad")
        #expect(g.paramTypes.count == 4)
        #expect(g.resultTypes == [TensorType(.f32, []), TensorType(.f32, [4, 2]), TensorType(.f32, [3, 2]),
                                  TensorType(.f32, [2]), TensorType(.f32, [4, 3])])
        let text = printFunction(g)
        #expect(text.contains("return %s, %z, %d_w, %d_b, %d_x\n"))
        let reparsed = try parseModule(text, file: "g.kir")
        try verify(reparsed)
        #expect(printModule(reparsed) == text)
    }

    /// Only the path from the listed parameters to the loss is differentiated, and forward values
    /// are read back instead of recomputed.
    @Test func differentiatesOnlyWhatIsNeeded() throws {
        let f = try parseFunction(Self.affine)
        let g = try grad(f, wrt: ["w"])
        let backward = g.body.dropFirst(f.body.count)
        // One matmul for d_w = xᵀ·ct; none for x, which is not listed.
        #expect(backward.filter { $0.op.name == "matmul" }.count == 1)
        #expect(!backward.contains { g.type(of: $0.results[0]) == TensorType(.f32, [4, 3]) })
        // No gradient for b: its broadcast is not differentiated.
        #expect(!backward.contains { g.type(of: $0.results[0]) == TensorType(.f32, [2]) })
        // tanh' = 1 - tanh², read from the forward tanh.
        #expect(g.body.filter { $0.op.name == "tanh" }.count == 1)
    }

    @Test func parameterTheLossIgnoresGetsZeros() throws {
        let f = try parseFunction("""
        func @f(%x: f64[2], %unused: f64[3]) -> (f64[]) {
          %s = reduce_sum(%x) {axes = [0]} : f64[]
          return %s
        }
        """)
        let out = try interpret(try grad(f, wrt: ["unused", "x"]), inputs: [
            HostTensor(TensorType(.f64, [2]), doubles: [1, 2]), HostTensor(TensorType(.f64, [3]), doubles: [1, 2, 3]),
        ])
        #expect(out[1].doubles == [0, 0, 0])
        #expect(out[2].doubles == [1, 1])
    }

    /// Evaluates `d loss / d x` for `loss = reduce_sum(op(x, ...) * weights)`.
    static func gradient(_ op: Op, _ operands: [HostTensor], weights: [Double], wrt: [String]) throws -> [[Double]] {
        let f = try opLoss(op, operands.map(\.type))
        let resultType = f.paramTypes[operands.count]
        let out = try interpret(try grad(f, wrt: wrt), inputs: operands + [HostTensor(resultType, doubles: weights)])
        return out.dropFirst().map(\.doubles)
    }

    @Test func tiesFollowTheForward() throws {
        let a = try HostTensor(TensorType(.f64, [3]), doubles: [1, 2, 3])
        let b = try HostTensor(TensorType(.f64, [3]), doubles: [1, 0, 5])
        // max returns b on ties (1 vs 1), so b gets the gradient there; min likewise.
        #expect(try Self.gradient(.binary(.max), [a, b], weights: [1, 1, 1], wrt: ["x0", "x1"]) == [[0, 1, 0], [1, 0, 1]])
        #expect(try Self.gradient(.binary(.min), [a, b], weights: [1, 1, 1], wrt: ["x0", "x1"]) == [[0, 0, 1], [1, 1, 0]])
        let kinks = try HostTensor(TensorType(.f64, [4]), doubles: [0, -0.0, -1, 2])
        #expect(try Self.gradient(.unary(.relu), [kinks], weights: [1, 1, 1, 1], wrt: ["x0"]) == [[0, 0, 0, 1]])
        #expect(try Self.gradient(.unary(.abs), [kinks], weights: [1, 1, 1, 1], wrt: ["x0"]).map { $0.map(abs) } == [[0, 0, 1, 1]])
        // reduce_max splits evenly among equal maxima.
        let rows = try HostTensor(TensorType(.f64, [2, 3]), doubles: [3, 1, 3, 2, 2, 2])
        #expect(try Self.gradient(.reduce(.max, axes: [1]), [rows], weights: [1, 3], wrt: ["x0"]) == [[0.5, 0, 0.5, 1, 1, 1]])
        // max_pool2d sends each window's gradient to its first maximum.
        let flat = try HostTensor(TensorType(.f64, [1, 1, 2, 3]), doubles: [1, 7, 7, 7, 7, 0])
        let pool = Op.maxPool2d(PoolAttributes(window: [2, 2], stride: [1, 1]))
        #expect(try Self.gradient(pool, [flat], weights: [10, 100], wrt: ["x0"]) == [[0, 110, 0, 0, 0, 0]])
    }

    /// Softmax cross-entropy written stably; the gradient is softmax - onehot with no NaN or inf.
    @Test func softmaxCrossEntropyIsStableForLargeLogits() throws {
        let f = try parseFunction("""
        func @xent(%logits: f32[2,3], %labels: i32[2]) -> (f32[]) {
          %m = reduce_max(%logits) {axes = [1]} : f32[2]
          %mb = broadcast_in_dim(%m) {shape = [2,3], dims = [0]} : f32[2,3]
          %shifted = sub(%logits, %mb) : f32[2,3]
          %e = exp(%shifted) : f32[2,3]
          %se = reduce_sum(%e) {axes = [1]} : f32[2]
          %lse = log(%se) : f32[2]
          %lseb = broadcast_in_dim(%lse) {shape = [2,3], dims = [0]} : f32[2,3]
          %logp = sub(%shifted, %lseb) : f32[2,3]
          %onehot = one_hot(%labels) {depth = 3} : f32[2,3]
          %picked = mul(%logp, %onehot) : f32[2,3]
          %total = reduce_sum(%picked) {axes = [0,1]} : f32[]
          %loss = neg(%total) : f32[]
          return %loss
        }
        """)
        let logits = try HostTensor([2, 3], floats: [100, -100, 0, -100, -100, 100])
        let labels = try HostTensor(TensorType(.i32, [2]), doubles: [1, 0])
        let out = try interpret(try grad(f, wrt: ["logits"]), inputs: [logits, labels])
        #expect(out[0].doubles == [400])
        let gradient = out[1].doubles
        #expect(gradient.allSatisfy { $0.isFinite })
        let expected: [Double] = [1, -1, 0, -1, 0, 1]
        #expect(zip(gradient, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func gradientModuleHoldsTheFunctionAndItsGradient() throws {
        let module = try parseModule(Self.affine + "\n" + ProgramGradientTests.mlp, file: "m.kir")
        let first = try gradientModule(module, wrt: ["w"])
        #expect(first.functions.map(\.name) == ["affine", "affine_grad"])
        let chosen = try gradientModule(module, function: "mlp", wrt: ["w1", "b2"])
        #expect(chosen.functions.map(\.name) == ["mlp", "mlp_grad"])
        #expect(chosen.functions[1].resultTypes.dropFirst() == [TensorType(.f64, [5, 6]), TensorType(.f64, [3])])
        #expect(Self.error { _ = try gradientModule(module, function: "nope", wrt: ["w"]) }
                == "no function @nope in the module; it holds @affine, @mlp")
    }

    /// The rules run eagerly on tensors give exactly what the gradient function computes.
    @Test func eagerRulesAgreeWithTheTransform() throws {
        var rng = SeededGenerator(seed: 40)
        let cases: [(Op, [TensorType])] = [
            (.matmul(transposeA: true, transposeB: false), [TensorType(.f64, [3, 2]), TensorType(.f64, [3, 4])]),
            (.conv2d(ConvAttributes(stride: [2, 1], padding: [1, 1])), [TensorType(.f64, [1, 2, 5, 5]), TensorType(.f64, [3, 2, 3, 3])]),
            (.unary(.tanh), [TensorType(.f64, [2, 3])]),
        ]
        for (op, types) in cases {
            let operands = try types.map { try rng.tensor($0) }
            let result = try evaluate(op, operands)
            let weights = try rng.tensor(result.type)
            let eager = try pullback(of: op, operands: operands, result: result, cotangent: weights, emitter: EagerEmitter())
            let names = types.indices.map { "x\($0)" }
            let symbolic = try Self.gradient(op, operands, weights: weights.doubles, wrt: names)
            #expect(eager.map { $0?.doubles } == symbolic.map { Optional($0) })
        }
    }

    @Test func pullbackRejectsOperandsThatDoNotFitTheOp() throws {
        let e = EagerEmitter()
        let a = try HostTensor(TensorType(.f64, [2]), doubles: [1, 2])
        let b = try HostTensor(TensorType(.f64, [3]), doubles: [1, 2, 3])
        #expect(Self.error { _ = try pullback(of: .binary(.add), operands: [a], result: a, cotangent: a, emitter: e) }
                .contains("takes 2 operands"))
        #expect(Self.error { _ = try pullback(of: .unary(.exp), operands: [a], result: b, cotangent: b, emitter: e) }
                .contains("needs a result and a cotangent of type f64[2]"))
        #expect(Self.error { _ = try e.unbroadcast(b, to: [3], dims: [1]) }.contains("cannot unbroadcast"))
    }
}
