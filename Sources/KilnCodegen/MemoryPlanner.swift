import KilnIR

/// Where a value's elements live while the entry point runs.
public enum StorageLocation: Hashable, Sendable {
    /// The caller's input buffer `args[i]`.
    case input(Int)
    /// The caller's output buffer for result `k` (`args[inputs + k]`).
    case output(Int)
    /// `arena + offset`.
    case arena(offset: Int)
    /// A `static const` array of the translation unit (a dense constant).
    case constant(Value)
}

/// One arena buffer and the stretch of the body during which it holds live data.
public struct PlannedBuffer: Hashable, Sendable {
    /// What a buffer holds: a value, or the scratch of the instruction computing a value.
    public enum Content: Hashable, Sendable {
        case value(Value)
        case scratch(of: Value)
    }

    public var content: Content
    /// Index of the instruction that writes the buffer.
    public var first: Int
    /// Index of the last instruction that reads it; the body's length for the final copies.
    public var last: Int
    /// Byte offset in the arena, a multiple of `MemoryPlan.alignment`.
    public var offset: Int
    public var bytes: Int

    /// Whether the two buffers hold live data at a common instruction.
    public func livesWith(_ other: PlannedBuffer) -> Bool {
        first <= other.last && other.first <= last
    }
}

/// A copy into a caller's output buffer after the body ran: for a result that is a parameter or a
/// constant, or a value returned more than once.
public struct FinalCopy: Hashable, Sendable {
    public var output: Int
    public var source: StorageLocation
    public var bytes: Int
}

/// The storage of every value of a function: caller-owned buffers for parameters and results,
/// one arena for everything else.
///
/// A value returned by the function is computed straight into the caller's output buffer. A
/// `reshape` that is not returned is an alias of its operand (same bytes, same row-major order;
/// no op writes into its operands, so sharing is always safe) and extends the operand's lifetime.
/// An `all_reduce` result is written by the communicator from its instruction until compiled
/// code waits on it, before the first instruction that reads it (through reshapes) or at the end
/// of the body: its buffer lives at least that long (`reductionWaits`).
/// Arena offsets come from the buffers' lifetimes: two buffers share bytes only when their
/// lifetimes are disjoint (greedy placement, largest buffers first, lowest fitting offset).
public struct MemoryPlan: Hashable, Sendable {
    /// Alignment of every arena offset, in bytes.
    public static let alignment = 64

    public var locations: [Value: StorageLocation]
    /// The `reshape` results that share their operand's storage (no code runs for them).
    public var aliases: Set<Value>
    /// Arena offset of the scratch of the instruction at each index that needs scratch.
    public var scratchOffsets: [Int: Int]
    public var buffers: [PlannedBuffer]
    public var finalCopies: [FinalCopy]
    /// For each `all_reduce` result, the index of the instruction before which compiled code waits
    /// for the reduction: its first reader, or the body's length (after the last instruction).
    public var reductionWaits: [Value: Int]
    /// Bytes of arena the function needs: the highest end of any buffer.
    public var peakBytes: Int

    public func location(of value: Value) -> StorageLocation? { locations[value] }
}

