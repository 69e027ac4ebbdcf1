import KilnIR
import KilnRuntime

/// How the gradients of a data-parallel step are all-reduced: in buckets, each flattened,
/// concatenated, reduced by one `all_reduce` and sliced back. Buckets fill with the gradients in
/// reverse order (the last layers', which the backward pass completes first, go first); compiled
/// code starts each bucket's reduction as soon as its gradients are computed and waits on it just
/// before the update reads it (docs/distributed.md).
public enum GradientFusion: Hashable, Sendable, CustomStringConvertible {
    /// One `all_reduce` per gradient tensor.
    case perTensor
    /// Every gradient in one buffer, one `all_reduce` after the backward pass (latency paid once).
    case flat
    /// Buckets closed once they hold `bytes` bytes or more (a larger gradient is a bucket alone).
    case buckets(bytes: Int)

    /// The bucket size of `buckets` by default: 1 MiB.
    public static let defaultBucketBytes = 1 << 20

    /// `flat`, `per-tensor`, `buckets` (1 MiB) or `buckets:BYTES` (at least 1).
    public init(parsing text: String) throws(KilnError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch (parts[0], parts.count > 1 ? parts[1] : nil) {
        case ("flat", nil): self = .flat
        case ("per-tensor", nil): self = .perTensor
        case ("buckets", nil): self = .buckets(bytes: Self.defaultBucketBytes)
        case ("buckets", let bytes?):
            guard let n = Int(bytes), n >= 1 else {
                throw KilnError("gradient fusion '\(text)': the bucket size must be a whole number of bytes, at least 1 (e.g. buckets:1048576)")
            }
            self = .buckets(bytes: n)
        default:
            throw KilnError("unknown gradient fusion '\(text)'; use flat, per-tensor, buckets or buckets:BYTES")
        }
    }

    public var description: String {
        switch self {
        case .perTensor: return "per-tensor"
        case .flat: return "flat"
        case .buckets(let bytes): return "buckets:\(bytes)"
        }
    }

    /// The bytes at which a bucket is closed.
    var bucketBytes: Int {
        switch self {
        case .perTensor: return 0
        case .flat: return Int.max
        case .buckets(let bytes): return bytes
        }
    }

    /// The indices of gradients of `types` in buckets, in the order their reductions start: from
    /// the last gradient back, a bucket closing once it holds `bucketBytes` or at a change of dtype.
    public func bucketing(_ types: [TensorType]) -> [[Int]] {
        var buckets: [[Int]] = [], current: [Int] = [], bytes = 0
        for k in types.indices.reversed() {
            if let last = current.last, types[last].dtype != types[k].dtype {
                buckets.append(current)
                (current, bytes) = ([], 0)
            }
            current.append(k)
            bytes += types[k].byteCount
            if bytes >= bucketBytes {
                buckets.append(current)
                (current, bytes) = ([], 0)
            }
        }
        if !current.isEmpty { buckets.append(current) }
        return buckets
    }
}

/// Data-parallel training over a `Communicator`: every process (rank) holds the whole model,
/// trains on its own rows of each batch, and the gradients are averaged across ranks with
/// `all_reduce` inside the compiled step, between the backward pass and the optimizer update.
///
/// With `size` ranks and a step traced for batches of `B` rows, one step consumes `size · B` rows
/// of the epoch's shuffled order (the same order on every rank): rank `r` takes rows
/// `[r·B, (r+1)·B)` of each such global batch. The update equals one step on the `size · B` rows
/// on one process, up to the order of float summation. Pass it to `Trainer` (and `Evaluator`).
public struct DataParallel {
    public let communicator: any Communicator
    public var gradientFusion: GradientFusion
    public var rank: Int { communicator.rank }
    public var size: Int { communicator.size }
    /// Whether this is rank 0, the one that prints and writes checkpoints.
    public var isRoot: Bool { communicator.rank == 0 }

    /// Installs `communicator` for `all_reduce` (`installedCommunicator`).
    public init(communicator: any Communicator, gradientFusion: GradientFusion = .flat) {
        self.communicator = communicator
        self.gradientFusion = gradientFusion
        installedCommunicator = communicator
    }

    /// The name of the constant a rank adds to the random key (`rank · 2^40`), so that dropout
    /// masks differ between ranks yet repeat from run to run.
    static let rankKeyName = "rank_key_offset"

    /// Training steps in an epoch of `rows` rows: whole global batches of `size · batchSize`.
    public func steps(rows: Int, batchSize: Int) -> Int { rows / (batchSize * size) }

    /// This rank's rows of `order`, batch after batch (`steps(...) · batchSize` of them).
    public func shard(_ order: [Int], batchSize: Int) -> [Int] {
        var rows: [Int] = []
        let global = batchSize * size
        for s in 0..<steps(rows: order.count, batchSize: batchSize) {
            let start = s * global + rank * batchSize
            rows += order[start..<(start + batchSize)]
        }
        return rows
    }

