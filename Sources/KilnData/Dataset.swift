import KilnFormats
import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Examples in memory: `inputs` `[N, ...]` and `labels` `[N, ...]`, row `i` of each forming example `i`.
public struct Dataset: Sendable {
    public let inputs: HostTensor
    public let labels: HostTensor

    /// Pairs `inputs` and `labels` (not copied); both need rank >= 1 and the same first dimension.
    public init(inputs: HostTensor, labels: HostTensor) throws(KilnError) {
        guard let n = inputs.type.shape.first, labels.type.shape.first == n else {
            throw KilnError("a dataset needs inputs and labels with the same first dimension (the example count), got \(inputs.type) and \(labels.type)")
        }
        self.inputs = inputs
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { inputs.type.shape[0] }

    /// The type of `rows` examples' inputs, `[rows, ...]`.
    public func inputType(rows: Int) -> TensorType { inputs.type.with(shape: [rows] + inputs.type.shape.dropFirst()) }

    /// The type of `rows` examples' labels, `[rows, ...]`.
    public func labelType(rows: Int) -> TensorType { labels.type.with(shape: [rows] + labels.type.shape.dropFirst()) }

    /// A copy of the examples `range`.
    public func rows(_ range: Range<Int>) throws(KilnError) -> Dataset {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw KilnError("rows \(range) are out of range for a dataset of \(count) examples")
        }
        let subset = try Dataset(inputs: HostTensor(zeros: inputType(rows: range.count)),
                                 labels: HostTensor(zeros: labelType(rows: range.count)))
        try copyRows(Array(range), into: subset.inputs, labels: subset.labels)
        return subset
    }

    /// A copy of the first `n` examples (all of them when `n >= count`).
    public func prefix(_ n: Int) throws(KilnError) -> Dataset { try rows(0..<max(0, min(n, count))) }

    /// Copies of the first `n` examples and of the rest, e.g. a training and a validation set.
    public func split(at n: Int) throws(KilnError) -> (first: Dataset, rest: Dataset) {
        guard n >= 0, n <= count else { throw KilnError("cannot split a dataset of \(count) examples at \(n)") }
        return (try rows(0..<n), try rows(n..<count))
    }

    /// Copies the examples `indices`, in order, into the first rows of `inputs` and `labels` with
    /// one `memcpy` per row. The targets need the dataset's dtypes and as many elements per row
    /// (their row shape may differ, e.g. `[B, 1, 28, 28]` from `[N, 784]`) and at least
    /// `indices.count` rows.
    public func copyRows(_ indices: some Collection<Int>, into inputs: HostTensor, labels: HostTensor) throws(KilnError) {
        try Self.copyRows(of: self.inputs, indices, into: inputs)
        try Self.copyRows(of: self.labels, indices, into: labels)
    }

    private static func copyRows(of source: HostTensor, _ indices: some Collection<Int>, into target: HostTensor) throws(KilnError) {
        let n = source.type.shape[0]
        let rowBytes = n == 0 ? 0 : source.type.byteCount / n
        let targetRows = target.type.shape.first ?? 0
        guard target.type.dtype == source.type.dtype, targetRows >= indices.count,
              target.type.byteCount == targetRows * rowBytes else {
            throw KilnError("cannot copy \(indices.count) rows of \(source.type) into \(target.type): it needs the same dtype, at least \(indices.count) rows and as many elements per row")
        }
        for (row, index) in indices.enumerated() {
            guard index >= 0, index < n else {
                throw KilnError("example index \(index) is out of range for a dataset of \(n) examples")
            }
            memcpy(target.data + row * rowBytes, source.data + index * rowBytes, rowBytes)
        }
    }
}
