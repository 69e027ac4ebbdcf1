import KilnFormats
import KilnIR
import KilnRuntime

/// A permutation of `0..<count` drawn by Fisher-Yates from the counter-based stream of `seed` and
/// `epoch` (`rngStream(seed:key:)` and `mix64`, as the `rng_*` ops draw): the same arguments give
/// the same permutation on every machine.
public func shuffledIndices(count: Int, seed: UInt64, epoch: Int = 0) -> [Int] {
    var order = Array(0..<max(0, count))
    let stream = rngStream(seed: Int64(bitPattern: seed), key: Int64(epoch))
    for i in order.indices.dropFirst().reversed() {
        let bits = rngBits(stream, i)
        // Scales the 64 random bits to 0...i (bias below 2^-40 for any realistic count).
        let j = Int(bits.multipliedFullWidth(by: UInt64(i + 1)).high)
        order.swapAt(i, j)
    }
    return order
}

/// Cuts a dataset into batches, shuffled per epoch, copied into batch tensors allocated once.
///
/// ```swift
/// let loader = try DataLoader(data.train, batchSize: 64, seed: 1)
/// for epoch in 0..<epochs {
///     let order = loader.order(epoch: epoch)
///     for b in 0..<loader.batchCount {
///         let (x, y) = try loader.batch(b, of: order)
///         try trainer.step(x, y)
///     }
/// }
/// ```
///
/// `batch` returns the same tensors every time (overwritten by the next call), so copy what must
/// outlive the step. With `dropLast` (the default, for training) every batch has `batchSize`
/// rows and the last `count % batchSize` examples of an epoch are skipped; without it (for
/// evaluation) the last batch is smaller and has tensors of its own, also allocated once.
public struct DataLoader: Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    private let full: (inputs: HostTensor, labels: HostTensor)
    private let remainder: (inputs: HostTensor, labels: HostTensor)?

    /// A loader of `batchSize` rows per batch; `inputRowShape` reshapes each example's input in the
    /// batch (same element count), e.g. `[1, 28, 28]` for a convolutional network.
    public init(_ dataset: Dataset, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = true,
                inputRowShape: [Int]? = nil) throws(KilnError) {
        guard batchSize >= 1 else { throw KilnError("batch size must be at least 1, got \(batchSize)") }
        let rowShape = inputRowShape ?? Array(dataset.inputs.type.shape.dropFirst())
        let inputType = TensorType(dataset.inputs.type.dtype, [batchSize] + rowShape)
        try checkLimits(inputType)
        let rowCount = dataset.inputs.type.shape.dropFirst().reduce(1, *)
        guard rowShape.reduce(1, *) == rowCount else {
            throw KilnError("input row shape \(rowShape) does not hold the \(rowCount) elements of an example of \(dataset.inputs.type)")
        }
        (self.dataset, self.batchSize, self.shuffle, self.seed, self.dropLast) = (dataset, batchSize, shuffle, seed, dropLast)
        func buffers(_ rows: Int) throws(KilnError) -> (inputs: HostTensor, labels: HostTensor) {
            (try HostTensor(zeros: inputType.with(shape: [rows] + rowShape)),
             try HostTensor(zeros: dataset.labelType(rows: rows)))
        }
        full = try buffers(batchSize)
        let rest = dataset.count % batchSize
        remainder = dropLast || rest == 0 ? nil : try buffers(rest)
    }

    /// Batches per epoch.
    public var batchCount: Int { dataset.count / batchSize + (remainder == nil ? 0 : 1) }

    /// The type of a full batch's inputs and labels (what a traced training step takes).
    public var inputType: TensorType { full.inputs.type }
    public var labelType: TensorType { full.labels.type }

    /// The order of the examples in `epoch`: `shuffledIndices(count:seed:epoch:)`, or `0..<count`
    /// without shuffling.
    public func order(epoch: Int) -> [Int] {
        shuffle ? shuffledIndices(count: dataset.count, seed: seed, epoch: epoch) : Array(0..<dataset.count)
    }

    /// Batch `b` (of `batchCount`) of the examples taken in `order`, copied into this loader's tensors.
    public func batch(_ b: Int, of order: [Int]) throws(KilnError) -> (inputs: HostTensor, labels: HostTensor) {
        guard b >= 0, b < batchCount else { throw KilnError("batch \(b) is out of range: an epoch has \(batchCount) batches") }
        guard order.count == dataset.count else {
            throw KilnError("the order lists \(order.count) examples, the dataset has \(dataset.count)")
        }
        let start = b * batchSize
        let target = start + batchSize <= order.count ? full : remainder ?? full
        try dataset.copyRows(order[start..<min(start + batchSize, order.count)], into: target.inputs, labels: target.labels)
        return target
    }
}
