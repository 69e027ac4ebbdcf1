// A DCGAN-style GAN on Fashion-MNIST: a generator of transposed convolutions turns in-graph
// normal noise into 28x28 images, a convolutional discriminator tells them from real ones. Each
// batch is ONE compiled step: the discriminator's Adam update on real and (detached) fake images,
// then the generator's Adam update against the updated discriminator. Writes a grid of generated
// images before and after training.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load(layout: .channels, normalize: false)          // pixels in [0, 1]
let (train, test) = options.small ? (try data.train.prefix(1024), try data.test.prefix(256)) : (data.train, data.test)
let (latent, c, batch, epochs) = options.small ? (16, 8, 32, 4) : (64, 32, 64, 10)
var seeds = SeedSequence(0)
let leaky = Activation { try leakyRelu($0, slope: 0.2) }
let generator = Sequential(try Linear(latent, 2 * c * 7 * 7, seed: seeds.next()), Activation(relu),
                           Activation { try $0.reshaped([-1, 2 * c, 7, 7]) },
                           try ConvTranspose2D(2 * c, c, kernelSize: 4, stride: 2, padding: 1, seed: seeds.next()), Activation(relu),
                           try ConvTranspose2D(c, 1, kernelSize: 4, stride: 2, padding: 1, seed: seeds.next()), Activation(sigmoid))
let discriminator = Sequential(try Conv2D(1, c, kernelSize: 4, stride: 2, padding: 1, seed: seeds.next()), leaky,
                               try Conv2D(c, 2 * c, kernelSize: 4, stride: 2, padding: 1, seed: seeds.next()), leaky,
                               Flatten(), try Linear(2 * c * 7 * 7, 1, seed: seeds.next()))
let (real, fake) = (try Tensor(shape: [batch, 1], [Float](repeating: 1, count: batch)),
                    try Tensor(shape: [batch, 1], [Float](repeating: 0, count: batch)))
let lr = options.small ? 2e-3 : 2e-4
let (dAdam, gAdam) = (Adam(.constant(lr), beta1: 0.5), Adam(.constant(lr), beta1: 0.5))
let loader = try DataLoader(train, batchSize: batch, seed: 1)
let step = try CustomTrainingStep(inputType: loader.inputType, labelType: loader.labelType) { s, x, _ in
    let generated = try generator(randomNormal([batch, latent], like: x))
    let (onReal, onFake) = (try discriminator(x), try discriminator(generated.detached()))
    let dLoss = try binaryCrossEntropy(logits: onReal, targets: real) + binaryCrossEntropy(logits: onFake, targets: fake)
    try s.minimize(dLoss, over: discriminator, with: dAdam)
    let gLoss = try binaryCrossEntropy(logits: discriminator(generated), targets: real)   // the updated discriminator
    try s.minimize(gLoss, over: generator, with: gAdam)
    try s.report("generator_loss", gLoss)
    return dLoss
}
let trainer = try Trainer(step: step)

// Fixed noise (drawn eagerly) for the pictures and for the measures after training.
let shownNoise = try randomNormal([32, latent], like: Tensor(scalar: 0), seed: 7).host()
let testNoise = try randomNormal([test.count, latent], like: Tensor(scalar: 0), seed: 8).host()
let (generate, judge) = (Evaluator(model: generator), Evaluator(model: discriminator))
let dataMean = meanImage(test.inputs.doubles, count: test.count)
/// The fraction of real test images and generated ones the discriminator classifies right (a
/// logit > 0 means real), and the mean pixel distance of the generated images' mean to the data's.
@MainActor func measure() throws -> (accuracy: Double, meanDistance: Double) {
    let images = try generate.predict(testNoise)
    let (onReal, onFake) = (try judge.predict(test.inputs).doubles, try judge.predict(images).doubles)
    let right = onReal.filter { $0 > 0 }.count + onFake.filter { $0 <= 0 }.count
    let generatedMean = meanImage(images.doubles, count: test.count)
    return (Double(right) / Double(2 * test.count), zip(generatedMean, dataMean).map { abs($0 - $1) }.reduce(0, +) / 784)
}
/// Writes the images generated from `shownNoise`, 8 a row, to `name`.
@MainActor func writeGrid(_ name: String) throws {
    let pixels = try generate.predict(shownNoise).doubles.map(Float.init)
    let grid = imageGrid((0..<32).map { Array(pixels[($0 * 784)..<($0 * 784 + 784)]) }, width: 28, height: 28, columns: 8)
    try writePNG(gray: grid.pixels, width: grid.width, height: grid.height, to: options.path(name))
}

let before = try measure()
try writeGrid("gan-before.png")
var (firstLosses, lastLosses): ((Double, Double)?, (Double, Double)) = (nil, (.nan, .nan))
for epoch in 0..<epochs {
    try trainer.trainEpoch(loader, epoch: epoch, every: 10) { done, dLoss in
        let gLoss = trainer.lastReport["generator_loss"] ?? .nan
        if firstLosses == nil { firstLosses = (dLoss, gLoss) }
        lastLosses = (dLoss, gLoss)
        print("epoch \(epoch + 1) step \(done): discriminator loss \(dLoss), generator loss \(gLoss)")
        return false
    }
}
let after = try measure()
try writeGrid("gan-after.png")
print("discriminator accuracy on real vs fake \(before.accuracy) -> \(after.accuracy); " +
      "mean |generated mean image - data mean image| \(before.meanDistance) -> \(after.meanDistance)")
report(["d_loss_first": firstLosses?.0 ?? .nan, "g_loss_first": firstLosses?.1 ?? .nan, "d_loss_last": lastLosses.0,
        "g_loss_last": lastLosses.1, "d_accuracy_before": before.accuracy, "d_accuracy_after": after.accuracy,
        "mean_distance_before": before.meanDistance, "mean_distance_after": after.meanDistance])