    /// The mean of `grads` over the ranks, emitted into `trace` as `gradientFusion` says.
    func allReduce(_ grads: [Tensor], in trace: Trace) throws -> [Tensor] {
        let b = trace.builder
        var values: [Value] = []
        for g in grads { values.append(try trace.value(of: g)) }
        var means: [Value?] = Array(repeating: nil, count: values.count)
        for bucket in gradientFusion.bucketing(values.map { b.type(of: $0) }) {
            let members = bucket.map { values[$0] }
            for (k, mean) in zip(bucket, try meanOfBucket(members, b)) { means[k] = mean }
        }
        return try means.map { mean in
            guard let mean else { throw KilnError.internal("a gradient in no all-reduce bucket") }
            return Tensor(traced: mean, in: trace)
        }
    }

    /// The mean over the ranks of `values` (one dtype): one `all_reduce` of them flattened and
    /// concatenated, sliced back into their shapes.
    private func meanOfBucket(_ values: [Value], _ b: FunctionBuilder) throws -> [Value] {
        if values.count == 1 { return [try b.emit(.allReduce(.mean), values, name: "grad_mean")] }
        let counts = values.map { b.type(of: $0).count }
        var flat: [Value] = []
        for (v, n) in zip(values, counts) { flat.append(try b.emit(.reshape(shape: [n]), [v])) }
        let mean = try b.emit(.allReduce(.mean), [try b.emit(.concatenate(axis: 0), flat)], name: "grad_mean")
        var out: [Value] = [], offset = 0
        for (v, n) in zip(values, counts) {
            let piece = try b.emit(.slice(start: [offset], limit: [offset + n], stride: [1]), [mean])
            out.append(try b.emit(.reshape(shape: b.type(of: v).shape), [piece]))
            offset += n
        }
        return out
    }

    /// `key` plus `rank · 2^40`, so each rank draws other random numbers for the same step.
    func rankKey(_ key: Tensor, in trace: Trace) throws(KilnError) -> Tensor {
        let b = trace.builder
        let k = try trace.value(of: key)
        let offset = try b.emit(.constant(.splat(Scalar.int(Int64(rank) << 40).cast(to: b.type(of: k).dtype)), b.type(of: k)), [],
                                name: Self.rankKeyName)
        return Tensor(traced: try b.emit(.binary(.add), [k, offset]), in: trace)
    }

    /// Checks that every rank traced the same step (IR and shapes), then gives every rank rank 0's
    /// parameters, optimizer state, buffers and step count. Every rank must call it together.
    public func synchronize(_ trainer: Trainer) throws {
        guard let step = trainer.tracedStep else {
            throw KilnError("data-parallel training needs a traced step; use the compiled or interpreted mode, not eager")
        }
        try checkSameProgram(stepText(step.function), what: "training step")
        for t in trainer.parameters.map(\.value) + trainer.states.flatMap({ $0 }) + trainer.buffers.map(\.value) {
            try communicator.broadcast(t.data, byteCount: t.type.byteCount, root: 0)
        }
        let count = try broadcast(Int64(trainer.stepCount))
        try trainer.restore(states: trainer.states, stepCount: Int(count))
    }

    /// The step's text with the rank's key offset written as rank 0's, which is what every rank
    /// must agree on.
    func stepText(_ f: Function) -> String {
        printFunction(f).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.contains("%\(Self.rankKeyName) = ") ? "  %\(Self.rankKeyName) = (per rank)" : String(line)
        }.joined(separator: "\n")
    }

    /// Throws on every rank unless `text` is the same on all of them; the ranks that differ name
    /// the first line where they differ from rank 0.
    func checkSameProgram(_ text: String, what: String) throws {
        let bytes = Array(text.utf8)
        let length = Int(try broadcast(Int64(bytes.count)))
        let buffer = try HostTensor(zeros: TensorType(.bool, [length]))
        if isRoot { buffer.data.copyMemory(from: bytes, byteCount: length) }
        try communicator.broadcast(buffer.data, byteCount: length, root: 0)
        let root = Array(UnsafeRawBufferPointer(start: buffer.data, count: length))
        let differs = root != bytes
        let flag = try sum([differs ? 1 : 0])
        guard flag[0] > 0 else { return }
        if !differs {
            throw KilnError("\(Int(flag[0])) of \(size) ranks traced another \(what) than rank \(rank): their errors name the difference; " +
                            "start every rank with the same model, batch size and options")
        }
        let mine = text.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = String(decoding: root, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(mine, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(mine.count, theirs.count)
        let rootLine = line < theirs.count ? String(theirs[line]) : "(end)"
        let myLine = line < mine.count ? String(mine[line]) : "(end)"
        throw KilnError("rank \(rank) traced another \(what) than rank 0: line \(line + 1) is " +
                        "`\(rootLine.drop { $0 == " " })` on rank 0 but `\(myLine.drop { $0 == " " })` here; " +
                        "start every rank with the same model, batch size and options")
    }

    /// Rank 0's `value`, on every rank.
    func broadcast(_ value: Int64) throws(KilnError) -> Int64 {
        let t = try HostTensor(TensorType(.i64, []), doubles: [Double(value)])
        try communicator.broadcast(t.data, byteCount: 8, root: 0)
        return t.data.load(as: Int64.self)
    }

    /// `values` (f64) summed over the ranks.
    func sum(_ values: [Double]) throws(KilnError) -> [Double] {
        let t = try HostTensor(TensorType(.f64, [values.count]), doubles: values)
        try communicator.allReduceSum(t.data, count: values.count, dtype: .f64)
        return (0..<values.count).map { t[$0].asDouble }
    }
}
