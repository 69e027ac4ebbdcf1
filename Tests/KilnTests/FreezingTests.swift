import Foundation
import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// Frozen parameters: no gradient instructions, no optimizer state, bit-identical after training,
/// in every execution mode; recorded by checkpoints.
@Suite struct FreezingTests {
    private func data(rows: Int = 32) throws -> Dataset {
        let x = try HostTensor(TensorType(.f32, [rows, 6]), doubles: (0..<rows * 6).map { 2 * unitUniform(11, $0) - 1 })
        let y = try HostTensor(TensorType(.i32, [rows]), doubles: (0..<rows).map { Double($0 % 3) })
        return try Dataset(inputs: x, labels: y)
    }

    private func model() throws -> Sequential {
        Sequential(try Linear(6, 8, seed: 1), Activation(relu), try Linear(8, 3, seed: 2))
    }

    private func trainer(_ model: Sequential, _ mode: ExecutionMode, trainable: [String]? = nil) throws -> Trainer {
        try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.05),
                    inputType: TensorType(.f32, [8, 6]), labelType: TensorType(.i32, [8]), mode: mode, trainable: trainable)
    }

    private func matmulCount(_ f: Function) -> Int {
        f.body.filter { if case .matmul = $0.op { return true } else { return false } }.count
    }

    @Test(arguments: ExecutionMode.allCases)
    func frozenLayerStaysBitIdentical(mode: ExecutionMode) throws {
        let net = try model()
        try (net.layers[0] as? Linear).map { $0.freeze() }
        let before = net.parameters.map { $0.value.doubles }
        let t = try trainer(net, mode)
        #expect(t.parameters.count == 2, "only the second layer is trained")
        #expect(t.states.count == 2, "no optimizer state for the frozen layer")
        let loader = try DataLoader(try data(), batchSize: 8, seed: 3)
        for epoch in 0..<2 { try t.trainEpoch(loader, epoch: epoch) }
        let after = net.parameters.map { $0.value.doubles }
        #expect(after[0] == before[0] && after[1] == before[1], "layers.0 is frozen")
        #expect(after[2] != before[2] && after[3] != before[3], "layers.2 trains")
        #expect(net.layers[0].parameters.allSatisfy { $0.grad == nil }, "no gradient was computed for the frozen layer")
    }

    @Test func theTracedStepHasNoGradientInstructionsForFrozenParameters() throws {
        let all = try trainer(try model(), .interpreted)
        let frozen = try model()
        try frozen.freeze(["layers.0"])
        let partial = try trainer(frozen, .interpreted)
        // Forward: two matmuls. Backward: every layer's weight gradient, and the input gradient of
        // the second layer — unless the first is frozen, when only the second weight's remains.
        #expect(try matmulCount(#require(all.tracedStep).function) == 5)
        #expect(try matmulCount(#require(partial.tracedStep).function) == 3)
        #expect(try #require(partial.tracedStep).gradientFunction.results.count == 1 + 2, "loss and the two trained gradients")
    }

    @Test func trainableSelectionEqualsFreezingTheRest() throws {
        let selected = try model(), frozen = try model()
        try frozen.freeze(["layers.0"])
        let a = try trainer(selected, .compiled, trainable: ["layers.2"]), b = try trainer(frozen, .compiled)
        let loader = try DataLoader(try data(), batchSize: 8, seed: 5)
        try a.trainEpoch(loader, epoch: 0)
        try b.trainEpoch(loader, epoch: 0)
        #expect(selected.parameters.map { $0.value.doubles } == frozen.parameters.map { $0.value.doubles })
        #expect(selected.frozenParameterNames.isEmpty, "a selection leaves the model's flags alone")
    }

    @Test func namesAreCheckedAndUnfreezeUndoes() throws {
        let net = try model()
        try net.freeze(["layers.2.bias", "layers.0"])
        #expect(net.frozenParameterNames == ["layers.0.weight", "layers.0.bias", "layers.2.bias"])
        try net.unfreeze(["layers.0.bias"])
        #expect(net.frozenParameterNames == ["layers.0.weight", "layers.2.bias"])
        net.unfreeze()
        #expect(net.frozenParameterNames.isEmpty)
        #expect {
            try net.freeze(["encoder"])
        } throws: { ($0 as? KilnError)?.message.contains("'encoder'") == true && ($0 as? KilnError)?.message.contains("layers") == true }
        #expect(net.frozenParameterNames.isEmpty)
        #expect(throws: KilnError.self) { try self.trainer(net, .eager, trainable: ["layers.9"]) }
    }

    @Test func eagerBackwardComputesNothingForFrozenParameters() throws {
        let w = Parameter(try HostTensor([2], floats: [1, 2]), name: "w")
        let v = Parameter(try HostTensor([2], floats: [3, 4]), name: "v")
        v.frozen = true
        try (w.tensor * v.tensor).sum().backward()
        #expect(try #require(w.grad).doubles == [3, 4])
        #expect(v.grad == nil)
    }

    @Test func checkpointsRecordFrozenParameters() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let net = try model()
        net.layers[0].freeze()
        let t = try trainer(net, .compiled)
        try t.trainEpoch(try DataLoader(try data(), batchSize: 8, seed: 1), epoch: 0)
        let path = directory + "/train.safetensors"
        try t.saveCheckpoint(to: path)

        // Resuming with the same layer frozen restores everything.
        let resumed = try model()
        try resumed.freeze(["layers.0"])
        let r = try trainer(resumed, .compiled)
        try r.loadCheckpoint(from: path)
        #expect(r.stepCount == t.stepCount)
        #expect(resumed.parameters.map { $0.value.doubles } == net.parameters.map { $0.value.doubles })

        // Resuming without freezing it is an error naming the parameters and the fix.
        #expect {
            try self.trainer(try self.model(), .compiled).loadCheckpoint(from: path)
        } throws: { error in
            let message = (error as? KilnError)?.message ?? ""
            return message.contains("\"layers.0.weight\", \"layers.0.bias\"") && message.contains("model.freeze")
        }

        // A module checkpoint restores the flags themselves.
        let modelPath = directory + "/model.safetensors"
        try net.save(to: modelPath)
        let loaded = try model()
        try loaded.freeze(["layers.2"])
        try loaded.load(from: modelPath)
        #expect(loaded.frozenParameterNames == ["layers.0.weight", "layers.0.bias"])
    }
}
