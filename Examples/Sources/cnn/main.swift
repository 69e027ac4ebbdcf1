// A small CNN on Fashion-MNIST (two conv/ReLU/max-pool stages, then a linear classifier), trained
// compiled with SGD with momentum; writes the first layer's filters as a picture.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load(layout: .channels)
let (train, test) = options.small ? (try data.train.prefix(3000), try data.test.prefix(1000)) : (data.train, data.test)
var seeds = SeedSequence(0)
let firstConv = try Conv2D(1, 8, kernelSize: 3, padding: 1, seed: seeds.next())
let model = Sequential(firstConv, Activation(relu), try MaxPool2D(2),
                       try Conv2D(8, 16, kernelSize: 3, padding: 1, seed: seeds.next()), Activation(relu), try MaxPool2D(2),
                       Flatten(), try Linear(16 * 7 * 7, 10, seed: seeds.next()))
let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
let loader = try DataLoader(train, batchSize: 32, seed: 1)
let testLoader = try DataLoader(test, batchSize: 500, shuffle: false, dropLast: false)
let evaluator = Evaluator(model: model, loss: loss)
let trainer = try Trainer(model: model, loss: loss, optimizer: Momentum(.constant(0.02), momentum: 0.9),
                          inputType: loader.inputType, labelType: loader.labelType)

let before = try evaluator.evaluate(testLoader)
for epoch in 0..<(options.small ? 1 : 5) {
    try trainer.trainEpoch(loader, epoch: epoch, every: 50) { step, loss in
        print("epoch \(epoch + 1) step \(step): loss \(loss)")
        return false
    }
}
let after = try evaluator.evaluate(testLoader)
print("test loss \(before.loss) -> \(after.loss), accuracy \(before.accuracy ?? 0) -> \(after.accuracy ?? 0)")

let weights = firstConv.filter.value.doubles.map(Float.init)
let filters = (0..<8).map { f -> [Float] in
    let w = weights[(f * 9)..<(f * 9 + 9)]
    let (low, high) = (w.min() ?? 0, w.max() ?? 1)
    return w.map { ($0 - low) / max(high - low, 1e-6) }
}
let grid = imageGrid(filters, width: 3, height: 3, columns: 8)
try writePNG(gray: grid.pixels, width: grid.width, height: grid.height, to: options.path("cnn-filters.png"))
report(["loss_before": before.loss, "loss_after": after.loss, "accuracy_before": before.accuracy ?? 0, "accuracy": after.accuracy ?? 0])
