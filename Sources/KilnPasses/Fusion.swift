import KilnIR

/// `fuse`: groups elementwise instructions (unary, binary, `compare`, `select`, `convert`) of one
/// iteration shape into `fused` kernels, which code generation writes as one loop each.
///
/// Row-wise composites join too: a `reduce_sum`/`reduce_max`/`reduce_min` over the last axis of a
/// group's shape (or of a value from outside, starting a group), the elementwise instructions on
/// the reduced rows, and the `broadcast_in_dim` of such a row value back over the rows (`dims`
/// the leading axes). Code generation writes such a kernel as one loop over rows, each row
/// making one pass over its elements per reduction depth.
///
/// A `matmul` whose result only an elementwise kernel of its shape reads joins that kernel as its
/// first instruction (the kernel then calls gemm into an output and runs its loop over it), when
/// the kernel yields a value of the product's type and the product reads none of its values.
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
        var fusedAway = [Bool](repeating: false, count: f.body.count)
        for g in groups {
            guard let last = g.members.last else { continue }
            kernelAt[last] = g.kernel(in: f)
            for m in g.members { fusedAway[m] = true }
        }
        f.body = f.body.indices.compactMap { i in kernelAt[i] ?? (fusedAway[i] ? nil : f.body[i]) }
        f.compactValueTable()
        _ = try DeadCodeElimination().run(on: &f)
        return true
    }
}

/// One group of the fusion pass: member instruction indices (increasing) and the indices of the
/// layout and constant instructions copied into it.
private struct FusionGroup {
    var shape: [Int]
    /// The shape of the rows' values once the group reduces over the last axis of `shape`.
    var rowShape: [Int]?
    var members: [Int]
    var copies: Set<Int> = []
    /// The member results read outside the group or returned, in order.
    var yields: [Value] = []
    /// The distinct values the members read that none of them computes.
    var inputs: Set<Value> = []
    /// Whether an instruction outside the group already reads one of its values, so that no later
    /// instruction may join (the kernel would stand after that reader).
    var sealed = false

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
    /// The group of each instruction index (`f.body.count`, the return, has none).
    private var groupOf: [Int?]

    init(_ f: Function) {
        self.f = f
        producer = Array(repeating: nil, count: f.values.count)
        readers = Array(repeating: [], count: f.values.count)
        groupOf = Array(repeating: nil, count: f.body.count + 1)
        for (i, inst) in f.body.enumerated() {
            for v in inst.results { producer[v.id] = i }
            for v in inst.operands where readers[v.id].last != i { readers[v.id].append(i) }
        }
        for v in f.results { readers[v.id].append(f.body.count) }
        for (i, inst) in f.body.enumerated() {
            if inst.op.family == .elementwise {
                add(i, shape: f.type(of: inst.results[0]).shape)
            } else if case .reduce(_, let axes) = inst.op {
                addReduction(i, axes: axes)
            } else if case .broadcastInDim(_, let dims) = inst.op {
                addRowBroadcast(i, dims: dims)
            }
            sealGroups(readBy: i)
        }
        for g in groups.indices {
            groups[g].yields = groups[g].members.flatMap { f.body[$0].results }.filter { v in
                readers[v.id].contains { groupOf[$0] != g }
            }
            if groups[g].savesMemoryTraffic && groups[g].rowShape == nil { attachMatmul(g) }
        }
    }

    /// A `matmul` whose result only group `g` reads, over `g`'s shape, joins `g` (its epilogue)
    /// when `g` yields a value of the product's type to compute it into, and reads none of `g`'s
    /// values or copies.
    private mutating func attachMatmul(_ g: Int) {
        let group = groups[g]
        let inside = Set(group.members).union(group.copies)
        var tried: Set<Value> = []
        for v in group.members.flatMap({ f.body[$0].operands }) where tried.insert(v).inserted {
            guard let p = producer[v.id], case .matmul = f.body[p].op, !inside.contains(p),
                  readers[v.id].allSatisfy({ groupOf[$0] == g }), f.type(of: v).shape == group.shape,
                  group.yields.contains(where: { f.type(of: $0) == f.type(of: v) }),
                  f.body[p].operands.allSatisfy({ producer[$0.id].map { !inside.contains($0) } ?? true }),
                  inputCount(of: g, adding: p) <= Fusion.maxInputs else { continue }
            join(g, p)
            groups[g].members.sort()
            return
        }
    }

