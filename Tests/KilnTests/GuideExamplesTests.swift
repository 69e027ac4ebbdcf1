import Testing
import KilnIR
import KilnRuntime
import KilnSupport
@testable import Kiln

/// The examples of docs/dsl.md, run as written (Fashion-MNIST training on a small prefix).
@Suite struct GuideExamplesTests {
    @Test func tensors() throws {
        let a = try Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3], [10, 20, 30])
        let c = try a + b
        let d = try relu(a.matmul(a.transposed()) - 20)
        let s = try softmax(c, axis: 1).sum(axes: [1])
        #expect(try c.scalars() == [11, 22, 33, 14, 25, 36])
        #expect(try d.scalars() == [0, 12, 12, 57])
        #expect(try s.scalars().allSatisfy { Swift.abs($0 - 1) < 1e-6 })
    }

    @Test func gradientsCompiled() throws {
        let model = Sequential(try Linear(4, 3, seed: 1))
        let score = try CompiledGradient(inputs: [TensorType(.f32, [2, 4]), TensorType(.i64, [2])]) { t in
            try (model(t[0]) * t[1].oneHot(depth: 3)).sum()
        }
        let x = try HostTensor(TensorType(.f32, [2, 4]), doubles: [1, 2, 3, 4, 0, 1, 0, 1])
        let (value, gradients) = try score([x, try HostTensor(TensorType(.i64, [2]), doubles: [0, 2])])
        let w = try #require(model.parameters.first { $0.type.shape == [4, 3] }).value.doubles
        let columns = (0..<4).map { w[$0 * 3] } + (0..<4).map { w[$0 * 3 + 2] }
        #expect(try #require(gradients[0]).doubles == columns)
        let logits = try model(Tensor(x)).scalars()
        #expect(Swift.abs(value - (logits[0] + logits[5])) < 1e-5)
    }

    final class ResidualBlock: Kiln.Module {
        let inner: Linear, outer: Linear
        init(_ width: Int) throws {
            inner = try Linear(width, width, seed: 1)
            outer = try Linear(width, width, seed: 2)
        }
        func forward(_ x: Tensor) throws -> Tensor {
            try x + outer(relu(inner(x)))
        }
    }

    @Test func customLayerAndItsIR() throws {
        let block = try ResidualBlock(8)
        #expect(block.namedParameters.map(\.0) == ["inner.weight", "inner.bias", "outer.weight", "outer.bias"])
        let traced = try trace(name: "forward", inputs: [("x", TensorType(.f32, [4, 8]))]) { x in
            [try block(x[0])]
        }
        let text = printFunction(traced.function)
        #expect(text.hasPrefix("""
        func @forward(%x: f32[4,8], %weight: f32[8,8], %bias: f32[8], %weight.1: f32[8,8], %bias.1: f32[8]) -> (f32[4,8]) {
          %0 = matmul(%x, %weight) : f32[4,8]
          %1 = broadcast_in_dim(%bias) {shape = [4,8], dims = [1]} : f32[4,8]
        """), "\(text)")
        #expect(traced.parameters.count == 4)
    }

    @Test func eagerGradients() throws {
        let w = Parameter(try HostTensor([3], floats: [0.5, -2, 4]), name: "w")
        let loss = try (w.tensor * w.tensor).sum()
        try loss.backward()
        #expect(w.grad?.doubles == [1, -4, 8])
        let g = try gradient(at: try Tensor(shape: [3], [1, 2, 3])) { x in try (x * x).sum() }
        #expect(try g.scalars() == [2, 4, 6])
    }

    @Test func freezing() throws {
        let net = Sequential(try Linear(6, 8, seed: 1), Activation(relu), try Linear(8, 3, seed: 2))
        net.layers[0].freeze()
        #expect(net.frozenParameterNames == ["layers.0.weight", "layers.0.bias"])
        let fineTune = try Trainer(model: net, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 1e-3),
                                   inputType: TensorType(.f32, [8, 6]), labelType: TensorType(.i32, [8]))
        #expect(fineTune.parameters.count == 2)
        net.unfreeze()
        let head = try Trainer(model: net, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 1e-3),
                               inputType: TensorType(.f32, [8, 6]), labelType: TensorType(.i32, [8]), trainable: ["layers.2"])
        #expect(head.parameters.count == 2 && net.frozenParameterNames.isEmpty)
    }

    final class Sampler: Kiln.Module {
        let mean: Linear, logVariance: Linear
        init() throws { (mean, logVariance) = (try Linear(4, 2, seed: 1), try Linear(4, 2, seed: 2)) }
        func forward(_ x: Tensor) throws -> Tensor {
            let mu = try mean(x), logVar = try logVariance(x)
            return try mu + exp(logVar * 0.5) * randomNormal(mu.shape, like: mu, seed: 7)
        }
    }

    @Test func reparameterization() throws {
        let sampler = try Sampler()
        let x = try HostTensor(TensorType(.f32, [3, 4]), doubles: (0..<12).map { Double($0) / 12 })
        let predict = Evaluator(model: sampler)
        #expect(try predict.predict(x).doubles != predict.predict(x).doubles, "fresh noise every call")
        let trainer = try Trainer(model: sampler, loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.05),
                                  inputType: x.type, labelType: TensorType(.f32, [3, 2]))
        let first = try trainer.step(x, try HostTensor(zeros: TensorType(.f32, [3, 2])))
        for _ in 0..<50 { try trainer.step(x, try HostTensor(zeros: TensorType(.f32, [3, 2]))) }
        #expect(try trainer.step(x, try HostTensor(zeros: TensorType(.f32, [3, 2]))) < first)
    }

    final class Distilled: Kiln.Module {
        let student: Linear, teacher: Linear
        init() throws { (student, teacher) = (try Linear(4, 3, seed: 1), try Linear(4, 3, seed: 2)) }
        func forward(_ x: Tensor) throws -> Tensor {
            try distillationLoss(studentLogits: student(x), teacherLogits: teacher(x), temperature: 2).reshaped([1])
        }
    }

    @Test func distillationWithAFrozenTeacher() throws {
        let distilled = try Distilled()
        distilled.teacher.freeze()
        let student = try Trainer(model: distilled, loss: { output, _ in try output.sum() }, optimizer: SGD(lr: 0.1),
                                  inputType: TensorType(.f32, [2, 4]), labelType: TensorType(.f32, [2]))
        let teacher = distilled.teacher.parameters.map { $0.value.doubles }
        let x = try HostTensor(TensorType(.f32, [2, 4]), doubles: [1, -1, 0.5, 2, 0, 1, -2, 0.25])
        let y = try HostTensor(zeros: TensorType(.f32, [2]))
        let first = try student.step(x, y)
        for _ in 0..<100 { try student.step(x, y) }
        #expect(try student.step(x, y) < first / 2, "the student learns the teacher's softened outputs")
        #expect(distilled.teacher.parameters.map { $0.value.doubles } == teacher)
    }

    @Test(.enabled(if: fashionMNISTInstalled(), "needs the dataset-fashion-mnist package"))
    func trainingOnFashionMNIST() throws {
        let data = try FashionMNIST.load()
        let loader = try DataLoader(try data.train.prefix(6400), batchSize: 64, seed: 0)
        let model = try ModelZoo.fashionMLP()
        let trainer = try Trainer(model: model, loss: { try crossEntropy(logits: $0, labels: $1) },
                                  optimizer: Adam(.cosine(initial: 1e-3, final: 1e-4, steps: 2 * loader.batchCount)),
                                  inputType: loader.inputType, labelType: loader.labelType)
        var losses: [Double] = []
        for epoch in 0..<2 {
            try trainer.trainEpoch(loader, epoch: epoch) { _, loss in
                losses.append(loss)
                return false
            }
        }
        let test = try DataLoader(try data.test.prefix(2000), batchSize: 1000, shuffle: false, dropLast: false)
        let result = try Evaluator(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }).evaluate(test)
        // 200 steps on 6,400 examples: far better than chance (10%), loss well below log(10).
        #expect((result.accuracy ?? 0) > 0.7, "\(result)")
        #expect(losses.count == 200 && losses.suffix(20).reduce(0, +) / 20 < losses.prefix(20).reduce(0, +) / 20)
    }
}

func fashionMNISTInstalled() -> Bool {
    (try? readFileBytes(FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")) != nil
}
