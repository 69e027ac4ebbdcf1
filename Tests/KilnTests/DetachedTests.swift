import Testing
import KilnAutodiff
import KilnIR
import KilnRuntime
@testable import Kiln

/// `detached()` cuts the gradient exactly where it stands, eagerly and traced: the gradient equals
/// the finite differences of the function with the detached value held constant, and not those of
/// the whole function.
@Suite struct DetachedTests {
    static let w0: [Double] = [0.7, -1.3, 0.4]

    /// `sum(tanh(w) * detached(w * w))`, with the detached factor taken from `frozen` when given.
    static func loss(_ w: Tensor, frozen: Tensor? = nil) throws -> Tensor {
        let b = try frozen ?? (w * w).detached()
        return try (tanh(w) * b).sum()
    }

    /// Central differences of `f` at `w0` (f64, step 1e-6).
    static func finiteDifferences(_ f: (Tensor) throws -> Tensor) throws -> [Double] {
        let h = 1e-6
        return try w0.indices.map { i in
            var plus = w0, minus = w0
            plus[i] += h
            minus[i] -= h
            let fp = try f(Tensor(TensorType(.f64, [3]), plus)).item(), fm = try f(Tensor(TensorType(.f64, [3]), minus)).item()
            return (fp - fm) / (2 * h)
        }
    }

    static let held = Result { try Tensor(TensorType(.f64, [3]), w0.map { $0 * $0 }) }

    /// The gradient of the loss with the cut, and without it.
    static func references() throws -> (cut: [Double], whole: [Double]) {
        let b = try held.get()
        return (try finiteDifferences { try loss($0, frozen: b) }, try finiteDifferences { try (tanh($0) * $0 * $0).sum() })
    }

    static func expectClose(_ a: [Double], _ b: [Double]) {
        #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-6 }, "\(a) vs \(b)")
    }

    @Test func eagerGradientStopsAtDetached() throws {
        let w = Parameter(try HostTensor(TensorType(.f64, [3]), doubles: Self.w0), name: "w")
        try Self.loss(w.tensor).backward()
        let (cut, whole) = try Self.references()
        let g = try #require(w.grad).doubles
        Self.expectClose(g, cut)
        #expect(zip(g, whole).contains { Swift.abs($0 - $1) > 1e-3 }, "the cut changes the gradient")
    }

    @Test func tracedGradientStopsAtDetached() throws {
        let w = try HostTensor(TensorType(.f64, [3]), doubles: Self.w0)
        let traced = try trace(name: "loss", inputs: [("w", w.type)]) { inputs in [try Self.loss(inputs[0])] }
        #expect(traced.function.body.contains { $0.op == .unary(.stopGradient) })
        let gradient = try grad(traced.function, wrt: ["w"])
        let outputs = try interpret(gradient, inputs: [w])
        Self.expectClose(outputs[1].doubles, try Self.references().cut)
        // The forward value is unchanged by the cut.
        #expect(Swift.abs(outputs[0][0].asDouble - (try Self.loss(Tensor(w)).item())) < 1e-12)
    }

    /// A frozen teacher inside the student's loss (distillation): the teacher's outputs detached,
    /// the teacher gets zero gradient from the compiled step and stays unchanged, as with eager.
    @Test(arguments: [ExecutionMode.eager, .compiled])
    func teacherInsideTheLossGetsNoGradient(mode: ExecutionMode) throws {
        final class Pair: Kiln.Module {
            let student: Linear, teacher: Linear
            init() throws { (student, teacher) = (try Linear(4, 3, seed: 1), try Linear(4, 3, seed: 2)) }
            func forward(_ x: Tensor) throws -> Tensor { try student(x) - teacher(x).detached() }
        }
        let pair = try Pair()
        let before = pair.teacher.parameters.map { $0.value.doubles }
        let trainer = try Trainer(model: pair, loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.1),
                                  inputType: TensorType(.f32, [2, 4]), labelType: TensorType(.f32, [2, 3]), mode: mode)
        let x = try HostTensor(TensorType(.f32, [2, 4]), doubles: (0..<8).map { Double($0) / 8 })
        let y = try HostTensor(zeros: TensorType(.f32, [2, 3]))
        for _ in 0..<3 { try trainer.step(x, y) }
        #expect(pair.teacher.parameters.map { $0.value.doubles } == before)
        #expect(pair.student.weight.value.doubles != before[0])
    }
}
