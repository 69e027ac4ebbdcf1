import Kiln
import KilnIR
import KilnRuntime

/// A training workload of `kiln bench`: a model, its loss and optimizer, and random data shaped
/// like a real batch.
public struct Workload: Sendable {
    public let name: String
    public let summary: String
    let batchSize: Int
    let inputRow: (DType, [Int])
    let labelRow: (DType, [Int])
    /// Integer inputs and labels are drawn in `0..<classes`.
    let classes: Int
    let makeModel: @Sendable () throws -> any Kiln.Module
    let makeOptimizer: @Sendable () -> any Optimizer
    let loss: @Sendable (Tensor, Tensor) throws -> Tensor

    /// The workloads of the benchmark table, in order.
    public static let all: [Workload] = [
        Workload(name: "mlp", summary: "784-128-64-10 ReLU, softmax CE, Adam, batch 64", batchSize: 64,
                 inputRow: (.f32, [784]), labelRow: (.i32, []), classes: 10,
                 makeModel: { try ModelZoo.mlp([784, 128, 64, 10], seed: 1) }, makeOptimizer: { Adam(lr: 1e-3) },
                 loss: { try crossEntropy(logits: $0, labels: $1) }),
        Workload(name: "mlp-small", summary: "10-32-3 sigmoid, MSE, Adam, batch 100", batchSize: 100,
                 inputRow: (.f32, [10]), labelRow: (.f32, [3]), classes: 0,
                 makeModel: { try ModelZoo.mlp([10, 32, 3], activation: { try sigmoid($0) }, seed: 2) },
                 makeOptimizer: { Adam(lr: 1e-3) }, loss: { try mse($0, $1) }),
        Workload(name: "cnn", summary: "3x32x32, conv32-pool-conv64-pool-128-10, SGD momentum 0.9, batch 64", batchSize: 64,
                 inputRow: (.f32, [3, 32, 32]), labelRow: (.i32, []), classes: 10,
                 makeModel: { try ModelZoo.cifarCNN(seed: 3) }, makeOptimizer: { Momentum(.constant(0.01), momentum: 0.9) },
                 loss: { try crossEntropy(logits: $0, labels: $1) }),
        Workload(name: "lstm", summary: "vocab 65, embedding 64, LSTM 128, sequence 32, Adam, batch 32", batchSize: 32,
                 inputRow: (.i32, [32]), labelRow: (.i32, [32]), classes: 65,
                 makeModel: { try ModelZoo.lstmLanguageModel(vocabulary: 65, embedding: 64, hidden: 128, seed: 4) },
                 makeOptimizer: { Adam(lr: 1e-3) },
                 loss: { try crossEntropy(logits: $0, labels: $1.reshaped([-1])) }),
        Workload(name: "mlp-wide", summary: "1024-2048-2048-10 ReLU, softmax CE, SGD, batch 256", batchSize: 256,
                 inputRow: (.f32, [1024]), labelRow: (.i32, []), classes: 10,
                 makeModel: { try ModelZoo.mlp([1024, 2048, 2048, 10], seed: 5) }, makeOptimizer: { SGD(lr: 0.01) },
                 loss: { try crossEntropy(logits: $0, labels: $1) }),
    ]

    /// `rows` random examples: floats in [-1, 1), integers in `0..<classes`.
    func dataset(rows: Int, seed: UInt64) throws -> Dataset {
        func tensor(_ row: (DType, [Int]), salt: UInt64) throws -> HostTensor {
            let type = TensorType(row.0, [rows] + row.1)
            let stream = rngStream(seed: Int64(bitPattern: seed &+ salt), key: 0)
            let values = (0..<type.count).map { i -> Double in
                let u = rngUnit(stream, i)
                return row.0.isFloat ? 2 * u - 1 : (u * Double(classes)).rounded(.down)
            }
            return try HostTensor(type, doubles: values)
        }
        return try Dataset(inputs: try tensor(inputRow, salt: 1), labels: try tensor(labelRow, salt: 2))
    }
}
