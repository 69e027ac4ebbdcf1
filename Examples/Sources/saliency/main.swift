// Saliency maps (|d score / d pixel|) and integrated gradients (the mean gradient along the path
// from a black image, times the image's difference from it) of a Fashion-MNIST classifier trained
// compiled; writes image / saliency / integrated-gradients rows as heat maps.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load()
let (train, test) = options.small ? (try data.train.prefix(4000), try data.test.prefix(1000)) : (data.train, data.test)
let model = try ModelZoo.mlp([784, 128, 10], seed: 1)
let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
let loader = try DataLoader(train, batchSize: 64, seed: 1)
let testLoader = try DataLoader(test, batchSize: 1000, shuffle: false, dropLast: false)
let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(lr: 1e-3), inputType: loader.inputType, labelType: loader.labelType)
let evaluator = Evaluator(model: model, loss: loss)
let before = try evaluator.evaluate(testLoader)
for epoch in 0..<(options.small ? 1 : 5) { try trainer.trainEpoch(loader, epoch: epoch) }
let after = try evaluator.evaluate(testLoader)
print("test loss \(before.loss) -> \(after.loss), accuracy \(before.accuracy ?? 0) -> \(after.accuracy ?? 0)")

let (shown, steps) = (try test.prefix(6), 32)
let pixels = shown.inputs.doubles.map(Float.init), black = -FashionMNIST.mean / FashionMNIST.std
var (tiles, worstCompleteness) = ([[Float]](), 0.0)
for row in 0..<shown.count {
    let image = Array(pixels[(row * 784)..<(row * 784 + 784)]), label = Int(shown.labels[row].asDouble)
    let score: (Tensor) throws -> Tensor = { try model($0).slice(label..<(label + 1), axis: 1).sum() }
    let x = try Tensor(shape: [1, 784], image), baseline = try Tensor(shape: [1, 784], [Float](repeating: black, count: 784))
    let saliency = try gradient(at: x, of: score).scalars().map { Float(abs($0)) }
    let path = (0..<steps).flatMap { k in image.map { black + (Float(k) + 0.5) / Float(steps) * ($0 - black) } }
    let pathGradients = try gradient(at: Tensor(shape: [steps, 784], path), of: score).scalars()
    let integrated = (0..<784).map { i in
        (0..<steps).map { pathGradients[$0 * 784 + i] }.reduce(0, +) / Double(steps) * Double(image[i] - black)
    }
    // Completeness: the attributions add up to the score's change from the baseline.
    let change = try score(x).item() - score(baseline).item()
    worstCompleteness = max(worstCompleteness, abs(integrated.reduce(0, +) - change) / max(abs(change), 1e-6))
    let gray = image.map { $0 * FashionMNIST.std + FashionMNIST.mean }
    tiles += [gray.flatMap { [$0, $0, $0] }, heatMap(saliency), heatMap(integrated.map { Float(abs($0)) })]
}
let grid = imageGrid(tiles, width: 28, height: 28, columns: 3)
try writePNG(rgb: grid.pixels, width: grid.width, height: grid.height, to: options.path("saliency.png"))
print("integrated gradients: largest relative completeness error \(worstCompleteness) (\(steps) steps)")
report(["loss_before": before.loss, "loss_after": after.loss, "accuracy": after.accuracy ?? 0,
        "completeness_error": worstCompleteness, "images": Double(shown.count)])
