import Foundation
import Testing
import KilnIR
import KilnSupport
import KilnRuntime
@testable import Kiln

/// A training step written out as text, edited, loaded and given back to a `Trainer`.
@Suite struct EditedStepTests {
    private let x = Result { try HostTensor(TensorType(.f32, [4, 3]), doubles: (0..<12).map { Double($0) / 12 }) }
    private let y = Result { try HostTensor(TensorType(.f32, [4, 2]), doubles: (0..<8).map { Double($0 % 3) }) }

    private func trainer(_ model: any Kiln.Module, lr: Double, mode: ExecutionMode = .interpreted,
                         stepFunction: Function? = nil) throws -> Trainer {
        try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: SGD(lr: lr), inputType: try x.get().type,
                    labelType: try y.get().type, mode: mode, stepFunction: stepFunction)
    }

    @Test(arguments: [ExecutionMode.interpreted, .compiled])
    func anEditedLearningRateTrainsAsThatRate(mode: ExecutionMode) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dumped = try trainer(try Linear(3, 2, seed: 1), lr: 0.25, mode: .compiled)
        try #require(dumped.compiledStep).dumpIR(to: directory)
        let path = directory + "/train_step.kir"
        let text = String(decoding: try readFileBytes(path), as: UTF8.self)
        let pieces = text.components(separatedBy: "{value = 0.25}")
        #expect(pieces.count == 2, "the learning rate appears once")
        try writeFileAtomically(Array(pieces.joined(separator: "{value = 0.125}").utf8), path: path)

        let edited = try loadModule(path: path).functions[0]
        let model = try Linear(3, 2, seed: 1), reference = try Linear(3, 2, seed: 1)
        let a = try trainer(model, lr: 0.25, mode: mode, stepFunction: edited), b = try trainer(reference, lr: 0.125, mode: mode)
        for _ in 0..<3 { #expect(try a.step(x.get(), y.get()) == b.step(x.get(), y.get())) }
        #expect(model.parameters.map { $0.value.doubles } == reference.parameters.map { $0.value.doubles })
    }

    @Test func aStepOfAnotherModelIsRefusedNamingWhatDiffers() throws {
        let other = try trainer(try Linear(3, 2, bias: false, seed: 1), lr: 0.1)
        let step = try #require(other.tracedStep).function
        #expect {
            try self.trainer(try Linear(3, 2, seed: 1), lr: 0.1, stepFunction: step)
        } throws: { error in
            let m = (error as? KilnError)?.message ?? ""
            return m.contains("takes 4 inputs") && m.contains("parameter bias")
        }
        let wider = try trainer(try Sequential(try Linear(3, 5, seed: 1), try Linear(5, 2, seed: 2)), lr: 0.1)
        let deep = try trainer(try Sequential(try Linear(3, 4, seed: 1), try Linear(4, 2, seed: 2)), lr: 0.1)
        #expect {
            try self.trainer(try Sequential(try Linear(3, 4, seed: 1), try Linear(4, 2, seed: 2)), lr: 0.1,
                             stepFunction: try #require(wider.tracedStep).function)
        } throws: { error in
            let m = (error as? KilnError)?.message ?? ""
            return m.contains("input 3 (%weight) is f32[3,5], but the signature needs f32[3,4] there: parameter weight")
        }
        #expect(deep.parameters.count == 4)
        #expect(throws: KilnError.self) {
            try self.trainer(try Linear(3, 2, seed: 1), lr: 0.1, mode: .eager, stepFunction: step)
        }
    }
}
