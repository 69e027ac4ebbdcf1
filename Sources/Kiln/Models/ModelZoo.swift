import KilnIR

/// Ready-made models: the ones `kiln train` and `kiln bench` use, and good starting points.
public enum ModelZoo {
    /// An MLP for 28x28 images flattened to 784: 784-256-128-10, ReLU.
    public static func fashionMLP(seed: UInt64 = 0) throws -> Sequential {
        var seeds = SeedSequence(seed)
        return Sequential(try Linear(784, 256, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                          try Linear(256, 128, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                          try Linear(128, 10, seed: seeds.next()))
    }

    /// A CNN for 1x28x28 images: conv 1->32 k3 p1, ReLU, max-pool 2; conv 32->64 k3 p1, ReLU,
    /// max-pool 2; linear 3136->128, ReLU; linear 128->10.
    public static func fashionCNN(seed: UInt64 = 0) throws -> Sequential {
        var seeds = SeedSequence(seed)
        return Sequential(try Conv2D(1, 32, kernelSize: 3, padding: 1, seed: seeds.next()), Activation(relu), try MaxPool2D(2),
                          try Conv2D(32, 64, kernelSize: 3, padding: 1, seed: seeds.next()), Activation(relu), try MaxPool2D(2),
                          Flatten(), try Linear(64 * 7 * 7, 128, initializer: .heUniform, seed: seeds.next()), Activation(relu),
                          try Linear(128, 10, seed: seeds.next()))
    }

    /// An MLP of the given layer sizes with `activation` between layers (none after the last).
    public static func mlp(_ sizes: [Int], activation: @escaping (Tensor) throws -> Tensor = { try relu($0) },
                           seed: UInt64 = 0) throws -> Sequential {
        var seeds = SeedSequence(seed)
        var layers: [any Module] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(try Linear(sizes[i], sizes[i + 1], seed: seeds.next()))
            if i < sizes.count - 2 { layers.append(Activation(activation)) }
        }
        return Sequential(layers)
    }

    /// The CNN of the `cnn` benchmark, for 3x32x32 inputs: conv 3->32 k3 p1, ReLU, max-pool 2;
    /// conv 32->64 k3 p1, ReLU, max-pool 2; linear 4096->128, ReLU; linear 128->10.
    public static func cifarCNN(seed: UInt64 = 0) throws -> Sequential {
        var seeds = SeedSequence(seed)
        return Sequential(try Conv2D(3, 32, kernelSize: 3, padding: 1, seed: seeds.next()), Activation(relu), try MaxPool2D(2),
                          try Conv2D(32, 64, kernelSize: 3, padding: 1, seed: seeds.next()), Activation(relu), try MaxPool2D(2),
                          Flatten(), try Linear(4096, 128, seed: seeds.next()), Activation(relu),
                          try Linear(128, 10, seed: seeds.next()))
    }

    /// A character-level language model: embedding -> LSTM -> linear over the vocabulary, giving
    /// logits `[batch * time, vocabulary]` for next-token cross-entropy.
    public static func lstmLanguageModel(vocabulary: Int, embedding: Int, hidden: Int, seed: UInt64 = 0) throws -> Sequential {
        var seeds = SeedSequence(seed)
        return Sequential(try Embedding(vocabulary, embedding, seed: seeds.next()), try LSTM(embedding, hidden, seed: seeds.next()),
                          Activation { try $0.reshaped([-1, hidden]) }, try Linear(hidden, vocabulary, seed: seeds.next()))
    }
}
