// Transfer learning on Fashion-MNIST: a network is trained on classes 0-4 and its body saved as a
// checkpoint; a new network loads that body, freezes it and fine-tunes only a new head on classes
// 5-9. The frozen body must come out bit-identical to the checkpoint.
import ExampleSupport
import Kiln

final class Classifier: Module {
    let body: Sequential, head: Linear
    init(seed: UInt64) throws {
        var seeds = SeedSequence(seed)
        body = Sequential(try Linear(784, 128, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                          try Linear(128, 64, initializer: .heUniform, seed: seeds.next()), Activation(relu))
        head = try Linear(64, 5, seed: seeds.next())
    }
    func forward(_ x: Tensor) throws -> Tensor { try head(body(x)) }
}

/// The examples of `classes`, labelled 0..<classes.count.
func subset(_ data: Dataset, _ classes: Range<Int>) throws -> Dataset {
    let rows = (0..<data.count).filter { classes.contains(Int(data.labels[$0].asDouble)) }
    let (inputs, labels) = (try HostTensor(zeros: data.inputType(rows: rows.count)), try HostTensor(zeros: data.labelType(rows: rows.count)))
    try data.copyRows(rows, into: inputs, labels: labels)
    for i in 0..<rows.count { labels[i] = .int(Int64(labels[i].asDouble) - Int64(classes.lowerBound)) }
    return try Dataset(inputs: inputs, labels: labels)
}

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load()
let (train, test) = options.small ? (try data.train.prefix(6000), try data.test.prefix(2000)) : (data.train, data.test)

/// Trains `model` for `epochs` on the examples of `classes`; returns its test loss before and after, and its accuracy.
func trainAndTest(_ model: Classifier, on classes: Range<Int>, _ train: Dataset, _ test: Dataset, epochs: Int, lr: Double) throws
    -> (before: Double, after: Double, accuracy: Double) {
    let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
    let loader = try DataLoader(subset(train, classes), batchSize: 64, seed: 1)
    let testLoader = try DataLoader(subset(test, classes), batchSize: 500, shuffle: false, dropLast: false)
    let evaluator = Evaluator(model: model, loss: loss)
    let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(lr: lr), inputType: loader.inputType, labelType: loader.labelType)
    let before = try evaluator.evaluate(testLoader).loss
    for epoch in 0..<epochs { try trainer.trainEpoch(loader, epoch: epoch) }
    let after = try evaluator.evaluate(testLoader)
    print("classes \(classes): \(trainer.parameters.count) parameters trained, test loss \(before) -> \(after.loss), accuracy \(after.accuracy ?? 0)")
    return (before, after.loss, after.accuracy ?? 0)
}

let base = try Classifier(seed: 1)
let pretraining = try trainAndTest(base, on: 0..<5, train, test, epochs: options.small ? 1 : 5, lr: 1e-3)
let checkpoint = options.path("transfer-body.safetensors")
try base.body.save(to: checkpoint)

let fineTuned = try Classifier(seed: 2)
try fineTuned.body.load(from: checkpoint)
fineTuned.body.freeze()
let fineTuning = try trainAndTest(fineTuned, on: 5..<10, train, test, epochs: options.small ? 2 : 5, lr: 1e-2)
let saved = try loadCheckpoint(path: checkpoint).tensors
let change = try fineTuned.body.namedParameters.map { name, p in
    guard let s = saved[name] else { throw KilnError("the checkpoint lacks \(name)") }
    return zip(s.doubles, p.value.doubles).map { abs($0 - $1) }.max() ?? 0
}.max() ?? 0
print("frozen body: largest change \(change) over \(fineTuned.body.parameterCount) weights")
guard change == 0 else { throw KilnError("the frozen body changed during fine-tuning (by up to \(change)); it must stay bit-identical") }
report(["pretrain_accuracy": pretraining.accuracy, "loss_before": fineTuning.before, "loss_after": fineTuning.after,
        "accuracy": fineTuning.accuracy, "frozen_max_abs_change": change])
