// Saliency maps (|d score / d pixel|) and integrated gradients (the mean gradient along the path
// from a black image, times the image's difference from it) of a Fashion-MNIST classifier trained
// compiled, with the gradients compiled too (`CompiledGradient`); writes image / saliency / integrated-gradients rows as heat maps.
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
// The score of each row's class, and its gradient with respect to the image: compiled, one
// function per batch shape (one image; the `steps` images of the path).
model.setTraining(false)
let score: ([Tensor]) throws -> Tensor = { t in try (model(t[0]) * t[1].oneHot(depth: 10)).sum() }
let image1 = TensorType(.f32, [1, 784]), path1 = TensorType(.f32, [steps, 784])
let (single, along) = (try CompiledGradient(inputs: [image1, .init(.i64, [1])], score),
                       try CompiledGradient(inputs: [path1, .init(.i64, [steps])], score))
var (tiles, worstCompleteness) = ([[Float]](), 0.0)
for row in 0..<shown.count {
    let image = Array(pixels[(row * 784)..<(row * 784 + 784)]), label = shown.labels[row].asDouble
    let x = try HostTensor(image1, doubles: image.map(Double.init)), y = try HostTensor(.init(.i64, [1]), doubles: [label])
    let (value, gradients) = try single([x, y])
    let saliency = try gradients[0]!.doubles.map { Float(abs($0)) }
    let path: [Double] = (0..<steps).flatMap { k -> [Double] in
        let t = (Float(k) + 0.5) / Float(steps)
        return image.map { (pixel: Float) -> Double in Double(black + t * (pixel - black)) }
    }
    let labels = try HostTensor(.init(.i64, [steps]), doubles: [Double](repeating: label, count: steps))
    let pathGradients = try along([try HostTensor(path1, doubles: path), labels]).gradients[0]!.doubles
    let integrated = (0..<784).map { i in
        (0..<steps).map { pathGradients[$0 * 784 + i] }.reduce(0, +) / Double(steps) * Double(image[i] - black)
    }
    // Completeness: the attributions add up to the score's change from the baseline.
    let baseline = try single([try HostTensor(image1, doubles: .init(repeating: Double(black), count: 784)), y]).value
    let change = value - baseline
    worstCompleteness = max(worstCompleteness, abs(integrated.reduce(0, +) - change) / max(abs(change), 1e-6))
    let gray = image.map { $0 * FashionMNIST.std + FashionMNIST.mean }
    tiles += [gray.flatMap { [$0, $0, $0] }, heatMap(saliency), heatMap(integrated.map { Float(abs($0)) })]
}
let grid = imageGrid(tiles, width: 28, height: 28, columns: 3)
try writePNG(rgb: grid.pixels, width: grid.width, height: grid.height, to: options.path("saliency.png"))
print("integrated gradients: largest relative completeness error \(worstCompleteness) (\(steps) steps)")
report(["loss_before": before.loss, "loss_after": after.loss, "accuracy": after.accuracy ?? 0,
        "completeness_error": worstCompleteness, "images": Double(shown.count)])
