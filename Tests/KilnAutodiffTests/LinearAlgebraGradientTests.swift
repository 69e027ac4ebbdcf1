import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

@Suite struct LinearAlgebraGradientTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul(_ ta: Bool, _ tb: Bool) throws {
        var rng = SeededGenerator(seed: seed("matmul\(ta)\(tb)"))
        for batch in [[], [2]] {
            let (m, k, n) = (rng.int(1...4), rng.int(1...4), rng.int(1...4))
            let a = TensorType(.f64, batch + (ta ? [k, m] : [m, k]))
            let b = TensorType(.f64, batch + (tb ? [n, k] : [k, n]))
            try checkOp(.matmul(transposeA: ta, transposeB: tb), [a, b], rng: &rng)
        }
    }

    /// A random convolution: attributes, batch `n`, channels `c` and `o`, spatial size `hw`, window `k`.
    struct ConvCase {
        var a: ConvAttributes
        var n, c, o: Int
        var hw, k: [Int]

        init(_ rng: inout SeededGenerator) {
            a = ConvAttributes(stride: rng.shape(rank: 2, dims: 1...3), padding: rng.shape(rank: 2, dims: 0...2),
                               dilation: rng.shape(rank: 2, dims: 1...2))
            (n, c, o) = (rng.int(1...2), rng.int(1...2), rng.int(1...3))
            (hw, k) = (rng.shape(rank: 2, dims: 2...7), rng.shape(rank: 2, dims: 1...3))
        }

        var input: TensorType { TensorType(.f64, [n, c] + hw) }
    }

    /// Draws cases until type inference accepts one.
    static func drawValid(_ rng: inout SeededGenerator,
                          _ make: (inout SeededGenerator) throws -> (Op, [TensorType])) -> (Op, [TensorType]) {
        while true {
            if let drawn = try? make(&rng), (try? inferResultTypes(drawn.0, drawn.1)) != nil { return drawn }
        }
    }

    @Test func conv2dStridedPaddedDilated() throws {
        var rng = SeededGenerator(seed: 20)
        for _ in 0..<5 {
            let (op, types) = Self.drawValid(&rng) { rng in
                let s = ConvCase(&rng)
                return (.conv2d(s.a), [s.input, TensorType(.f64, [s.o, s.c] + s.k)])
            }
            try checkOp(op, types, rng: &rng)
        }
    }

    @Test func conv2dTransposeWithOutputPadding() throws {
        var rng = SeededGenerator(seed: 21)
        var cases = (0..<4).map { _ in
            Self.drawValid(&rng) { rng in
                let s = ConvCase(&rng)
                let outputPadding = s.a.stride.indices.map { rng.int(0...(max(s.a.stride[$0], s.a.dilation[$0]) - 1)) }
                return (.conv2dTranspose(s.a, outputPadding: outputPadding), [s.input, TensorType(.f64, [s.c, s.o] + s.k)])
            }
        }
        // Output padding beyond the stride, allowed because the dilation is larger.
        cases.append((.conv2dTranspose(ConvAttributes(stride: [1, 2], padding: [1, 0], dilation: [3, 3]), outputPadding: [2, 2]),
                      [TensorType(.f64, [1, 2, 3, 4]), TensorType(.f64, [2, 2, 2, 3])]))
        for (op, types) in cases { try checkOp(op, types, rng: &rng) }
    }

    @Test func conv2dFilterGradInBothOperands() throws {
        var rng = SeededGenerator(seed: 22)
        for _ in 0..<4 {
            let (op, types) = Self.drawValid(&rng) { rng in
                let s = ConvCase(&rng)
                let out = try inferResultTypes(.conv2d(s.a), [s.input, TensorType(.f64, [s.o, s.c] + s.k)])[0]
                return (.conv2dFilterGrad(s.a, window: s.k), [s.input, out])
            }
            try checkOp(op, types, rng: &rng)
        }
    }

    static func randomPool(_ rng: inout SeededGenerator) -> (PoolAttributes, TensorType) {
        while true {
            let window = rng.shape(rank: 2, dims: 1...3)
            let p = PoolAttributes(window: window, stride: rng.shape(rank: 2, dims: 1...3),
                                   padding: window.map { rng.int(0...($0 - 1)) })
            let input = TensorType(.f64, [rng.int(1...2), rng.int(1...2)] + rng.shape(rank: 2, dims: 2...6))
            if (try? inferResultTypes(.maxPool2d(p), [input])) != nil { return (p, input) }
        }
    }

    @Test func pooling() throws {
        var rng = SeededGenerator(seed: 23)
        for _ in 0..<4 {
            let (p, input) = Self.randomPool(&rng)
            try checkOp(.maxPool2d(p), [input], rng: &rng)
            try checkOp(.avgPool2d(p), [input], rng: &rng)
        }
    }

    /// The pooling gradients are linear in their gradient operand; `input` only steers.
    @Test func poolingGradientsInTheirGradientOperand() throws {
        var rng = SeededGenerator(seed: 24)
        for _ in 0..<4 {
            let (p, input) = Self.randomPool(&rng)
            let pooled = try inferResultTypes(.maxPool2d(p), [input])[0]
            try checkOp(.maxPool2dGrad(p), [input, pooled], wrt: [1], rng: &rng)
            try checkOp(.avgPool2dGrad(p), [input, pooled], wrt: [1], rng: &rng)
        }
    }

    /// With many tied maxima (inputs 0 or 1) the adjoint must read back the very position the
    /// kernel wrote to: <max_pool2d_grad(x, g), w> = <g, d loss / d g> exactly.
    @Test func maxPoolGradAdjointWithTies() throws {
        var rng = SeededGenerator(seed: 25)
        for _ in 0..<4 {
            let (p, inputType) = Self.randomPool(&rng)
            let pooled = try inferResultTypes(.maxPool2d(p), [inputType])[0]
            let f = try opLoss(.maxPool2dGrad(p), [inputType, pooled])
            let input = try HostTensor(inputType, doubles: (0..<inputType.count).map { _ in rng.bool() ? 1 : 0 })
            let (g, w) = (try rng.tensor(pooled), try rng.tensor(inputType))
            let out = try interpret(try grad(f, wrt: ["x1"]), inputs: [input, g, w])
            let dot = zip(g.doubles, out[1].doubles).map(*).reduce(0, +)
            #expect(abs(out[0][0].asDouble - dot) < 1e-12)
        }
    }
}
