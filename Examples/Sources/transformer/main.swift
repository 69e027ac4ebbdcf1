// A one-layer Transformer encoder (token and learned position embeddings, multi-head
// self-attention, feed-forward, residuals and layer norms) learns to reverse sequences of 8 tokens.
import ExampleSupport
import Kiln

final class Encoder: Module {
    let tokens: Embedding, positions: Parameter, attention: MultiHeadAttention
    let norm1: LayerNorm, feedForward: Sequential, norm2: LayerNorm, output: Linear
    init(vocabulary: Int, length: Int, dimension: Int) throws {
        var seeds = SeedSequence(1)
        tokens = try Embedding(vocabulary, dimension, seed: seeds.next())
        positions = Parameter(try Initializer.normal(1).make(TensorType(.f32, [length, dimension]), fanIn: length,
                                                             fanOut: dimension, seed: seeds.next()), name: "positions")
        attention = try MultiHeadAttention(dimension: dimension, heads: 4, seed: seeds.next())
        (norm1, norm2) = (try LayerNorm(dimension), try LayerNorm(dimension))
        feedForward = Sequential(try Linear(dimension, 4 * dimension, seed: seeds.next()), Activation(relu),
                                 try Linear(4 * dimension, dimension, seed: seeds.next()))
        output = try Linear(dimension, vocabulary, seed: seeds.next())
    }
    /// Token ids `[batch, time]` to logits `[batch * time, vocabulary]`.
    func forward(_ ids: Tensor) throws -> Tensor {
        let x = try tokens(ids) + positions.tensor
        let h = try norm1(x + attention(x))
        return try output(norm2(h + feedForward(h))).reshaped([-1, output.weight.type.shape[1]])
    }
}

let options = try ExampleOptions.parse()
let (vocabulary, length, rows) = (10, 8, options.small ? 4096 : 32768)
var random = SeedSequence(2)
let sequences = (0..<(rows + 512)).map { _ in (0..<length).map { _ in Double(random.next() % UInt64(vocabulary)) } }
let dataset = { (rows: ArraySlice<[Double]>) in
    try Dataset(inputs: HostTensor(TensorType(.i32, [rows.count, length]), doubles: rows.flatMap { $0 }),
                labels: HostTensor(TensorType(.i32, [rows.count, length]), doubles: rows.flatMap { $0.reversed() }))
}
let (train, test) = (try dataset(sequences[..<rows]), try dataset(sequences[rows...]))
let model = try Encoder(vocabulary: vocabulary, length: length, dimension: 32)
let loss: LossFunction = { try crossEntropy(logits: $0, labels: $1.reshaped([-1])) }
let loader = try DataLoader(train, batchSize: 64, seed: 3)
let evaluator = Evaluator(model: model, loss: loss)
let testLoader = try DataLoader(test, batchSize: 512, shuffle: false)
let trainer = try Trainer(model: model, loss: loss, optimizer: Adam(lr: 3e-3), inputType: loader.inputType, labelType: loader.labelType)
let accuracy = {
    let predicted = try Tensor(evaluator.predict(test.inputs)).argmax(axis: 1).scalars(), truth = test.labels.doubles
    let sequencesRight = (0..<test.count).filter { s in (0..<length).allSatisfy { predicted[s * length + $0] == truth[s * length + $0] } }
    return (Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count), Double(sequencesRight.count) / Double(test.count))
}
let (before, (tokensBefore, _)) = (try evaluator.evaluate(testLoader).loss, try accuracy())
for epoch in 0..<(options.small ? 6 : 20) {
    try trainer.trainEpoch(loader, epoch: epoch)
    print("epoch \(epoch + 1): test loss \(try evaluator.evaluate(testLoader).loss)")
}
let (after, (tokenAccuracy, sequenceAccuracy)) = (try evaluator.evaluate(testLoader).loss, try accuracy())
print("test loss \(before) -> \(after); tokens right \(tokensBefore) -> \(tokenAccuracy), whole sequences right \(sequenceAccuracy)")
report(["loss_before": before, "loss_after": after, "token_accuracy_before": tokensBefore, "token_accuracy": tokenAccuracy,
        "sequence_accuracy": sequenceAccuracy])
