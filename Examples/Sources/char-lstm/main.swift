// A character-level LSTM language model (embedding, LSTM, linear over the characters) trained
// compiled on a few nursery rhymes to predict the next character; then samples new text.
import ExampleSupport
import Kiln

let options = try ExampleOptions.parse()
let characters = Array(Set(corpus)).sorted(), length = 16
let index = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
let ids = corpus.compactMap { index[$0] }
let starts = Array(stride(from: 0, to: ids.count - length - 1, by: options.small ? 4 : 1))
let windows = { (offset: Int) in try HostTensor(TensorType(.i32, [starts.count, length]),
                                                doubles: starts.flatMap { ids[($0 + offset)..<($0 + offset + length)].map(Double.init) }) }
let data = try Dataset(inputs: windows(0), labels: windows(1))

let model = try ModelZoo.lstmLanguageModel(vocabulary: characters.count, embedding: 16, hidden: 64, seed: 1)
let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1.reshaped([-1])) }
let loader = try DataLoader(data, batchSize: 32, seed: 2)
let all = try DataLoader(data, batchSize: 64, shuffle: false, dropLast: false)
let evaluator = Evaluator(model: model, loss: loss)
let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(.constant(1e-2), clipNorm: 1), inputType: loader.inputType, labelType: loader.labelType)
let before = try evaluator.evaluate(all).loss
let epochs = options.small ? 12 : 60
for epoch in 0..<epochs {
    try trainer.trainEpoch(loader, epoch: epoch)
    if (epoch + 1) % (epochs / 4) == 0 { print("epoch \(epoch + 1): loss \(try evaluator.evaluate(all).loss)") }
}
let after = try evaluator.evaluate(all).loss

// Sampling: the last `length` characters in, the next one drawn from softmax(logits / 0.7).
var (window, text, random) = (Array(ids.prefix(length)), "", SeedSequence(3))
for _ in 0..<(options.small ? 80 : 300) {
    let logits = try evaluator.predict(HostTensor(TensorType(.i32, [1, length]), doubles: window.map(Double.init))).doubles.suffix(characters.count)
    let weights = try softmax(Tensor(shape: [characters.count], logits.map { Float($0 / 0.7) })).scalars()
    var (u, next) = (Double(random.next() >> 11) / Double(1 << 53), 0)
    while next < weights.count - 1 && u >= weights[next] { u -= weights[next]; next += 1 }
    text.append(characters[next])
    window = Array(window.dropFirst()) + [next]
}
print("loss \(before) -> \(after); sample after \"\(String(corpus.prefix(length)))\":\n\(text)")
report(["loss_before": before, "loss_after": after, "vocabulary": Double(characters.count), "sampled_characters": Double(text.count)])
