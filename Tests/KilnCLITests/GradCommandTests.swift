import Foundation
import KilnFormats
import KilnIR
import KilnRuntime
import Testing

/// `ir-examples/` at the repository root.
private let examplesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // KilnCLITests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()
    .appendingPathComponent("ir-examples")

/// The MLP with softmax cross-entropy: `@loss(%x, %w1, %b1, %w2, %b2, %labels)`, two results.
private let mlpPath = examplesDirectory.appendingPathComponent("mlp_softmax_xent.kir").path
private let mlpWeights = ["x", "w1", "b1", "w2", "b2"]

/// `ir-examples/data/mlp_softmax_xent/loss/<file>`: inputs and generate_grads.py's gradients.
private func mlpData(_ file: String) -> String {
    examplesDirectory.appendingPathComponent("data/mlp_softmax_xent/loss").appendingPathComponent(file).path
}

/// Whether every element of the f32 gradient `actual` is within |a - b| <= 1e-5 + 1e-4 |b| of the
/// float64-derived reference `expected`: the tolerance of ReferenceGradientTests, which explains it.
private func matchesReference(_ actual: HostTensor, _ expected: HostTensor) -> Bool {
    actual.type == expected.type && zip(actual.doubles, expected.doubles).allSatisfy { a, b in abs(a - b) <= 1e-5 + 1e-4 * abs(b) }
}

@Suite("kiln grad")
struct GradCommandTests {
    @Test("prints a module with the function and @loss_grad, which returns the results then the gradients")
    func printsModule() throws {
        let w = try Workspace()
        let outcome = try w.kiln(["grad", mlpPath, "--wrt", mlpWeights.joined(separator: ",")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
        let module = try parseModule(outcome.stdout, file: "stdout")
        try verify(module)
        #expect(module.functions.map(\.name) == ["loss", "loss_grad"])
        let original = try #require(try loadModule(path: mlpPath).function(named: "loss"))
        let forward = try #require(module.function(named: "loss"))
        #expect(printFunction(forward) == printFunction(original))
        let gradient = try #require(module.function(named: "loss_grad"))
        #expect(gradient.paramTypes == original.paramTypes)
        #expect(gradient.resultTypes == original.resultTypes + original.paramTypes.prefix(mlpWeights.count))
    }

    @Test("--out writes a module whose gradient function kiln run evaluates to the reference gradients")
    func outRunsToReference() throws {
        let w = try Workspace()
        let written = try w.kiln(["grad", mlpPath, "--wrt", mlpWeights.joined(separator: ","), "--out", "mlp_grad.kir"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        let inputs = (mlpWeights + ["labels"]).flatMap { ["--input", "\($0)=\(mlpData("in_\($0).npy"))"] }
        let run = try w.kiln(["run", w.path("mlp_grad.kir"), "--func", "loss_grad", "--out", "results"] + inputs)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 2 + mlpWeights.count)
        for (k, name) in mlpWeights.enumerated() {
            let actual = try readNPY(path: w.path("results/out\(2 + k).npy"))
            let expected = try readNPY(path: mlpData("grad_\(name).npy"))
            #expect(matchesReference(actual, expected), "d loss / d \(name): got \(actual), expected \(expected)")
        }
    }

    @Test("a wrong or missing --wrt exits 1 with a message and writes nothing",
          arguments: [
              (["--wrt", "w1,nope"], ["@loss has no parameter %nope", "%x, %w1, %b1, %w2, %b2, %labels"]),
              (["--wrt", "labels"], ["%labels", "i32[6] is not f32 or f64"]),
              ([], ["Missing expected argument '--wrt <a,b>'", "Usage: kiln grad"]),
          ])
    func wrtErrors(arguments: [String], expected: [String]) throws {
        let w = try Workspace()
        let outcome = try w.kiln(["grad", mlpPath, "--out", "g.kir"] + arguments)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        for text in expected { #expect(outcome.stderr.contains(text), "\(outcome.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: w.path("g.kir")))
    }
}
