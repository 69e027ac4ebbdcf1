// A dense 784-128-64-10 classifier of Fashion-MNIST (ReLU, Adam, cross-entropy), trained compiled
// with whole epochs in the C loop; writes a grid of test images it gets wrong.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load()
let (train, test) = options.small ? (try data.train.prefix(4000), try data.test.prefix(1000)) : (data.train, data.test)
var seeds = SeedSequence(0)
let model = Sequential(try Linear(784, 128, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                       try Linear(128, 64, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                       try Linear(64, 10, seed: seeds.next()))
let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
let loader = try DataLoader(train, batchSize: 64, seed: 1)
let testLoader = try DataLoader(test, batchSize: 1000, shuffle: false, dropLast: false)
let evaluator = Evaluator(model: model, loss: loss)
let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(lr: 1e-3),
                          inputType: loader.inputType, labelType: loader.labelType)

let before = try evaluator.evaluate(testLoader)
for epoch in 0..<(options.small ? 1 : 10) {
    try trainer.trainEpoch(loader, epoch: epoch, every: 100) { step, loss in
        print("epoch \(epoch + 1) step \(step): loss \(loss)")
        return false
    }
}
let after = try evaluator.evaluate(testLoader)
print("test loss \(before.loss) -> \(after.loss), accuracy \(before.accuracy ?? 0) -> \(after.accuracy ?? 0)")

let first = try test.prefix(100)
let predicted = try Tensor(evaluator.predict(first.inputs)).argmax(axis: 1).scalars()
let wrong = (0..<first.count).filter { predicted[$0] != first.labels[$0].asDouble }
let pixels = first.inputs.doubles.map { Float($0) * FashionMNIST.std + FashionMNIST.mean }
let images = wrong.prefix(16).map { Array(pixels[($0 * 784)..<($0 * 784 + 784)]) }
let grid = imageGrid(images, width: 28, height: 28, columns: 8)
try writePNG(gray: grid.pixels, width: grid.width, height: grid.height, to: options.path("fashion-mnist-wrong.png"))
report(["loss_before": before.loss, "loss_after": after.loss, "accuracy_before": before.accuracy ?? 0,
        "accuracy": after.accuracy ?? 0, "wrong_of_first_100": Double(wrong.count)])
