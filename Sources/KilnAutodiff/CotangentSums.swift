import KilnIR

/// The cotangents of the backward pass while `grad` collects them, keyed by the values of the
/// function being differentiated.
///
/// Contributions are added up as they come, except two kinds, which wait until the value's
/// cotangent is read (at its producer, or at the end for a parameter) when the value has at
/// least two uses of that kind:
/// - *slice pieces*: the cotangents of unit-stride `slice`s of the value. When they cover
///   disjoint ranges of one axis they are assembled by one `concatenate` (zeros in the gaps)
///   instead of a zero-padded full-size copy per slice added up; an unrolled recurrence slicing
///   its per-step inputs out of one tensor, or an LSTM slicing its four gates, gets one tensor.
/// - *products*: rank-2 `matmul` contributions with the same transpose flags (a weight shared by
///   the steps of a recurrence). Their sum is one `matmul` of the operands concatenated along the
///   contracted axis, in program order: one large product instead of one small product per use
///   and a chain of `add`s. This sums in another order, within the usual bound of a product
///   with the total contracted length.
struct CotangentSums {
    private var done: ValueMap
    private var pending: [Int: Pending] = [:]
    private let collectsPieces: [Bool]
    private let collectsProducts: [Bool]

    private struct Pending {
        var sum: Value?
        var pieces: [(start: [Int], value: Value)] = []
        var products: [Product] = []
    }

    private struct Product {
        var transposeA: Bool, transposeB: Bool
        var lhs: Value, rhs: Value
    }

    /// Sums for the values of `f`; `active` flags the values that get a cotangent.
    init(_ f: Function, active: [Bool]) {
        done = ValueMap(count: f.values.count)
        var slices = [Int](repeating: 0, count: f.values.count)
        var products = [Int](repeating: 0, count: f.values.count)
        for inst in f.body where active[inst.results[0].id] {
            switch inst.op {
            case let .slice(_, _, stride) where stride.allSatisfy({ $0 == 1 }):
                slices[inst.operands[0].id] += 1
            case .matmul where inst.operands.allSatisfy({ f.type(of: $0).rank == 2 }):
                for v in inst.operands where active[v.id] { products[v.id] += 1 }
            default:
                break
            }
        }
        collectsPieces = slices.map { $0 >= 2 }
        collectsProducts = products.map { $0 >= 2 }
    }

    /// The cotangents read so far (for naming).
    var settled: ValueMap { done }

    /// Whether the cotangent of `v` through a unit-stride slice waits to be assembled.
    func collectsPieces(of v: Value) -> Bool { collectsPieces[v.id] }

    /// Whether the rank-2 product contributions to `v` wait to be summed as one product.
    func collectsProducts(of v: Value) -> Bool { collectsProducts[v.id] }

    /// Adds `contribution` to the cotangent of `v`.
    mutating func add<E: GradientEmitter>(_ contribution: Value, to v: Value, _ e: E) throws(KilnError)
    where E.Handle == Value {
        if collectsPieces[v.id] || collectsProducts[v.id] {
            let sum = pending[v.id]?.sum
            pending[v.id, default: Pending()].sum = try sum.map { s throws(KilnError) in try e.add(s, contribution) } ?? contribution
        } else {
            done[v] = try done[v].map { s throws(KilnError) in try e.add(s, contribution) } ?? contribution
        }
    }

    /// Records `piece`, the cotangent of `slice(v) {start}` with unit strides.
    mutating func addPiece(_ piece: Value, start: [Int], to v: Value) {
        pending[v.id, default: Pending()].pieces.append((start, piece))
    }

    /// Records the contribution `matmul(lhs, rhs) {transposeA, transposeB}` (rank 2) to `v`.
    mutating func addProduct(transposeA: Bool, transposeB: Bool, _ lhs: Value, _ rhs: Value, to v: Value) {
        pending[v.id, default: Pending()].products.append(Product(transposeA: transposeA, transposeB: transposeB,
                                                                  lhs: lhs, rhs: rhs))
    }

