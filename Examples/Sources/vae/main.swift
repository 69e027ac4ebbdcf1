// A variational autoencoder on Fashion-MNIST: the encoder gives each image a mean and a
// log-variance of its latent code, a code is drawn in-graph by reparameterization, the decoder
// gives pixel probabilities. Each batch is ONE compiled step minimizing the negative ELBO
// (reconstruction BCE + KL to the prior). Writes reconstructions beside their originals, and
// samples of the prior decoded.
import ExampleSupport
import Kiln

final class VAE: Module {
    let encoder: Sequential, mean: Linear, logVariance: Linear, decoder: Sequential
    init(hidden: Int, latent: Int, seeds: inout SeedSequence) throws {
        encoder = Sequential(try Linear(784, hidden, seed: seeds.next()), Activation(relu))
        (mean, logVariance) = (try Linear(hidden, latent, seed: seeds.next()), try Linear(hidden, latent, seed: seeds.next()))
        decoder = Sequential(try Linear(latent, hidden, seed: seeds.next()), Activation(relu), try Linear(hidden, 784, seed: seeds.next()))
    }

    /// The reconstruction (pixel probabilities) of `x` decoded from its mean code.
    func forward(_ x: Tensor) throws -> Tensor { try sigmoid(decoder(mean(encoder(x)))) }

    /// The negative ELBO's two terms per image, averaged over the batch: the reconstruction's
    /// BCE summed over pixels, for a code drawn as `mean + exp(logVariance / 2) * noise`, and
    /// `KL(N(mean, exp(logVariance)) ‖ N(0, 1))`.
    func losses(_ x: Tensor) throws -> (reconstruction: Tensor, kl: Tensor) {
        let h = try encoder(x)
        let (mu, logVar) = (try mean(h), try logVariance(h))
        let z = try mu + exp(logVar * 0.5) * randomNormal(mu.shape, like: x)
        let reconstruction = try binaryCrossEntropy(logits: decoder(z), targets: x) * 784
        let kl = try ((mu * mu + exp(logVar) - logVar - 1).sum(axes: [1]) * 0.5).mean()
        return (reconstruction, kl)
    }
}

/// The negative ELBO of a batch as a model output, for `Evaluator`.
final class NegativeELBO: Module {
    let vae: VAE
    init(_ vae: VAE) { self.vae = vae }
    func forward(_ x: Tensor) throws -> Tensor {
        let (reconstruction, kl) = try vae.losses(x)
        return try (reconstruction + kl).reshaped([1])
    }
}

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load(normalize: false)                              // pixels in [0, 1]
let (train, test) = options.small ? (try data.train.prefix(2048), try data.test.prefix(512)) : (data.train, data.test)
let (hidden, latent, epochs) = options.small ? (128, 4, 6) : (400, 16, 10)
var seeds = SeedSequence(0)
let vae = try VAE(hidden: hidden, latent: latent, seeds: &seeds)
let loader = try DataLoader(train, batchSize: 64, seed: 1)
let testLoader = try DataLoader(test, batchSize: 256, shuffle: false, dropLast: false)
let adam = Adam(lr: 2e-3)
let step = try CustomTrainingStep(inputType: loader.inputType, labelType: loader.labelType) { s, x, _ in
    let (reconstruction, kl) = try vae.losses(x)
    let negativeELBO = try reconstruction + kl
    try s.minimize(negativeELBO, over: vae, with: adam)
    try s.report("kl", kl)
    return negativeELBO
}
let trainer = try Trainer(step: step)

let elbo = Evaluator(model: NegativeELBO(vae), loss: { output, _ in try output.sum() })
let reconstruct = Evaluator(model: vae)
let originals = test.inputs.doubles
/// The mean squared pixel error of the test images' reconstructions.
@MainActor func reconstructionError() throws -> Double {
    zip(try reconstruct.predict(test.inputs).doubles, originals).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(originals.count)
}
let dataMean = meanImage(originals, count: test.count)
let meanImageError = originals.indices.map { originals[$0] - dataMean[$0 % 784] }.map { $0 * $0 }.reduce(0, +) / Double(originals.count)

let (before, errorBefore) = (try elbo.evaluate(testLoader).loss, try reconstructionError())
for epoch in 0..<epochs {
    try trainer.trainEpoch(loader, epoch: epoch, every: 10) { done, loss in
        print("epoch \(epoch + 1) step \(done): negative ELBO \(loss) (KL \(trainer.lastReport["kl"] ?? .nan))")
        return false
    }
}
let (after, errorAfter) = (try elbo.evaluate(testLoader).loss, try reconstructionError())
print("test negative ELBO \(before) -> \(after); reconstruction MSE \(errorBefore) -> \(errorAfter) (the mean image: \(meanImageError))")

let shown = try test.prefix(16)
let (original, reconstructed) = (shown.inputs.doubles.map(Float.init), try reconstruct.predict(shown.inputs).doubles.map(Float.init))
let image = { (pixels: [Float], k: Int) in Array(pixels[(k * 784)..<(k * 784 + 784)]) }
let pairs = imageGrid((0..<16).flatMap { [image(original, $0), image(reconstructed, $0)] }, width: 28, height: 28, columns: 8)
try writePNG(gray: pairs.pixels, width: pairs.width, height: pairs.height, to: options.path("vae-reconstructions.png"))
let prior = try randomNormal([32, latent], like: Tensor(scalar: 0), seed: 7).host()
let samples = try Evaluator(model: Sequential(vae.decoder, Activation(sigmoid))).predict(prior).doubles.map(Float.init)
let sampleGrid = imageGrid((0..<32).map { image(samples, $0) }, width: 28, height: 28, columns: 8)
try writePNG(gray: sampleGrid.pixels, width: sampleGrid.width, height: sampleGrid.height, to: options.path("vae-samples.png"))
report(["elbo_loss_before": before, "elbo_loss_after": after, "reconstruction_mse_before": errorBefore,
        "reconstruction_mse_after": errorAfter, "mean_image_mse": meanImageError, "kl_last": trainer.lastReport["kl"] ?? .nan])