    private mutating func add(_ i: Int, shape: [Int]) {
        let inst = f.body[i]
        let candidates = inst.operands.compactMap { v in producer[v.id].flatMap { groupOf[$0] } }
        let g: Int
        let fitting = candidates.filter { groups[$0].shape == shape || groups[$0].rowShape == shape }
        if let joinable = fitting.first(where: { canJoin($0, i) }) {
            g = joinable
        } else {
            g = groups.count
            groups.append(FusionGroup(shape: shape, members: []))
        }
        join(g, i)
        addCopies(of: i)
    }

    /// A reduction over the last axis joins the group of its operand when that group iterates over
    /// the operand's shape (and reduces over the same axis, if it does); else it starts a group.
    private mutating func addReduction(_ i: Int, axes: [Int]) {
        guard let x = f.body[i].operands.first else { return }
        let shape = f.type(of: x).shape
        guard axes == [shape.count - 1] else { return }
        let rowShape = Array(shape.dropLast())
        let g: Int
        if let p = producer[x.id], let joinable = groupOf[p], groups[joinable].shape == shape,
           groups[joinable].rowShape ?? rowShape == rowShape, canJoin(joinable, i) {
            g = joinable
            groups[g].rowShape = rowShape
        } else {
            g = groups.count
            groups.append(FusionGroup(shape: shape, rowShape: rowShape, members: []))
        }
        join(g, i)
        addCopies(of: i)
    }

    /// A `broadcast_in_dim` of a row value of a group back over that group's rows joins it.
    private mutating func addRowBroadcast(_ i: Int, dims: [Int]) {
        let inst = f.body[i]
        guard let x = inst.operands.first, let p = producer[x.id], let g = groupOf[p],
              let rowShape = groups[g].rowShape, f.type(of: x).shape == rowShape,
              dims == Array(rowShape.indices), f.type(of: inst.results[0]).shape == groups[g].shape,
              canJoin(g, i) else { return }
        join(g, i)
    }

    /// Makes `i` a member of group `g`.
    private mutating func join(_ g: Int, _ i: Int) {
        let inst = f.body[i]
        for v in inst.results { groups[g].inputs.remove(v) }
        for v in inst.operands where !isMember(producer[v.id], of: g) { groups[g].inputs.insert(v) }
        groups[g].members.append(i)
        groupOf[i] = g
    }

    /// Seals the groups whose values `i` reads without being their member.
    private mutating func sealGroups(readBy i: Int) {
        for v in f.body[i].operands {
            guard let p = producer[v.id], let g = groupOf[p], groupOf[i] != g else { continue }
            groups[g].sealed = true
        }
    }

    private func isMember(_ i: Int?, of g: Int) -> Bool {
        i.map { groupOf[$0] == g } ?? false
    }

    /// Records the copyable producers of `i`'s operands as copies into `i`'s group.
    private mutating func addCopies(of i: Int) {
        guard let g = groupOf[i] else { return }
        for v in f.body[i].operands {
            guard let p = producer[v.id], groupOf[p] == nil, isCopyable(f.body[p], into: g) else { continue }
            groups[g].copies.insert(p)
        }
    }

    /// Whether `i` may join group `g`: no value of `g` is read outside it before `i` (instructions
    /// are visited in order, so that is `sealed`), and the kernel keeps at most
    /// `Fusion.maxInputs` input streams.
    private func canJoin(_ g: Int, _ i: Int) -> Bool {
        !groups[g].sealed && inputCount(of: g, adding: i) <= Fusion.maxInputs
    }

    /// The number of distinct values group `g` would read from outside with `i` as a member (an
    /// instruction that joins has at most three operands).
    private func inputCount(of g: Int, adding i: Int) -> Int {
        let inputs = groups[g].inputs
        let inst = f.body[i]
        var count = inputs.count
        for (k, v) in inst.operands.enumerated() where !inst.operands[..<k].contains(v) {
            if !inputs.contains(v) && !isMember(producer[v.id], of: g) { count += 1 }
        }
        for v in inst.results where inputs.contains(v) { count -= 1 }
        return count
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

