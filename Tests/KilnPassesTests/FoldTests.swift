import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite struct FoldTests {
    private func fold(_ text: String, limits: FoldLimits = FoldLimits()) throws -> Function {
        var f = try PassPipelineTests.parse(text)
        _ = try ConstantFolding(limits: limits).run(on: &f)
        try verify(f)
        return f
    }

    /// A splat broadcast to 2^32 elements and exp of it fold without materializing the tensor.
    @Test func splatsFoldAtAnySize() throws {
        let f = try fold("""
        func @f() -> (f32[65536,65536]) {
          %c = constant() {value = 1.0} : f32[]
          %b = broadcast_in_dim(%c) {shape = [65536,65536], dims = []} : f32[65536,65536]
          %t = transpose(%b) {perm = [1,0]} : f32[65536,65536]
          %e = exp(%t) : f32[65536,65536]
          return %e
        }
        """)
        #expect(f.body.last?.op == .constant(.splat(.float(Double(Float(2.718281828459045)))), TensorType(.f32, [65536, 65536])))
    }

    @Test func limitsStopEvaluationAndDenseResults() throws {
        let text = """
        func @f() -> (i32[3], i32[]) {
          %i = iota() {shape = [3], axis = 0} : i32[3]
          %big = iota() {shape = [9], axis = 0} : i32[9]
          %s = reduce_sum(%big) {axes = [0]} : i32[]
          return %i, %s
        }
        """
        let tight = try fold(text, limits: FoldLimits(maxEvaluationWork: 8, maxDenseElements: 2))
        #expect(tight.body.map(\.op.name) == ["iota", "iota", "reduce_sum"])
        let roomy = try fold(text, limits: FoldLimits(maxEvaluationWork: 10, maxDenseElements: 9))
        #expect(roomy.body.map(\.op) == [
            .constant(.dense([.int(0), .int(1), .int(2)]), TensorType(.i32, [3])),
            .constant(.dense((0..<9).map { .int($0) }), TensorType(.i32, [9])),
            .constant(.splat(.int(36)), TensorType(.i32, [])),
        ])
    }

    /// A convolution of 2^16 outputs, each of 2^16 multiply-adds, is left for run time.
    @Test func expensiveOpsAreNotEvaluated() throws {
        let f = try fold("""
        func @f() -> (f32[1,1,256,256]) {
          %x = constant() {value = 1.0} : f32[1,1,1,1]
          %w = constant() {value = 0.5} : f32[1,1,256,256]
          %y = conv2d(%x, %w) {stride = [1,1], padding = [255,255], dilation = [1,1]} : f32[1,1,256,256]
          return %y
        }
        """)
        #expect(f.body.map(\.op.name) == ["constant", "constant", "conv2d"])
    }

    /// Every op evaluated on constant operands gives what the interpreter gives on the same values
    /// as inputs, bit for bit.
    @Test func foldingAgreesWithTheInterpreter() throws {
        let f = try PassPipelineTests.parse("""
        func @f(%x: f32[2,3], %n: i32[3], %k: i64[]) -> (f32[3,2], f32[2], i32[3], f32[2,3], f32[2,2], bool[2,3], f32[2,3]) {
          %t = transpose(%x) {perm = [1,0]} : f32[3,2]
          %s = reduce_max(%x) {axes = [1]} : f32[2]
          %d = div(%n, %n) : i32[3]
          %r = rng_normal(%k) {seed = -3} : f32[2,3]
          %m = matmul(%x, %t) : f32[2,2]
          %c = compare(%x, %r) {direction = "lt"} : bool[2,3]
          %e = sigmoid(%x) : f32[2,3]
          return %t, %s, %d, %r, %m, %c, %e
        }
        """)
        for seed in UInt64(0)..<UInt64(delicateRotation + 2) {
            let inputs = try delicateInputs(for: f, seed: seed)
            // The same function with its parameters turned into constants holding the inputs.
            var constant = f
            for (p, input) in zip(f.params, inputs) {
                let literal = Literal.dense((0..<input.count).map { input[$0] })
                constant.body.insert(Instruction(op: .constant(literal, input.type), operands: [], results: [p]), at: 0)
            }
            constant.params = []
            _ = try ConstantFolding().run(on: &constant)
            #expect(constant.body.allSatisfy { if case .constant = $0.op { true } else { false } })
            let expected = try interpret(f, inputs: inputs)
            let folded = try interpret(constant, inputs: [])
            #expect(zip(expected, folded).allSatisfy(sameBits), "seed \(seed)")
        }
    }
}
