// RMSprop and AdaGrad, each with a linearly and an exponentially decaying learning rate, fit the
// same small MLP to y = sin(2 x0) + x1^2 from the same start; prints the loss curve of each.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let rows = options.small ? 2048 : 16384
let zero = try Tensor(scalar: 0)
let x = try randomUniform([rows, 2], like: zero, low: -1.5, high: 1.5, seed: 1)
let y = try sin(x.slice(0..<1, axis: 1) * 2) + x.slice(1..<2, axis: 1) * x.slice(1..<2, axis: 1)
let data = try Dataset(inputs: x.host(), labels: y.host())
let loader = try DataLoader(data, batchSize: 64, seed: 2)
let all = try DataLoader(data, batchSize: rows, shuffle: false)
let (epochs, steps) = (options.small ? 8 : 30, (options.small ? 8 : 30) * loader.batchCount)
let optimizers: [(String, any Optimizer)] = [
    ("rmsprop_linear", RMSprop(.linear(initial: 0.01, final: 0.001, steps: steps))),
    ("rmsprop_exponential", RMSprop(.exponential(initial: 0.01, rate: 0.1, decaySteps: steps))),
    ("adagrad_linear", AdaGrad(.linear(initial: 0.1, final: 0.01, steps: steps))),
    ("adagrad_exponential", AdaGrad(.exponential(initial: 0.1, rate: 0.1, decaySteps: steps))),
]
var metrics: [String: Double] = [:]
for (name, optimizer) in optimizers {
    let model = try ModelZoo.mlp([2, 32, 32, 1], activation: { try tanh($0) }, seed: 3)
    let loss: LossFunction = { try mse($0, $1) }
    let evaluator = Evaluator(model: model, loss: loss)
    let trainer = try Trainer(model: model, loss: loss, optimizer: optimizer, inputType: loader.inputType, labelType: loader.labelType)
    let before = try evaluator.evaluate(all).loss
    var curve: [Double] = []
    for epoch in 0..<epochs {
        try trainer.trainEpoch(loader, epoch: epoch)
        curve.append(try evaluator.evaluate(all).loss)
    }
    print("\(name): mse \(before) -> " + curve.map { "\(($0 * 10000).rounded() / 10000)" }.joined(separator: " "))
    (metrics[name + "_loss_before"], metrics[name + "_loss_after"]) = (before, curve.last ?? before)
}
report(metrics)
