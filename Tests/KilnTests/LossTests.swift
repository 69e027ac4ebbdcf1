import Foundation
import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// The PyTorch values and gradients of `Fixtures/losses/make_loss_fixtures.py` (float64).
private struct LossFixture {
    let logits: [[Double]], teacher: [[Double]], targets: [[Double]], labels: [Double]
    let cases: [String: (value: Double, grad: [Double])]

    static let shared = Result { () throws -> LossFixture in
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/losses/losses.json")
        let root = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func matrix(_ key: String) throws -> [[Double]] { try #require(root[key] as? [[Double]]) }
        var cases: [String: (Double, [Double])] = [:]
        for (name, entry) in try #require(root["cases"] as? [String: [String: Any]]) {
            cases[name] = (try #require(entry["value"] as? Double), try #require(entry["grad"] as? [[Double]]).flatMap { $0 })
        }
        return LossFixture(logits: try matrix("logits"), teacher: try matrix("teacher"), targets: try matrix("targets"),
                           labels: try #require(root["labels"] as? [Double]), cases: cases)
    }
}

@Suite struct LossTests {
    private func tensor(_ rows: [[Double]]) throws -> Tensor {
        try Tensor(TensorType(.f64, [rows.count, rows[0].count]), rows.flatMap { $0 })
    }

    /// `loss(logits)` and its gradient eagerly, and the traced-then-interpreted value, against PyTorch.
    private func check(_ name: String, _ loss: (Tensor) throws -> Tensor) throws {
        let fixture = try LossFixture.shared.get()
        let expected = try #require(fixture.cases[name])
        let logits = Parameter(try tensor(fixture.logits).host(), name: "logits")
        let value = try loss(logits.tensor)
        try value.backward()
        let close = { (a: Double, b: Double) in Swift.abs(a - b) <= 1e-12 * (1 + Swift.abs(b)) }
        let v = try value.item()
        #expect(close(v, expected.value), "\(name): \(v) vs PyTorch \(expected.value)")
        let g = try #require(logits.grad).doubles
        #expect(zip(g, expected.grad).allSatisfy(close), "\(name) gradient: \(g) vs PyTorch \(expected.grad)")
        let traced = try trace(name: "loss", inputs: [("logits", logits.type)]) { [try loss($0[0])] }
        #expect(close(try interpret(traced.function, inputs: [logits.value])[0][0].asDouble, expected.value))
    }

    @Test func klDivergenceMatchesPyTorch() throws {
        let targets = try tensor(try LossFixture.shared.get().targets)
        try check("kl") { try klDivergence(logits: $0, targets: targets) }
    }

    @Test(arguments: [(1.0, "distillation_t1"), (4.0, "distillation_t4")])
    func distillationMatchesPyTorch(temperature: Double, name: String) throws {
        let teacher = try tensor(try LossFixture.shared.get().teacher)
        try check(name) { try distillationLoss(studentLogits: $0, teacherLogits: teacher, temperature: temperature) }
    }

    @Test(arguments: [(0.0, "cross_entropy"), (0.1, "cross_entropy_smoothing_0.1"), (0.5, "cross_entropy_smoothing_0.5")])
    func labelSmoothingMatchesPyTorch(smoothing: Double, name: String) throws {
        let labels = try Tensor(TensorType(.i32, [4]), try LossFixture.shared.get().labels)
        try check(name) { try crossEntropy(logits: $0, labels: labels, labelSmoothing: smoothing) }
    }

    @Test func argumentsAreChecked() throws {
        let logits = try tensor([[1, 2], [3, 4]]), labels = try Tensor(TensorType(.i32, [2]), [0, 1])
        #expect(throws: KilnError.self) { try crossEntropy(logits: logits, labels: labels, labelSmoothing: 1) }
        #expect(throws: KilnError.self) { try distillationLoss(studentLogits: logits, teacherLogits: logits, temperature: 0) }
        #expect(throws: KilnError.self) { try klDivergence(logits: logits, targets: try self.tensor([[1, 0]])) }
    }
}
