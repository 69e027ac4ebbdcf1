import KilnCodegen
import KilnIR
import KilnRuntime
import Testing

/// Checks every promise of `planMemory` on `f` by recomputing it independently: parameters and
/// first-returned values live in the caller's buffers, unreturned reshapes alias their operand,
/// arena offsets are aligned, every buffer is live wherever its value (or an alias) is read, an
/// `all_reduce`'s buffer until its first reader (the end when none), and no two buffers live at
/// the same instruction share a byte. Returns the problems found.
func planProblems(_ f: Function, _ plan: MemoryPlan) -> [String] {
    var problems: [String] = []
    for (i, p) in f.params.enumerated() where plan.location(of: p) != .input(i) {
        problems.append("parameter \(i) is not input \(i)")
    }
    var firstReturn: [Value: Int] = [:]
    for (k, v) in f.results.enumerated() where firstReturn[v] == nil { firstReturn[v] = k }
    var bufferOf: [Value: PlannedBuffer] = [:]
    for b in plan.buffers {
        if case .value(let v) = b.content { bufferOf[v] = b }
        if b.offset % MemoryPlan.alignment != 0 { problems.append("offset \(b.offset) is not aligned") }
        if b.offset + b.bytes > plan.peakBytes { problems.append("a buffer ends beyond the peak") }
    }
    // The buffer each value's bytes live in, following reshape aliases.
    var root: [Value: Value] = [:]
    var reductions: [Value] = [], firstRead: [Value: Int] = [:]
    for (index, inst) in f.body.enumerated() {
        let v = inst.results[0]
        if case .allReduce = inst.op { reductions.append(v) }
        if let k = firstReturn[v], plan.location(of: v) != .output(k), !isDenseConstant(inst.op) {
            problems.append("%\(f.name(of: v)) is returned first as result \(k) but lives at \(String(describing: plan.location(of: v)))")
        }
        if case .reshape = inst.op, firstReturn[v] == nil {
            if plan.location(of: v) != plan.location(of: inst.operands[0]) { problems.append("reshape %\(f.name(of: v)) does not alias") }
            root[v] = root[inst.operands[0]]
        } else {
            for operand in inst.operands { if let r = root[operand], firstRead[r] == nil { firstRead[r] = index } }
            if case .arena = plan.location(of: v), f.type(of: v).byteCount > 0 {
                root[v] = v
                guard let b = bufferOf[v] else {
                    problems.append("%\(f.name(of: v)) has no buffer")
                    continue
                }
                if b.first != index { problems.append("%\(f.name(of: v))'s buffer starts at \(b.first), not \(index)") }
                if case .arena(let offset) = plan.location(of: v), offset != b.offset { problems.append("%\(f.name(of: v)) is not at its buffer") }
            }
        }
        for operand in inst.operands {
            if let r = root[operand], let b = bufferOf[r], !(b.first...b.last).contains(index) {
                problems.append("%\(f.name(of: operand)) is read at \(index) outside its buffer's life \(b.first)...\(b.last)")
            }
        }
    }
    for v in f.results {
        if let r = root[v], let b = bufferOf[r], b.last < f.body.count { problems.append("returned %\(f.name(of: v)) dies before the end") }
    }
    for r in reductions {
        if let b = bufferOf[r], b.last < firstRead[r] ?? f.body.count {
            problems.append("all_reduce %\(f.name(of: r))'s buffer dies at \(b.last), before its wait")
        }
    }
    for (i, a) in plan.buffers.enumerated() {
        for b in plan.buffers[(i + 1)...] where a.livesWith(b) && a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes {
            problems.append("live buffers overlap: \(a) and \(b)")
        }
    }
    return problems
}

private func isDenseConstant(_ op: Op) -> Bool {
    if case .constant(.dense, _) = op { return true }
    return false
}

