import KilnIR

/// `f` with every `all_reduce` moved up to just after the instruction that completes its
/// operand, together with the `reshape`s and `concatenate`s that only feed it (a bucket of
/// gradients flattened and joined): compiled code starts a reduction where it stands and waits
/// on it just before its first reader, so the instructions in between overlap the communication.
/// Every other instruction keeps its order; reductions that become ready together keep theirs
/// (every process starts them in the same order).
public func startingReductionsEarly(_ f: Function) -> Function {
    var readers = [Int](repeating: 0, count: f.values.count)
    var early = Set<Int>()
    for v in f.results { readers[v.id] += 1 }
    for inst in f.body { for v in inst.operands { readers[v.id] += 1 } }
    // Backwards: an instruction moves with the reductions when every reader of its results does.
    var earlyReads = [Int](repeating: 0, count: f.values.count)
    for index in f.body.indices.reversed() {
        let inst = f.body[index]
        let joins = [OpKind.reshape, .concatenate].contains(inst.op.kind)
            && inst.results.allSatisfy { readers[$0.id] > 0 && earlyReads[$0.id] == readers[$0.id] }
        guard inst.op.kind == .allReduce || joins else { continue }
        early.insert(index)
        for v in inst.operands { earlyReads[v.id] += 1 }
    }
    guard !early.isEmpty else { return f }

    var defined = [Bool](repeating: false, count: f.values.count)
    for p in f.params { defined[p.id] = true }
    var waiting = f.body.indices.filter { early.contains($0) }
    var body: [Instruction] = []
    func place(_ inst: Instruction) {
        body.append(inst)
        for v in inst.results { defined[v.id] = true }
    }
    func placeReady() {
        while let k = waiting.firstIndex(where: { f.body[$0].operands.allSatisfy { defined[$0.id] } }) {
            place(f.body[waiting.remove(at: k)])
        }
    }
    placeReady()
    for (index, inst) in f.body.enumerated() where !early.contains(index) {
        place(inst)
        placeReady()
    }
    var scheduled = f
    scheduled.body = body
    return scheduled
}
