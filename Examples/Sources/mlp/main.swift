// An MLP of sigmoid units learns whether a point lies inside the unit circle: Xavier-initialized
// weights, dropout, weight decay, MSE on a sigmoid output, and early stopping on a validation
// split (the best weights kept in a checkpoint and restored at the end).
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let rows = options.small ? 4096 : 32768
let zero = try Tensor(scalar: 0)
let points = try randomUniform([rows, 2], like: zero, low: -1.6, high: 1.6, seed: 1)
let inside = try ((points * points).sum(axes: [1], keepingDims: true) .< 1).converted(to: .f32)
let (train, validation) = try Dataset(inputs: points.host(), labels: inside.host()).split(at: rows * 3 / 4)

let model = Sequential(try Linear(2, 32, initializer: .xavierUniform, seed: 1), Activation(sigmoid), try Dropout(rate: 0.1, seed: 2),
                       try Linear(32, 32, initializer: .xavierUniform, seed: 3), Activation(sigmoid),
                       try Linear(32, 1, initializer: .xavierUniform, seed: 4), Activation(sigmoid))
let loss: LossFunction = { try mse($0, $1) }
let loader = try DataLoader(train, batchSize: 32, seed: 5)
let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(.constant(0.01), weightDecay: 1e-5),
                          inputType: loader.inputType, labelType: loader.labelType)
let evaluator = Evaluator(model: model, loss: loss)
let validationLoader = try DataLoader(validation, batchSize: validation.count, shuffle: false)
let accuracy = {
    let predicted = try evaluator.predict(validation.inputs).doubles, truth = validation.labels.doubles
    return Double(zip(predicted, truth).filter { ($0 > 0.5) == ($1 > 0.5) }.count) / Double(truth.count)
}

let before = try evaluator.evaluate(validationLoader).loss, accuracyBefore = try accuracy()
let (patience, maxEpochs, bestPath) = (3, options.small ? 25 : 100, options.path("mlp-best.safetensors"))
var (best, bestEpoch, epoch) = (before, 0, 0)
try model.save(to: bestPath)
while epoch < maxEpochs && epoch - bestEpoch <= patience {
    try trainer.trainEpoch(loader, epoch: epoch)
    epoch += 1
    let validationLoss = try evaluator.evaluate(validationLoader).loss
    print("epoch \(epoch): validation mse \(validationLoss)")
    if validationLoss < best { (best, bestEpoch) = (validationLoss, epoch); try model.save(to: bestPath) }
}
try model.load(from: bestPath)
let after = try evaluator.evaluate(validationLoader).loss, accuracyAfter = try accuracy()
print("validation mse \(before) -> \(after), accuracy \(accuracyBefore) -> \(accuracyAfter); best epoch \(bestEpoch) of \(epoch)")
report(["loss_before": before, "loss_after": after, "accuracy_before": accuracyBefore, "accuracy": accuracyAfter,
        "epochs": Double(epoch), "best_epoch": Double(bestEpoch)])
