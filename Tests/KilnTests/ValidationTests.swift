import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// The silent wrong answers and weak messages of issue 11, each now a clear error.
@Suite struct ValidationTests {
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let error as KilnError { return error.description } catch { return "\(error)" }
        return "no error"
    }

    private func floats(_ shape: [Int]) throws -> HostTensor {
        try HostTensor(TensorType(.f32, shape), doubles: (0..<shape.reduce(1, *)).map { Double($0 % 7) / 7 })
    }

    @Test func labelsOutsideTheClassesAreRefusedEagerly() throws {
        let logits = try Tensor(try floats([4, 3]))
        let labels = try Tensor(TensorType(.i32, [4]), [0, 2, 3, 1])
        let m = message { _ = try crossEntropy(logits: logits, labels: labels) }
        #expect(m.contains("label 3 at row 2 is outside 0..<3"), "\(m)")
        let negative = message { _ = try crossEntropy(logits: logits, labels: try Tensor(TensorType(.i32, [4]), [0, -1, 0, 0])) }
        #expect(negative.contains("label -1 at row 1"), "\(negative)")
    }

    @Test(arguments: [ExecutionMode.interpreted, .compiled])
    func labelsOutsideTheClassesAreRefusedByTheTrainer(mode: ExecutionMode) throws {
        let model = try Linear(4, 3, seed: 1)
        let trainer = try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: SGD(lr: 0.1),
                                  inputType: TensorType(.f32, [2, 4]), labelType: TensorType(.i32, [2]), mode: mode)
        #expect(try #require(trainer.tracedStep).labelClasses == 3)
        let before = model.weight.value.doubles
        let y = try HostTensor(TensorType(.i32, [2]), doubles: [1, 7])
        #expect(message { try trainer.step(try floats([2, 4]), y) }.contains("label 7 at row 1 is outside 0..<3"))
        let data = try Dataset(inputs: try floats([6, 4]), labels: try HostTensor(TensorType(.i32, [6]), doubles: [0, 1, 2, 0, 10, 1]))
        let epoch = message { try trainer.trainEpoch(try DataLoader(data, batchSize: 2, seed: 1), epoch: 0) }
        #expect(epoch.contains("label 10 at row 4 is outside 0..<3"), "\(epoch)")
        #expect(model.weight.value.doubles == before, "nothing was trained")
    }

    @Test func lossesRefuseShapesThatOnlyMatchByBroadcasting() throws {
        let predictions = try Tensor(try floats([4, 1])), labels = try Tensor(try floats([4]))
        let m = message { _ = try mse(predictions, labels) }
        #expect(m.contains("mse: predictions f32[4,1] and targets f32[4] have different shapes"), "\(m)")
        #expect(m.contains("broadcasting to [4, 4]") && m.contains("predictions.reshaped([4])"), "\(m)")
        #expect(message { _ = try binaryCrossEntropy(logits: predictions, targets: labels) }.contains("binaryCrossEntropy"))
        #expect(message { _ = try softCrossEntropy(logits: predictions, targets: labels) }.contains("softCrossEntropy"))
        #expect(try mse(predictions, labels.reshaped([4, 1])).item() == 0)
    }

    @Test func layerAndOptimizerArgumentsAreRangeChecked() throws {
        #expect(message { _ = try Dropout(rate: 1.5) }.contains("Dropout: rate must be in [0, 1)"))
        #expect(message { _ = try Dropout(rate: -0.1) }.contains("rate"))
        #expect(message { _ = try Linear(0, 4) }.contains("Linear: inputSize must be positive, got 0"))
        #expect(message { _ = try Conv2D(1, 4, kernelSize: 0) }.contains("Conv2D: kernelSize must be positive"))
        #expect(message { _ = try MaxPool2D(0) }.contains("MaxPool2D: window must be positive"))
        #expect(message { _ = try Conv2D(1, 4, kernelSize: 3, padding: -1) }.contains("Conv2D: padding must be 0 or more, got -1"))
        #expect(message { _ = try Embedding(10, -2) }.contains("Embedding: dimension must be positive"))
        let model = try Linear(2, 1)
        func trainer(_ optimizer: any Optimizer) -> String {
            message { _ = try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: optimizer,
                                      inputType: TensorType(.f32, [1, 2]), labelType: TensorType(.f32, [1, 1]), mode: .eager) }
        }
        #expect(trainer(SGD(lr: -0.1)).contains("SGD's schedule: learning rate must be positive, got -0.1"))
        #expect(trainer(Adam(lr: 0)).contains("learning rate must be positive"))
        #expect(trainer(Adam(.constant(1e-3), beta1: 1)).contains("Adam: beta1 must be in [0, 1)"))
        #expect(trainer(Momentum(.constant(0.1), momentum: 1.2)).contains("Momentum: momentum must be in [0, 1)"))
        #expect(trainer(SGD(.cosine(initial: 0.1, final: 0, steps: 0))).contains("steps must be positive"))
        #expect(trainer(SGD(.constant(0.1), weightDecay: -1)).contains("weightDecay must be 0 or more"))
        #expect(trainer(SGD(.constant(0.1), clipNorm: 0)).contains("clipNorm must be positive"))
        #expect(trainer(SGD(lr: 0.1)) == "no error")
    }

    @Test func shapeErrorsNameTheLayerPathAndSignature() throws {
        let model = Sequential(try Linear(10, 16, seed: 1), Activation(relu), try Linear(16, 2, seed: 2))
        let m = message { _ = try model(Tensor(try floats([4, 12]))) }
        #expect(m.contains("error: layers.0: Linear(10 -> 16) got input f32[4,12]: its last axis must be 10"), "\(m)")
        #expect(!m.contains("Kiln/"), "no place inside Kiln: \(m)")
        let nested = Sequential(try Linear(3, 10, seed: 1), model)
        let n = message { _ = try nested(Tensor(try floats([2, 3]))) }
        #expect(n == "no error")
        let inner = Sequential(try Linear(3, 12, seed: 1), model)
        let i = message { _ = try inner(Tensor(try floats([2, 3]))) }
        #expect(i.contains("error: layers.1.layers.0: Linear(10 -> 16) got input f32[2,12]"), "\(i)")
        let traced = message {
            _ = try trace(name: "f", inputs: [("x", TensorType(.f32, [4, 12]))]) { [try model($0[0])] }
        }
        #expect(traced.contains("layers.0: Linear(10 -> 16) got input f32[4,12]"), "traced alike: \(traced)")
    }

    @Test func anF64InputToAnF32ModelSaysTheDtypesDiffer() throws {
        let model = Sequential(try Linear(3, 2, seed: 1))
        let x = try Tensor(TensorType(.f64, [2, 3]), [1, 2, 3, 4, 5, 6])
        let m = message { _ = try model(x) }
        #expect(m.contains("layers.0: Linear(3 -> 2) got input f64[2,3]: the dtypes differ") && m.contains(".converted(to: .f32)"), "\(m)")
    }
}
