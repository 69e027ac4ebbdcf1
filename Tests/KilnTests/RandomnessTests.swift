import Testing
import KilnIR
import KilnJIT
import KilnRuntime
@testable import Kiln

/// `randomNormal` / `randomUniform` / `bernoulli`: the same numbers eagerly, interpreted and
/// compiled; fresh every step and every draw; statistically what they claim.
@Suite struct RandomnessTests {
    /// Three draws (two with one seed) shifted by `x`, so that they are traced into `x`'s trace.
    static func draws(_ x: Tensor) throws -> [Tensor] {
        [try randomNormal(x.shape, like: x, seed: 5) + x,
         try randomNormal(x.shape, like: x, seed: 5),
         try randomUniform(x.shape, like: x, low: -2, high: 3, seed: 9),
         try bernoulli(x.shape, probability: 0.25, like: x, seed: 9)]
    }

    static let x = Result { try HostTensor(TensorType(.f32, [3, 5]), doubles: (0..<15).map { Double($0) / 10 }) }

    static func eager(step: Int) throws -> [[Double]] {
        try withEagerRandomStep(step) { try draws(Tensor(x.get())).map { try $0.scalars() } }
    }

    @Test func compiledInterpretedAndEagerDrawTheSameNumbers() throws {
        let x = try Self.x.get()
        let traced = try trace(name: "noise", inputs: [("x", x.type)]) { try Self.draws($0[0]) }
        #expect(traced.function.paramTypes == [x.type, TensorType(.i64, [])], "the input, then the random key")
        let code = try JITCompiler.shared.compile(traced.function)
        for step in [1, 2, 1000] {
            let inputs = [x, try HostTensor(TensorType(.i64, []), doubles: [Double(step)])]
            let interpreted = try interpret(traced.function, inputs: inputs).map(\.doubles)
            #expect(try code.run(inputs).map(\.doubles) == interpreted, "compiled = interpreter, bit for bit")
            #expect(try Self.eager(step: step) == interpreted, "eager = interpreter, bit for bit")
        }
    }

    @Test func everyStepAndEveryDrawIsFresh() throws {
        let first = try Self.eager(step: 1), second = try Self.eager(step: 2)
        for (a, b) in zip(first, second).dropLast() { #expect(a != b, "step 2 draws new values") }
        let shift = try Self.x.get().doubles
        #expect(zip(first[0], shift).map { $0 - $1 } != first[1].map { Double(Float($0)) },
                "two draws with one seed in one step differ")
        #expect(try Self.eager(step: 1) == first, "a step's draws are reproducible")
    }

    /// Mean and variance of 20,000 draws within 5 standard errors of the distribution's.
    @Test func distributionsHaveTheirMeanAndVariance() throws { try withEagerRandomStep(3) { try distributions() } }

    private func distributions() throws {
        let like = try Tensor(scalar: 0, dtype: .f64)
        let n = 20_000.0
        func check(_ t: Tensor, mean: Double, variance: Double, fourthMoment: Double) throws {
            let v = try t.scalars()
            let m = v.reduce(0, +) / n
            let s = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
            #expect(Swift.abs(m - mean) < 5 * (variance / n).squareRoot(), "mean \(m), expected \(mean)")
            #expect(Swift.abs(s - variance) < 5 * ((fourthMoment - variance * variance) / n).squareRoot(),
                    "variance \(s), expected \(variance)")
        }
        try check(randomNormal([20_000], like: like, mean: 2, standardDeviation: 3), mean: 2, variance: 9, fourthMoment: 3 * 81)
        try check(randomUniform([20_000], like: like, low: -1, high: 3), mean: 1, variance: 16.0 / 12, fourthMoment: 256.0 / 80)
        let p = 0.3
        try check(bernoulli([20_000], probability: p, like: like), mean: p, variance: p * (1 - p),
                  fourthMoment: p * (1 - p) * (1 - 3 * p * (1 - p)))
        #expect(try bernoulli([100], probability: 0.3, like: like).scalars().allSatisfy { $0 == 0 || $0 == 1 })
    }

    /// A model drawing noise in its forward pass trains to the same parameters eagerly, interpreted
    /// and compiled: the traced step's `rng_key` is the step count, as the eager step's key.
    @Test func noisyModelTrainsAlikeInEveryMode() throws {
        final class Noisy: Kiln.Module {
            let linear: Linear
            init() throws { linear = try Linear(5, 2, seed: 4) }
            func forward(_ x: Tensor) throws -> Tensor {
                try linear(x + randomNormal(x.shape, like: x, standardDeviation: 0.5, seed: 1))
            }
        }
        let x = try Self.x.get(), y = try HostTensor(zeros: TensorType(.f32, [3, 2]))
        var results: [[Double]] = []
        for mode in ExecutionMode.allCases {
            let model = try Noisy()
            let trainer = try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.1),
                                      inputType: x.type, labelType: y.type, mode: mode)
            for _ in 0..<4 { try trainer.step(x, y) }
            results.append(model.parameters.flatMap { $0.value.doubles })
        }
        for other in results.dropFirst() {
            #expect(zip(results[0], other).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * (1 + Swift.abs($1)) }, "\(results)")
        }
    }

    @Test func compiledPredictionsDrawAnewEachCall() throws {
        let model = Activation { x in try x + randomNormal(x.shape, like: x) }
        let evaluator = Evaluator(model: model)
        let x = try Self.x.get()
        let a = try evaluator.predict(x).doubles, b = try evaluator.predict(x).doubles
        #expect(a != b)
        #expect(a.count == 15)
    }

    /// Dropout draws with `randomUniform`: two calls in one step give two masks, eager = traced.
    @Test func dropoutCalledTwiceInOneStepDrawsTwoMasks() throws {
        let dropout = try Dropout(rate: 0.5, seed: 3)
        let x = try HostTensor(TensorType(.f32, [64]), doubles: Array(repeating: 1, count: 64))
        let traced = try trace(name: "twice", inputs: [("x", x.type)]) { [try dropout($0[0]), try dropout($0[0])] }
        let outputs = try interpret(traced.function, inputs: [x, try HostTensor(TensorType(.i64, []), doubles: [1])]).map(\.doubles)
        #expect(outputs[0] != outputs[1])
        #expect(outputs.allSatisfy { $0.allSatisfy { $0 == 0 || $0 == 2 } })
        let eager = try withEagerRandomStep(1) { [try dropout(Tensor(x)).scalars(), try dropout(Tensor(x)).scalars()] }
        #expect(eager == outputs)
    }

    @Test func argumentsAreChecked() throws {
        let like = try Tensor(scalar: 0)
        #expect(throws: KilnError.self) { try randomNormal([2], like: like, standardDeviation: 0) }
        #expect(throws: KilnError.self) { try randomUniform([2], like: like, low: 1, high: 1) }
        #expect(throws: KilnError.self) { try bernoulli([2], probability: 1.5, like: like) }
        #expect(throws: KilnError.self) { try randomNormal([2], like: try Tensor(TensorType(.i32, []), [0])) }
    }
}
