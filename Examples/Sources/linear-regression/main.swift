// Linear regression y = 3 x0 - 2 x1 + 0.5 + noise, fitted twice: mini-batch SGD (batches of 32,
// many small noisy steps) and full-batch gradient descent (one exact step per epoch).
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let rows = options.small ? 1024 : 16384
let zero = try Tensor(scalar: 0)
let x = try randomNormal([rows, 2], like: zero, seed: 1)
let noise = try randomNormal([rows, 1], like: zero, standardDeviation: 0.1, seed: 2)
let trueWeights = try Tensor(shape: [2, 1], [3, -2])
let y = try x.matmul(trueWeights) + 0.5 + noise
let data = try Dataset(inputs: x.host(), labels: y.host())
/// Trains a fresh Linear(2 -> 1) with plain SGD on batches of `batchSize`; returns (loss before, after, weights).
func fit(_ data: Dataset, batchSize: Int, lr: Double, epochs: Int) throws -> (Double, Double, [Double]) {
    let model = try Linear(2, 1, seed: 7)
    let loss: LossFunction = { try mse($0, $1) }
    let loader = try DataLoader(data, batchSize: batchSize, seed: 3)
    let all = try DataLoader(data, batchSize: data.count, shuffle: false)
    let evaluator = Evaluator(model: model, loss: loss)
    let before = try evaluator.evaluate(all).loss
    let trainer = try Trainer(model: model, loss: loss, optimizer: SGD(lr: lr),
                              inputType: loader.inputType, labelType: loader.labelType)
    for epoch in 0..<epochs { try trainer.trainEpoch(loader, epoch: epoch) }
    return (before, try evaluator.evaluate(all).loss, model.weight.value.doubles + (model.bias?.value.doubles ?? []))
}

let (sgdBefore, sgdAfter, sgdWeights) = try fit(data, batchSize: 32, lr: 0.02, epochs: 2)
let (gdBefore, gdAfter, gdWeights) = try fit(data, batchSize: rows, lr: 0.3, epochs: 60)
print("mini-batch SGD (\(rows / 32) steps/epoch, 2 epochs): mse \(sgdBefore) -> \(sgdAfter), w, b = \(sgdWeights)")
print("full-batch GD (60 steps):                    mse \(gdBefore) -> \(gdAfter), w, b = \(gdWeights)")
let target = [3.0, -2, 0.5]
report(["sgd_loss_before": sgdBefore, "sgd_loss_after": sgdAfter, "gd_loss_before": gdBefore, "gd_loss_after": gdAfter,
        "sgd_weight_error": zip(sgdWeights, target).map { abs($0 - $1) }.max() ?? .infinity,
        "gd_weight_error": zip(gdWeights, target).map { abs($0 - $1) }.max() ?? .infinity])
