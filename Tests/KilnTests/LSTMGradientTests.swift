import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// The LSTM layer's gradients (per-step gate cotangents assembled by one `concatenate`, the
/// weight gradients each one product over all steps) against finite differences of its loss, and
/// its compiled training step against the interpreted one.
@Suite struct LSTMGradientTests {
    private func tensor(_ shape: [Int], seed: UInt64) throws -> HostTensor {
        try HostTensor(TensorType(.f32, shape), doubles: (0..<shape.reduce(1, *)).map { 2 * unitUniform(seed, $0) - 1 })
    }

    private func model() throws -> Sequential {
        Sequential(try LSTM(3, 5, seed: 11), Flatten(), try Linear(6 * 5, 2, seed: 12))
    }

    /// f32 central differences (step 1e-2) at 12 elements of every parameter: the truncation and
    /// rounding error of the difference is about 1e-4 of the largest gradient element, so 1e-2
    /// separates right from wrong (a wrong step or gate gives errors of order 1).
    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try tensor([4, 6, 3], seed: 21), y = try tensor([4, 2], seed: 22)
        let step = try TrainingStep(model: try model(), loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.1),
                                    inputType: x.type, labelType: y.type)
        let inputs = [x, y] + step.parameters.map(\.value)
        let outputs = try interpret(step.gradientFunction, inputs: inputs)
        for k in step.parameters.indices {
            let analytic = outputs[outputs.count - step.parameters.count + k]
            let scale = analytic.doubles.map(Swift.abs).max() ?? 0
            #expect(scale > 0)
            for i in Swift.stride(from: 0, to: analytic.count, by: max(1, analytic.count / 12)) {
                var shifted = inputs
                func loss(_ delta: Double) throws -> Double {
                    shifted[2 + k] = try inputs[2 + k].copy()
                    shifted[2 + k][i] = .float(inputs[2 + k][i].asDouble + delta)
                    return try interpret(step.lossFunction, inputs: shifted)[0][0].asDouble
                }
                let numeric = (try loss(1e-2) - loss(-1e-2)) / 2e-2
                #expect(Swift.abs(numeric - analytic[i].asDouble) <= 1e-2 * scale,
                        "\(step.parameters[k].name)[\(i)]: \(analytic[i].asDouble) vs \(numeric)")
            }
        }
    }

    /// Four SGD steps compiled and interpreted: products in BLAS vs the interpreter, reductions
    /// reassociated, within 1e-5 (1 + |b|).
    @Test func compiledTrainingMatchesInterpretedTraining() throws {
        let x = try tensor([4, 6, 3], seed: 23), y = try tensor([4, 2], seed: 24)
        let a = try model(), b = try model()
        let loss: LossFunction = { try mse($0, $1) }
        let compiled = try Trainer(model: a, loss: loss, optimizer: SGD(lr: 0.1), inputType: x.type, labelType: y.type)
        let interpreted = try Trainer(model: b, loss: loss, optimizer: SGD(lr: 0.1), inputType: x.type, labelType: y.type,
                                      mode: .interpreted)
        let worst = try worstTrainingDifference(compiled, a, interpreted, b, x, y)
        #expect(worst <= 1e-5, "\(worst)")
    }
}
