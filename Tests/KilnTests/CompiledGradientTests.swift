import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// `CompiledGradient`: the gradient of a class score with respect to the input, compiled,
/// interpreted and eager, against central finite differences of the model run eagerly in f64.
@Suite struct CompiledGradientTests {
    static let x0: [Double] = (0..<15).map { Double(($0 * 7) % 11) / 5 - 1 }
    static let labels: [Double] = [2, 0, 1]

    /// A tanh MLP over f64 inputs [3, 5] and its score: the sum of each row's logit of its label.
    static func make() throws -> (Sequential, ([Tensor]) throws -> Tensor) {
        let model = Sequential(try Linear(5, 6, dtype: .f64, seed: 4), Activation(tanh), try Linear(6, 3, dtype: .f64, seed: 5))
        return (model, { t in try (model(t[0]) * t[1].oneHot(depth: 3, dtype: .f64)).sum() })
    }

    @Test(arguments: ExecutionMode.allCases) func gradientMatchesFiniteDifferences(_ mode: ExecutionMode) throws {
        let (_, score) = try Self.make()
        let types = [TensorType(.f64, [3, 5]), TensorType(.i64, [3])]
        let saliency = try CompiledGradient(inputs: types, mode: mode, score)
        let y = try HostTensor(types[1], doubles: Self.labels)
        let (value, gradients) = try saliency([try HostTensor(types[0], doubles: Self.x0), y])
        #expect(gradients.count == 2 && gradients[1] == nil)
        let g = try #require(gradients[0]).doubles
        let at = { (x: [Double]) in try score([Tensor(types[0], x), Tensor(y)]).item() }
        #expect(Swift.abs(value - (try at(Self.x0))) < 1e-12)
        let h = 1e-6
        for i in Self.x0.indices {
            var plus = Self.x0, minus = Self.x0
            plus[i] += h
            minus[i] -= h
            let reference = (try at(plus) - at(minus)) / (2 * h)
            #expect(Swift.abs(g[i] - reference) < 1e-7, "element \(i): \(g[i]) vs \(reference)")
        }
    }

    /// The traced function reads the parameters' current values at each call, not those at tracing.
    @Test func readsCurrentParameters() throws {
        let (model, score) = try Self.make()
        let types = [TensorType(.f64, [3, 5]), TensorType(.i64, [3])]
        let saliency = try CompiledGradient(inputs: types, score)
        let inputs = [try HostTensor(types[0], doubles: Self.x0), try HostTensor(types[1], doubles: Self.labels)]
        let before = try saliency(inputs).value
        for p in model.parameters { p.value = try HostTensor(p.type, doubles: p.value.doubles.map { $0 * 2 }) }
        let after = try saliency(inputs).value
        #expect(Swift.abs(after - (try score(inputs.map(Tensor.init)).item())) < 1e-12)
        #expect(after != before)
    }

    @Test func refusesOtherInputTypes() throws {
        let (_, score) = try Self.make()
        let saliency = try CompiledGradient(inputs: [TensorType(.f64, [3, 5]), TensorType(.i64, [3])], score)
        #expect(throws: KilnError.self) { try saliency([try HostTensor(zeros: TensorType(.f64, [2, 5])), try HostTensor(zeros: TensorType(.i64, [2]))]) }
        #expect(throws: KilnError.self) { try CompiledGradient(inputs: [TensorType(.i64, [3])]) { try $0[0].converted(to: .f32).sum() } }
    }
}
