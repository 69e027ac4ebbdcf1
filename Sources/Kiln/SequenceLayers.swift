import KilnIR
import KilnRuntime

/// A single-layer LSTM over `[batch, time, features]`, returning every hidden state
/// `[batch, time, hidden]`. Gates (input, forget, cell, output) come from one product with the
/// input and one with the previous hidden state; the forget-gate bias starts at 1.
///
/// The input projection of all steps is one product over `[time * batch, features]` (time-major,
/// so step `t`'s gates are the contiguous rows `t * batch ..< (t + 1) * batch`); each step adds
/// its hidden state's product. `grad` assembles the per-step gate cotangents into one tensor and
/// sums the per-step weight gradients as one product each (see docs/autodiff.md).
public final class LSTM: Module {
    public let inputWeight: Parameter
    public let hiddenWeight: Parameter
    public let bias: Parameter
    public let hiddenSize: Int

    public init(_ inputSize: Int, _ hiddenSize: Int, seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("LSTM", ["inputSize": inputSize, "hiddenSize": hiddenSize])
        let base = layerSeed(seed)
        inputWeight = Parameter(try Initializer.xavierUniform.make(TensorType(.f32, [inputSize, 4 * hiddenSize]),
                                                                   fanIn: inputSize, fanOut: hiddenSize, seed: base), name: "input_weight")
        hiddenWeight = Parameter(try Initializer.xavierUniform.make(TensorType(.f32, [hiddenSize, 4 * hiddenSize]),
                                                                    fanIn: hiddenSize, fanOut: hiddenSize, seed: base &+ 1), name: "hidden_weight")
        let b = try HostTensor(zeros: TensorType(.f32, [4 * hiddenSize]))
        for i in hiddenSize..<(2 * hiddenSize) { b[i] = .float(1) }
        bias = Parameter(b, name: "bias")
        self.hiddenSize = hiddenSize
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let inputSize = inputWeight.type.shape[0]
        try requireInput(x, of: "LSTM(\(inputSize) -> \(hiddenSize))", dtype: inputWeight.type.dtype,
                         x.rank == 3 && x.shape[2] == inputSize, "it needs [batch, time, \(inputSize)]")
        let (batch, steps, h) = (x.shape[0], x.shape[1], hiddenSize)
        let timeMajor = try x.transposed([1, 0, 2]).reshaped([steps * batch, x.shape[2]])
        let projected = try timeMajor.matmul(inputWeight.tensor) + bias.tensor
        var hidden = try x.scalar(0).broadcast(to: [batch, h])
        var cell = hidden
        var outputs: [Tensor] = []
        for t in 0..<steps {
            let gates = try projected.slice((t * batch)..<((t + 1) * batch), axis: 0) + hidden.matmul(hiddenWeight.tensor)
            let i = try sigmoid(gates.slice(0..<h, axis: 1))
            let f = try sigmoid(gates.slice(h..<(2 * h), axis: 1))
            let g = try tanh(gates.slice((2 * h)..<(3 * h), axis: 1))
            let o = try sigmoid(gates.slice((3 * h)..<(4 * h), axis: 1))
            cell = try f * cell + i * g
            hidden = try o * tanh(cell)
            outputs.append(hidden)
        }
        return try concatenate(outputs, axis: 0).reshaped([steps, batch, h]).transposed([1, 0, 2])
    }
}

/// Multi-head scaled dot-product self-attention over `[batch, time, dim]`.
public final class MultiHeadAttention: Module {
    public let query: Linear, key: Linear, value: Linear, output: Linear
    public let heads: Int

    public init(dimension: Int, heads: Int, seed: UInt64? = nil) throws(KilnError) {
        try requirePositive("MultiHeadAttention", ["dimension": dimension, "heads": heads])
        guard dimension % heads == 0 else {
            throw KilnError("MultiHeadAttention needs a dimension divisible by heads, got \(dimension) and \(heads)")
        }
        var seeds = SeedSequence(layerSeed(seed))
        query = try Linear(dimension, dimension, seed: seeds.next())
        key = try Linear(dimension, dimension, seed: seeds.next())
        value = try Linear(dimension, dimension, seed: seeds.next())
        output = try Linear(dimension, dimension, seed: seeds.next())
        self.heads = heads
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3 else { throw KilnError("MultiHeadAttention needs input [batch, time, dim], got \(x.type)") }
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
        let hd = d / heads
        func split(_ y: Tensor) throws -> Tensor {
            try y.reshaped([b, t, heads, hd]).transposed([0, 2, 1, 3]).reshaped([b * heads, t, hd])
        }
        let q = try split(query(x)), k = try split(key(x)), v = try split(value(x))
        let scores = try q.matmul(k, transposeOther: true) / Double(hd).squareRoot()
        let attended = try softmax(scores, axis: -1).matmul(v)
        let merged = try attended.reshaped([b, heads, t, hd]).transposed([0, 2, 1, 3]).reshaped([b, t, d])
        return try output(merged)
    }
}
