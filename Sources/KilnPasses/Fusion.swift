import KilnIR

/// `fuse`: groups elementwise instructions (unary, binary, `compare`, `select`, `convert`) of one
/// iteration shape into `fused` kernels, which code generation writes as one loop each.
///
/// Instructions are visited in order; an elementwise instruction joins the group of the first
/// operand producer that has its shape, as long as no value of that group is read by an
/// instruction outside it placed before this one (the fused kernel stands where its last member
/// stood, so every outside reader must come after it). The `broadcast_in_dim` and `transpose`
/// of values from outside the group, and splat constants, that feed a member are copied
/// into the kernel (they become index arithmetic and literals); the originals stay only while
/// something else reads them. A member value read outside the kernel (or returned) is yielded.
/// A group becomes a kernel only when that saves a pass over memory: two members or more, or one
/// member reading a copied broadcast, transpose or constant. A kernel reads at most `maxInputs`
/// tensors.
public struct Fusion: Pass {
    public let name = "fuse"

    /// The most input tensors one kernel reads: a loop streaming from more arrays at once (a sum of
    /// 32 per-step gradients, say) runs slower than several loops over fewer, cache-resident ones.
    public static let maxInputs = 8

    public init() {}

    public func run(on f: inout Function) throws(KilnError) -> Bool {
        let groups = FusionGroups(f).groups.filter(\.savesMemoryTraffic)
        guard !groups.isEmpty else { return false }
        var kernelAt: [Int: Instruction] = [:]
        var fusedAway: Set<Int> = []
        for g in groups {
            guard let last = g.members.last else { continue }
            kernelAt[last] = g.kernel(in: f)
            fusedAway.formUnion(g.members)
        }
        f.body = f.body.indices.compactMap { i in kernelAt[i] ?? (fusedAway.contains(i) ? nil : f.body[i]) }
        f.compactValueTable()
        _ = try DeadCodeElimination().run(on: &f)
        return true
    }
}

/// One group of the fusion pass: member instruction indices (increasing) and the indices of the
/// layout and constant instructions copied into it.
private struct FusionGroup {
    var shape: [Int]
    var members: [Int]
    var copies: Set<Int> = []
    /// The member results read outside the group or returned, in order.
    var yields: [Value] = []

    var savesMemoryTraffic: Bool { members.count >= 2 || !copies.isEmpty }

    /// The `fused` instruction computing the group in `f`: copies and members in their order,
    /// over block arguments for the values from outside.
    func kernel(in f: Function) -> Instruction {
        let order = (members + copies).sorted()
        var values: [ValueInfo] = []
        var inner: [Value: Value] = [:]
        var operands: [Value] = []
        func define(_ v: Value) -> Value {
            values.append(f.values[v.id])
            let w = Value(values.count - 1)
            inner[v] = w
            return w
        }
        let defined = Set(order.flatMap { f.body[$0].results })
        var seen: Set<Value> = []
        for i in order {
            for v in f.body[i].operands where !defined.contains(v) && seen.insert(v).inserted { operands.append(v) }
        }
        let params = operands.map(define)
        var body: [Instruction] = []
        for i in order {
            let inst = f.body[i]
            let innerOperands = inst.operands.map { inner[$0] ?? $0 }
            body.append(Instruction(op: inst.op, operands: innerOperands, results: inst.results.map(define),
                                    location: inst.location))
        }
        let results = yields.map { inner[$0] ?? $0 }
        let kernel = Function(name: "fused", params: params, values: values, body: body, results: results,
                              resultTypes: yields.map(f.type(of:)))
        return Instruction(op: .fused(kernel), operands: operands, results: yields,
                           location: members.last.flatMap { f.body[$0].location })
    }
}

/// The greedy grouping of a function's instructions (see `Fusion`).
private struct FusionGroups {
    private(set) var groups: [FusionGroup] = []
    private let f: Function
    private var producer: [Int?]
    /// Indices of the instructions reading each value; `f.body.count` for a returned value.
    private var readers: [[Int]]
    private var groupOf: [Int: Int] = [:]

    init(_ f: Function) {
        self.f = f
        producer = Array(repeating: nil, count: f.values.count)
        readers = Array(repeating: [], count: f.values.count)
        for (i, inst) in f.body.enumerated() {
            for v in inst.results { producer[v.id] = i }
            for v in Set(inst.operands) { readers[v.id].append(i) }
        }
        for v in f.results { readers[v.id].append(f.body.count) }
        for (i, inst) in f.body.enumerated() where inst.op.isFusibleElementwise {
            add(i, shape: f.type(of: inst.results[0]).shape)
        }
        for g in groups.indices {
            groups[g].yields = groups[g].members.flatMap { f.body[$0].results }.filter { v in
                readers[v.id].contains { groupOf[$0] != g }
            }
        }
    }

    private mutating func add(_ i: Int, shape: [Int]) {
        let inst = f.body[i]
        let candidates = inst.operands.compactMap { v in producer[v.id].flatMap { groupOf[$0] } }
        let g: Int
        if let joinable = candidates.first(where: { groups[$0].shape == shape && canJoin($0, i) }) {
            g = joinable
            groups[g].members.append(i)
        } else {
            g = groups.count
            groups.append(FusionGroup(shape: shape, members: [i]))
        }
        groupOf[i] = g
        for v in inst.operands {
            guard let p = producer[v.id], groupOf[p] == nil, isCopyable(f.body[p], into: g) else { continue }
            groups[g].copies.insert(p)
        }
    }

    /// Whether `i` may join group `g`: no value of `g` is read outside it before `i`, and the
    /// kernel keeps at most `Fusion.maxInputs` input streams.
    private func canJoin(_ g: Int, _ i: Int) -> Bool {
        let ordered = groups[g].members.allSatisfy { m in
            f.body[m].results.allSatisfy { v in readers[v.id].allSatisfy { $0 > i || $0 == i || groupOf[$0] == g } }
        }
        return ordered && inputCount(of: groups[g].members + [i]) <= Fusion.maxInputs
    }

    /// The distinct values `members` read that none of them computes.
    private func inputCount(of members: [Int]) -> Int {
        let defined = Set(members.flatMap { f.body[$0].results })
        return Set(members.flatMap { f.body[$0].operands }).subtracting(defined).count
    }

    /// Splat constants, and broadcasts and transposes whose operand comes from outside group `g`
    /// (a `reshape` is no copy to save: it shares its operand's storage).
    private func isCopyable(_ inst: Instruction, into g: Int) -> Bool {
        switch inst.op {
        case .constant(.splat, _):
            return true
        case .broadcastInDim, .transpose:
            return inst.operands.allSatisfy { v in producer[v.id].map { groupOf[$0] != g } ?? true }
        default:
            return false
        }
    }
}

extension Op {
    /// Ops the fusion pass groups: one result element from the operand elements at the same index.
    var isFusibleElementwise: Bool {
        switch self {
        case .unary, .binary, .compare, .select, .convert: return true
        default: return false
        }
    }
}