/// Plans the storage of `f`; `scratchBytes[i]` is the scratch the instruction at index `i` needs.
public func planMemory(_ f: Function, scratchBytes: [Int] = []) -> MemoryPlan {
    var firstReturn: [Value: Int] = [:]
    for (k, v) in f.results.enumerated() where firstReturn[v] == nil { firstReturn[v] = k }
    var locations: [Value: StorageLocation] = [:]
    var aliases: Set<Value> = []
    for (i, p) in f.params.enumerated() { locations[p] = .input(i) }

    // Arena values: each value's owning buffer (itself, or the buffer a reshape aliases).
    var owner: [Value: Value] = [:]
    var first: [Value: Int] = [:], last: [Value: Int] = [:]
    func read(_ v: Value, at index: Int) {
        if let o = owner[v] { last[o] = max(last[o] ?? index, index) }
    }
    // The all_reduce each value is (or reshapes), until something reads it.
    var reductionOf: [Value: Value] = [:], reductionWaits: [Value: Int] = [:]
    for (index, inst) in f.body.enumerated() {
        for operand in inst.operands { read(operand, at: index) }
        let isAlias: Bool
        if case .reshape = inst.op, let v = inst.results.first { isAlias = firstReturn[v] == nil } else { isAlias = false }
        for operand in inst.operands {
            guard let r = reductionOf[operand] else { continue }
            if isAlias, let v = inst.results.first { reductionOf[v] = r } else { reductionWaits[r] = reductionWaits[r] ?? index }
        }
        if case .allReduce = inst.op, let v = inst.results.first { reductionOf[v] = v }
        for v in inst.results {
            if case .constant(.dense, _) = inst.op {
                locations[v] = .constant(v)
            } else if let k = firstReturn[v] {
                locations[v] = .output(k)
            } else if case .reshape = inst.op, let x = inst.operands.first {
                aliases.insert(v)
                if let o = owner[x] { owner[v] = o } else { locations[v] = locations[x] }
            } else {
                owner[v] = v
                first[v] = index
                last[v] = index
            }
        }
    }

    let copied = f.results.enumerated().filter { locations[$0.element] != .output($0.offset) }
    for (_, v) in copied { read(v, at: f.body.count) }
    for r in Set(reductionOf.values) {
        let wait = reductionWaits[r] ?? f.body.count
        reductionWaits[r] = wait
        read(r, at: wait)
    }

    var buffers: [PlannedBuffer] = []
    for (index, inst) in f.body.enumerated() {
        guard let v = inst.results.first else { continue }
        for r in inst.results {
            let bytes = f.type(of: r).byteCount
            if owner[r] == r, bytes > 0, let start = first[r], let end = last[r] {
                buffers.append(PlannedBuffer(content: .value(r), first: start, last: end, offset: 0, bytes: bytes))
            }
        }
        if index < scratchBytes.count, scratchBytes[index] > 0 {
            buffers.append(PlannedBuffer(content: .scratch(of: v), first: index, last: index, offset: 0, bytes: scratchBytes[index]))
        }
    }
    buffers = placeBuffers(buffers)

    var scratchOffsets: [Int: Int] = [:]
    var offsets: [Value: Int] = [:]
    for b in buffers {
        switch b.content {
        case .value(let v): offsets[v] = b.offset
        case .scratch: scratchOffsets[b.first] = b.offset
        }
    }
    for (v, o) in owner { locations[v] = .arena(offset: offsets[o] ?? 0) }
    let finalCopies = copied.compactMap { k, v in
        locations[v].map { FinalCopy(output: k, source: $0, bytes: f.type(of: v).byteCount) }
    }
    return MemoryPlan(locations: locations, aliases: aliases, scratchOffsets: scratchOffsets, buffers: buffers,
                      finalCopies: finalCopies, reductionWaits: reductionWaits, peakBytes: buffers.map { $0.offset + $0.bytes }.max() ?? 0)
}

/// Gives each buffer the lowest aligned offset where it overlaps no buffer live at the same time,
/// placing the largest buffers first. Returns the buffers in order of their first instruction.
private func placeBuffers(_ buffers: [PlannedBuffer]) -> [PlannedBuffer] {
    let align = MemoryPlan.alignment
    var placed = buffers
    // The placed buffers live at each instruction, so conflicts are found without a full scan.
    var liveAt = [[Int]](repeating: [], count: (buffers.map(\.last).max() ?? -1) + 1)
    let order = buffers.indices.sorted { a, b in
        (buffers[a].bytes, -buffers[a].first, -a) > (buffers[b].bytes, -buffers[b].first, -b)
    }
    for i in order {
        let (first, last) = (placed[i].first, placed[i].last)
        var conflicts = Set<Int>()
        for t in first...last { conflicts.formUnion(liveAt[t]) }
        var offset = 0
        for other in conflicts.map({ placed[$0] }).sorted(by: { $0.offset < $1.offset }) {
            if offset + placed[i].bytes <= other.offset { break }
            offset = max(offset, (other.offset + other.bytes + align - 1) / align * align)
        }
        placed[i].offset = offset
        for t in first...last { liveAt[t].append(i) }
    }
    return placed.sorted { ($0.first, $0.last, $0.offset) < ($1.first, $1.last, $1.offset) }
}