    /// The cotangent of `v` (of `type`), nil when nothing contributed; waiting contributions are
    /// emitted now: the ordinary sum, plus the products, plus the assembled pieces.
    mutating func take<E: GradientEmitter>(_ v: Value, _ type: TensorType, _ e: E) throws(KilnError) -> Value?
    where E.Handle == Value {
        guard let p = pending.removeValue(forKey: v.id) else { return done[v] }
        var terms = p.sum.map { [$0] } ?? []
        terms += try productSums(p.products, e)
        terms += try assembled(p.pieces, shape: type.shape, e)
        var total = terms.first
        for t in terms.dropFirst() { total = try e.add(total ?? t, t) }
        done[v] = total
        return total
    }

    /// One product per set of transpose flags, over the operands concatenated along the
    /// contracted axis (the contributions arrive last use first; they are concatenated first use
    /// first).
    private func productSums<E: GradientEmitter>(_ products: [Product], _ e: E) throws(KilnError) -> [Value]
    where E.Handle == Value {
        var flags: [(Bool, Bool)] = []
        for q in products where !flags.contains(where: { $0 == (q.transposeA, q.transposeB) }) {
            flags.append((q.transposeA, q.transposeB))
        }
        return try flags.map { (ta, tb) throws(KilnError) in
            let group = products.filter { $0.transposeA == ta && $0.transposeB == tb }.reversed()
            let lhs = try concatenated(group.map(\.lhs), axis: ta ? 0 : 1, e)
            let rhs = try concatenated(group.map(\.rhs), axis: tb ? 1 : 0, e)
            return try e.emit(.matmul(transposeA: ta, transposeB: tb), [lhs, rhs])
        }
    }

    /// The cotangent of a tensor of `shape` from the cotangents of its slices: pieces with the
    /// same start added first, then one `concatenate` along the axis they split when they cover
    /// disjoint ranges of it (zeros in the gaps), or else each piece zero-padded to `shape`.
    private func assembled<E: GradientEmitter>(_ pieces: [(start: [Int], value: Value)], shape: [Int],
                                               _ e: E) throws(KilnError) -> [Value] where E.Handle == Value {
        var groups: [(start: [Int], value: Value)] = []
        for piece in pieces {
            if let k = groups.firstIndex(where: { $0.start == piece.start }) {
                groups[k].value = try e.add(groups[k].value, piece.value)
            } else {
                groups.append(piece)
            }
        }
        let split = shape.indices.filter { axis in groups.contains { e.type(of: $0.value).shape[axis] != shape[axis] } }
        if groups.count >= 2, split.count == 1, let axis = split.first,
           let parts = try tiling(groups.sorted { $0.start[axis] < $1.start[axis] }, axis: axis, extent: shape[axis], e) {
            return [try concatenated(parts, axis: axis, e)]
        }
        return try groups.map { g throws(KilnError) in
            try slicePullback(start: g.start, stride: shape.map { _ in 1 }, shape: shape, g.value, e)
        }
    }

    /// The pieces, sorted along `axis`, with zeros in the gaps up to `extent`; nil when two overlap.
    private func tiling<E: GradientEmitter>(_ sorted: [(start: [Int], value: Value)], axis: Int, extent: Int,
                                            _ e: E) throws(KilnError) -> [Value]? where E.Handle == Value {
        var parts: [Value] = []
        var end = 0
        for g in sorted {
            let begin = g.start[axis]
            guard begin >= end else { return nil }
            if begin > end { parts.append(try gap(end..<begin, axis: axis, like: g.value, e)) }
            parts.append(g.value)
            end = begin + e.type(of: g.value).shape[axis]
        }
        if end < extent, let last = sorted.last { parts.append(try gap(end..<extent, axis: axis, like: last.value, e)) }
        return parts
    }

    /// Zeros filling `range` of `axis` beside pieces shaped like `piece`.
    private func gap<E: GradientEmitter>(_ range: Range<Int>, axis: Int, like piece: Value, _ e: E) throws(KilnError) -> Value
    where E.Handle == Value {
        var type = e.type(of: piece)
        type.shape[axis] = range.count
        return try e.constant(0, type)
    }

    private func concatenated<E: GradientEmitter>(_ parts: [Value], axis: Int, _ e: E) throws(KilnError) -> Value
    where E.Handle == Value {
        parts.count == 1 ? parts[0] : try e.emit(.concatenate(axis: axis), parts)
    }
}
