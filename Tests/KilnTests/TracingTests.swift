import Testing
import Glibc
import KilnIR
import KilnRuntime
@testable import Kiln

/// The same model code run eagerly and traced into IR (then interpreted) gives the same numbers.
@Suite struct TracingTests {
    private func input(_ shape: [Int], seed: UInt64) throws -> Tensor {
        try Tensor(TensorType(.f32, shape), (0..<shape.reduce(1, *)).map { 2 * unitUniform(seed, $0) - 1 })
    }

    /// Runs `model` eagerly and traced on `x`; returns the largest difference.
    private func eagerVersusTraced(_ model: any Kiln.Module, _ x: Tensor) throws -> (Double, Function) {
        let eager = try model(x).scalars()
        let traced = try trace(name: "forward", inputs: [("x", x.type)]) { inputs in [try model(inputs[0])] }
        try verify(traced.function)
        let args = [try x.host()] + traced.parameters.map { $0.value }
        let interpreted = try interpret(traced.function, inputs: args)[0].doubles
        let worst = zip(eager, interpreted).map { Swift.abs($0 - $1) }.max() ?? 0
        return (worst, traced.function)
    }

    @Test func mlpTracesToTheSameNumbers() throws {
        let model = Sequential(try Linear(6, 8, seed: 1), Activation(relu), try Linear(8, 3, seed: 2), Activation { try softmax($0) })
        let (difference, f) = try eagerVersusTraced(model, try input([5, 6], seed: 3))
        #expect(difference == 0)
        #expect(f.params.count == 5, "x and four parameters")
        #expect(f.body.contains { $0.op == Op.matmul(transposeA: false, transposeB: false) })
    }

    @Test func convNetTracesToTheSameNumbers() throws {
        let model = Sequential(try Conv2D(2, 4, kernelSize: 3, padding: 1, seed: 1), Activation(relu), try MaxPool2D(2),
                               Flatten(), try Linear(4 * 2 * 2, 3, seed: 2))
        let (difference, f) = try eagerVersusTraced(model, try input([2, 2, 4, 4], seed: 5))
        #expect(difference == 0)
        #expect(f.params.count == 5, "x and four parameters: the conv bias is reshaped, still a parameter")
    }

    @Test func lstmAttentionAndNormsTraceToTheSameNumbers() throws {
        let lstm = try LSTM(3, 4, seed: 7)
        #expect(try eagerVersusTraced(lstm, try input([2, 5, 3], seed: 1)).0 == 0)
        let attention = try MultiHeadAttention(dimension: 4, heads: 2, seed: 3)
        #expect(try eagerVersusTraced(attention, try input([2, 3, 4], seed: 2)).0 == 0)
        let norm = try LayerNorm(4)
        #expect(try eagerVersusTraced(norm, try input([3, 4], seed: 4)).0 == 0)
    }

    @Test func broadcastingFollowsNumPy() throws {
        let a = try Tensor(shape: [2, 1], [1, 2])
        let b = try Tensor(shape: [3], [10, 20, 30])
        #expect(try (a + b).scalars() == [11, 21, 31, 12, 22, 32])
        #expect(try (a * 2).shape == [2, 1])
        #expect(throws: KilnError.self) { try Tensor(shape: [2], [1, 2]) + Tensor(shape: [3], [1, 2, 3]) }
    }

    @Test func shapeErrorsNameTheCallerAndBothShapes() throws {
        let a = try Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        do {
            _ = try a.matmul(a)
            Issue.record("expected a shape error")
        } catch {
            #expect(error.message.contains("f32[2,3]"))
            #expect(error.location?.file.hasSuffix("TracingTests.swift") == true, "\(error)")
            #expect(error.location?.line == #line - 5)
        }
    }

    @Test func parametersAreDiscoveredByReflection() throws {
        let model = Sequential(try Linear(2, 3, seed: 1), Activation(relu), Sequential(try Linear(3, 1, seed: 2)))
        #expect(model.namedParameters.map(\.0) == ["layers.0.weight", "layers.0.bias", "layers.2.layers.0.weight", "layers.2.layers.0.bias"])
        #expect(model.parameterCount == 2 * 3 + 3 + 3 + 1)
    }

    @Test func lossesMatchHandComputedValues() throws {
        let logits = try Tensor(shape: [2, 3], [1, 2, 3, 1, 1, 1])
        let labels = try Tensor(TensorType(.i32, [2]), [2, 0])
        let expected = (-(3 - Foundation_log(Foundation_exp(1) + Foundation_exp(2) + Foundation_exp(3))) + Foundation_log(3)) / 2
        #expect(Swift.abs(try crossEntropy(logits: logits, labels: labels).item() - expected) < 1e-6)
        let big = try Tensor(shape: [1, 2], [100, -100])
        #expect(try crossEntropy(logits: big, labels: Tensor(TensorType(.i32, [1]), [1])).item() == 200)
        #expect(try mse(Tensor(shape: [2], [1, 3]), Tensor(shape: [2], [0, 0])).item() == 5)
        let bce = try binaryCrossEntropy(logits: Tensor(shape: [1], [0]), targets: Tensor(shape: [1], [1])).item()
        #expect(Swift.abs(bce - Foundation_log(2)) < 1e-7)
    }

    @Test func schedulesMatchTheirFormulas() throws {
        #expect(try Schedule.linear(initial: 1, final: 0, steps: 10).rate(at: 5) == 0.5)
        #expect(Swift.abs(try Schedule.exponential(initial: 1, rate: 0.5, decaySteps: 2).rate(at: 4) - 0.25) < 1e-7)
        #expect(try Schedule.step(initial: 1, factor: 0.1, every: 3).rate(at: 2) == 1)
        #expect(Swift.abs(try Schedule.cosine(initial: 1, final: 0, steps: 4).rate(at: 2) - 0.5) < 1e-7)
    }
}

private func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
private func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