@Suite struct MemoryPlannerTests {
    /// A chain: each intermediate lives for two instructions, so every other one reuses bytes.
    @Test func disjointLifetimesShareOffsets() throws {
        let f = try parseFunction("""
        func @chain(%x: f32[100]) -> (f32[100]) {
          %a = neg(%x) : f32[100]
          %b = exp(%a) : f32[100]
          %c = neg(%b) : f32[100]
          %d = exp(%c) : f32[100]
          %e = neg(%d) : f32[100]
          return %e
        }
        """)
        let plan = planMemory(f)
        #expect(planProblems(f, plan).isEmpty)
        #expect(plan.buffers.count == 4)
        #expect(plan.location(of: Value(1)) == plan.location(of: Value(3)))
        #expect(plan.location(of: Value(2)) == plan.location(of: Value(4)))
        #expect(plan.location(of: Value(5)) == .output(0))
        #expect(plan.peakBytes == 448 + 400)  // two buffers, the second at the next aligned offset
        #expect(plan.peakBytes < plan.buffers.map(\.bytes).reduce(0, +))
    }

    /// Values live at the same time never share bytes, even when one is read much later.
    @Test func overlappingLifetimesDoNotShare() throws {
        let f = try parseFunction("""
        func @f(%x: f64[10]) -> (f64[10]) {
          %a = neg(%x) : f64[10]
          %b = exp(%x) : f64[10]
          %c = exp(%b) : f64[10]
          %d = add(%a, %c) : f64[10]
          return %d
        }
        """)
        let plan = planMemory(f)
        #expect(planProblems(f, plan).isEmpty)
        let offsets = Set(plan.buffers.map(\.offset))
        #expect(offsets.count == 3)
    }

    /// Returned parameters and constants are copied out; a value returned twice is computed into
    /// the first output and copied to the second; an unreturned reshape aliases its operand.
    @Test func resultsAndAliases() throws {
        let f = try parseFunction("""
        func @f(%x: f32[2,3]) -> (f32[6], f32[2,3], f32[2], f32[6], f32[3,2]) {
          %c = constant() {value = dense<[1.0,2.0]>} : f32[2]
          %r = reshape(%x) {shape = [6]} : f32[6]
          %n = neg(%r) : f32[6]
          %m = reshape(%n) {shape = [3,2]} : f32[3,2]
          %e = exp(%m) : f32[3,2]
          return %n, %x, %c, %n, %e
        }
        """)
        let plan = planMemory(f)
        #expect(planProblems(f, plan).isEmpty)
        #expect(plan.aliases == [Value(2), Value(4)])
        #expect(plan.location(of: Value(2)) == .input(0))
        #expect(plan.location(of: Value(4)) == .output(0))
        #expect(plan.location(of: Value(1)) == .constant(Value(1)))
        #expect(plan.finalCopies.map(\.output) == [1, 2, 3])
        #expect(plan.finalCopies.map(\.source) == [.input(0), .constant(Value(1)), .output(0)])
        #expect(plan.finalCopies.map(\.bytes) == [24, 8, 24])
        #expect(plan.peakBytes == 0)
        let inputs = [try HostTensor([2, 3], floats: [1, 2, 3, 4, 5, 6])]
        try expectMatchesInterpreter(f, inputs)
    }

    /// Convolution scratch is a buffer of its own instruction, apart from the operands.
    @Test func scratchIsPlanned() throws {
        let f = try parseFunction("""
        func @f(%x: f32[1,2,5,5], %w: f32[3,2,3,3]) -> (f32[1,3,3,3]) {
          %y = exp(%x) : f32[1,2,5,5]
          %c = conv2d(%y, %w) : f32[1,3,3,3]
          return %c
        }
        """)
        let program = try emitC(f)
        #expect(planProblems(f, program.plan).isEmpty)
        #expect(program.plan.scratchOffsets[1] != nil)
        #expect(program.plan.buffers.contains { $0.content == .scratch(of: Value(3)) && $0.bytes == 2 * 9 * 9 * 4 })
        try expectMatchesInterpreter(f, try testInputs(f, edges: false))
    }
}
