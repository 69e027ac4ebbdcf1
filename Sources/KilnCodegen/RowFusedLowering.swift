import KilnIR

// Row-wise fused kernels (a fused body with reductions over the last axis): one loop nest over
// the rows and, in each row, two loops per reduction depth. Pass `p`'s first loop computes the
// element values of depth `p` it needs into temporaries and stores the yielded ones, those a
// later pass reads and the operands of the reductions of depth `p` into a row buffer in arena
// scratch (a yielded one is read back from its output). With no reduction in it, that loop
// vectorizes. Its second loop folds each reduction of depth `p` into one accumulator in
// row-major order, as the interpreter does, so the bits are the interpreter's. Row values
// (reduction results, elementwise ops on them, their broadcasts back over the row) are scalars
// computed between passes.

extension KernelBuilder {
    /// The kernel of a `fused(body)` that reduces over the last axis of its iteration shape.
    mutating func lowerRowFused(_ body: Function) throws(KilnError) {
        let plan = try RowPlan(body)
        let shape = plan.shape, rowShape = Array(shape.dropLast())
        let rows = collapseAxes(rowShape, plan.arrays.map { Array($0.strides.dropLast()) })
        // In parallel, the outermost loop over rows is split; each thread has its own row buffers.
        let work = shape.reduce(1, *) * body.body.reduce(1) { $0 + elementCost($1.op) }
        try parallelFor(rows.shape[0], work: work) { (k, range) throws(KilnError) in
            try k.lowerRows(plan, body, rows, range)
        }
    }

    /// The loops over the rows `range` of the outermost row axis (all rows on one thread).
    private mutating func lowerRows(_ plan: RowPlan, _ body: Function, _ rows: (shape: [Int], strides: [[Int]]),
                                    _ range: ParallelRange) throws(KilnError) {
        let shape = plan.shape
        for inst in body.body {
            if case .constant(.splat(let value), _) = inst.op, let result = inst.results.first {
                line("const \(cType(body.type(of: result).dtype)) c\(result.id) = \(scalar(value, body.type(of: result).dtype));")
            }
        }
        if plan.rowBufferBytes > 0 {
            scratchBytes = plan.rowBufferBytes * range.parts
            let base = range.parts == 1 ? "" : "\(range.part) * \(plan.rowBufferBytes) + "
            for (v, offset) in plan.rowBuffers {
                let t = cType(body.type(of: v).dtype)
                line("\(t) *r\(v.id) = (\(t) *)((char *)scratch + \(base)\(offset));")
            }
        }
        let offsets = openLoops(rows.shape, rows.strides.enumerated().map { a, s in ("q\(a)_", 0, s) }, range: (0, range))
        func at(_ array: Int, _ j: String) -> String {
            let inner = plan.arrays[array].strides[shape.count - 1]
            return element(plan.arrays[array].name, offsets[array], inner == 0 ? "0" : scaled(j, inner))
        }
        func operand(_ v: Value, pass: Int, _ j: String) throws(KilnError) -> String {
            switch try plan.source(of: v, pass: pass) {
            case .array(let a): return at(a, j)
            case .rowBuffer(let name): return "\(name)[\(j)]"
            case .expression(let e): return e
            }
        }
        for pass in 0...plan.depth {
            for inst in plan.rowInstructions where plan.stage(of: inst) == pass {
                var x: [String] = []
                for v in inst.operands { x.append(try operand(v, pass: pass, "0")) }
                line(try elementStatement(inst, body, x))
            }
            let reductions = plan.reductions.filter { plan.stage(of: $0) == pass + 1 }
            let stores = plan.elementYields.filter { plan.stage(of: $0.value) == pass }
            let buffered = plan.rowBuffers.map(\.value).filter { plan.stage(of: $0) == pass }
            guard !reductions.isEmpty || !stores.isEmpty || !buffered.isEmpty else { continue }
            let computed = plan.elementInstructions(for: plan.roots(pass), pass: pass)
            if !computed.isEmpty || !stores.isEmpty || !buffered.isEmpty {
                try indexLoop(shape[shape.count - 1], index: "j") { (k, j) throws(KilnError) in
                    var statements: [String] = []
                    for inst in computed {
                        var x: [String] = []
                        for v in inst.operands { x.append(try operand(v, pass: pass, j)) }
                        statements.append(try k.elementStatement(inst, body, x))
                    }
                    for store in stores { statements.append("\(at(store.array, j)) = \(try operand(store.value, pass: pass, j));") }
                    for v in buffered { statements.append("r\(v.id)[\(j)] = t\(v.id);") }
                    return "{ " + statements.joined(separator: " ") + " }"
                }
            }
            try foldReductions(reductions, body, count: shape[shape.count - 1]) { (v, j) throws(KilnError) in
                try operand(v, pass: pass + 1, j)
            }
        }
        for store in plan.rowYields { line("\(at(store.array, "0")) = \(try operand(store.value, pass: plan.depth, "0"));") }
        closeLoops()
    }

    /// Folds each of `reductions` over the `count` elements of its row, read through `element`,
    /// into `t<result id>`, in row-major order: one loop whose only work is the folds, so their
    /// chains interleave. A float max (min) folds with `t > x ? t : x` (`<`), one instruction,
    /// and notes whether any element is NaN; when one is, the result is the first NaN, as a fold
    /// by `kiln_max` (`kiln_min`) gives: its bits are the interpreter's either way.
    private mutating func foldReductions(_ reductions: [Instruction], _ body: Function, count: Int,
                                         _ element: (Value, String) throws(KilnError) -> String) throws(KilnError) {
        var folds: [(acc: String, op: ReduceOp, dtype: DType, x: Value)] = []
        for r in reductions {
            guard case .reduce(let op, _) = r.op else { continue }
            let dtype = body.type(of: r.results[0]).dtype
            folds.append(("t\(r.results[0].id)", op, dtype, r.operands[0]))
            line("\(cType(dtype)) t\(r.results[0].id) = \(scalar(reductionIdentity(op, dtype), dtype));")
        }
        // An empty row keeps the identities (and has no row buffers to read).
        guard !folds.isEmpty, count > 0 else { return }
        func tracksNaN(_ f: (acc: String, op: ReduceOp, dtype: DType, x: Value)) -> Bool { f.op != .sum && f.dtype.isFloat }
        for f in folds where tracksNaN(f) { line("int n\(f.acc) = 0;") }
        try indexLoop(count, index: "j") { (k, j) throws(KilnError) in
            var statements: [String] = []
            for f in folds {
                let x = try element(f.x, j)
                switch (f.op, tracksNaN(f)) {
                case (.max, true): statements.append("\(f.acc) = \(f.acc) > \(x) ? \(f.acc) : \(x); n\(f.acc) |= \(x) != \(x);")
                case (.min, true): statements.append("\(f.acc) = \(f.acc) < \(x) ? \(f.acc) : \(x); n\(f.acc) |= \(x) != \(x);")
                case (.sum, _), (.max, false), (.min, false):
                    statements.append("\(f.acc) = \(binaryExpression(f.op.combiner, f.dtype, f.acc, x, &k));")
                }
            }
            return "{ " + statements.joined(separator: " ") + " }"
        }
        for f in folds where tracksNaN(f) {
            let x = try element(f.x, "j")
            line("if (n\(f.acc)) for (long j = 0; j < \(count); j++) if (\(x) != \(x)) { \(f.acc) = \(x); break; }")
        }
    }
}

/// What a row-wise fused body reads and computes, and at which depth (the number of reductions
/// a value depends on in sequence: pass `p` computes the element values of depth `p`).
struct RowPlan {
    /// Where a pass reads a value from.
    enum Source {
        case array(Int)
        /// The row buffer of that name, indexed by the element.
        case rowBuffer(String)
        case expression(String)
    }

    let body: Function
    /// The iteration shape: the reduced operands' shape.
    let shape: [Int]
    /// The arrays the kernel reads or writes: block argument views and outputs, with one stride
    /// per axis of `shape` (the last 0 for row values).
    private(set) var arrays: [(name: String, strides: [Int])] = []
    private(set) var rowInstructions: [Instruction] = []
    private(set) var reductions: [Instruction] = []
    private(set) var elementYields: [(value: Value, array: Int)] = []
    private(set) var rowYields: [(value: Value, array: Int)] = []
    private(set) var depth = 0
    /// The element values a later pass reads and no output holds, with their byte offsets in
    /// scratch (one row each), and the bytes they take.
    private(set) var rowBuffers: [(value: Value, offset: Int)] = []
    private(set) var rowBufferBytes = 0
    private var elementwise: [Instruction] = []
    private var stages: [Value: Int] = [:]
    /// A layout op of a computed row value is that value.
    private var alias: [Value: Value] = [:]
    private var views: [Value: FusedValue] = [:]
    private var arrayOf: [Value: Int] = [:]
    private var yieldArray: [Value: Int] = [:]

    init(_ body: Function) throws(KilnError) {
        self.body = body
        guard let x = body.body.first(where: \.op.isReduction)?.operands.first,
              !body.type(of: x).shape.isEmpty else {
            throw internalError("a row-wise fused kernel without a reduction over a last axis")
        }
        shape = body.type(of: x).shape
        let rowShape = Array(shape.dropLast())
        for (k, p) in body.params.enumerated() {
            let type = body.type(of: p)
            views[p] = .view(array: "p\(k)", shape: type.shape, strides: rowMajorStrides(type.shape))
        }
        for inst in body.body {
            guard let result = inst.results.first else { continue }
            let type = body.type(of: result)
            switch inst.op {
            case .constant(.splat, _):
                views[result] = .scalar("c\(result.id)")
            case .broadcastInDim, .transpose, .reshape, .slice:
                guard let source = inst.operands.first else { continue }
                if views[source] != nil {
                    views[result] = try layoutView(inst, body, views)
                } else if case .slice = inst.op {
                    throw internalError("a row-wise fused kernel slices a computed value")
                } else {
                    alias[result] = source
                }
            case .reduce(_, let axes):
                guard let operand = inst.operands.first, body.type(of: operand).shape == shape,
                      axes == [shape.count - 1] else {
                    throw internalError("a row-wise fused kernel over \(shape) reduces over axes \(axes)")
                }
                try register(operand)
                reductions.append(inst)
            case _ where inst.op.family == .elementwise:
                for v in inst.operands { try register(v) }
                if type.shape == shape {
                    elementwise.append(inst)
                } else if type.shape == rowShape {
                    rowInstructions.append(inst)
                } else {
                    throw internalError("a row-wise fused kernel over \(shape) computes %\(body.name(of: result)) of shape \(type.shape)")
                }
            default:
                throw internalError("'\(inst.op.name)' inside a fused kernel; code generation fuses elementwise, layout and last-axis reductions only")
            }
            let stage = inst.operands.map { self.stage(of: $0) }.max() ?? 0
            stages[result] = stage + (inst.op.isReduction ? 1 : 0)
            depth = max(depth, stages[result] ?? 0)
        }
        let computed = Set(elementwise.map { $0.results[0] })
        for (v, name) in zip(body.results, outputNames(body.results.count)) {
            let valueShape = body.type(of: v).shape
            let isRow = valueShape != shape
            let strides = isRow ? rowMajorStrides(valueShape) + [0] : rowMajorStrides(shape)
            arrays.append((name, strides))
            if isRow {
                rowYields.append((v, arrays.count - 1))
            } else {
                elementYields.append((v, arrays.count - 1))
                if computed.contains(v) && yieldArray[v] == nil { yieldArray[v] = arrays.count - 1 }
            }
        }
        guard let run = shape.last, run > 0, depth > 0 else { return }
        // A computed operand of a reduction is stored, so that its fold runs in a loop of its own.
        for r in reductions where computed.contains(resolved(r.operands[0])) {
            keepInRowBuffer(resolved(r.operands[0]), run: run)
        }
        for pass in stride(from: depth, through: 1, by: -1) {
            for v in earlierValues(for: roots(pass), pass: pass) { keepInRowBuffer(v, run: run) }
        }
    }

    /// Gives `v` a row buffer of `run` elements, unless an output or a row buffer holds it already.
    private mutating func keepInRowBuffer(_ v: Value, run: Int) {
        guard yieldArray[v] == nil, !rowBuffers.contains(where: { $0.value == v }) else { return }
        rowBuffers.append((v, rowBufferBytes))
        rowBufferBytes += (run * body.type(of: v).dtype.byteSize + 7) / 8 * 8
    }

    /// What pass `pass` computes: the operands of its reductions, its yielded element values and
    /// those it keeps in row buffers.
    func roots(_ pass: Int) -> [Value] {
        reductions.filter { stage(of: $0) == pass + 1 }.map { $0.operands[0] }
            + (elementYields.map(\.value) + rowBuffers.map(\.value)).filter { stage(of: $0) == pass }
    }

    func stage(of v: Value) -> Int { stages[resolved(v)] ?? 0 }

    func stage(of inst: Instruction) -> Int { inst.results.first.map { stage(of: $0) } ?? 0 }

    private func resolved(_ v: Value) -> Value {
        var v = v
        while let source = alias[v] { v = source }
        return v
    }

    /// Makes the block argument view `v` reads (if any) an array of the kernel.
    private mutating func register(_ v: Value) throws(KilnError) {
        let v = resolved(v)
        guard arrayOf[v] == nil, case let .view(name, viewShape, strides)? = views[v] else { return }
        let full: [Int]
        if viewShape == shape {
            full = strides
        } else if viewShape == Array(shape.dropLast()) {
            full = strides + [0]
        } else {
            throw internalError("a row-wise fused kernel over \(shape) reads %\(body.name(of: v)) of shape \(viewShape)")
        }
        if let existing = arrays.firstIndex(where: { $0.name == name && $0.strides == full }) {
            arrayOf[v] = existing
        } else {
            arrays.append((name, full))
            arrayOf[v] = arrays.count - 1
        }
    }

    /// Where pass `pass` reads `v`: a view or an output array, a constant or a temporary.
    func source(of v: Value, pass: Int) throws(KilnError) -> Source {
        let v = resolved(v)
        if let a = arrayOf[v] { return .array(a) }
        if case .scalar(let expression)? = views[v] { return .expression(expression) }
        if stage(of: v) < pass, let a = yieldArray[v] { return .array(a) }
        if stage(of: v) < pass, rowBuffers.contains(where: { $0.value == v }) { return .rowBuffer("r\(v.id)") }
        guard stages[v] != nil else { throw internalError("a fused kernel uses %\(body.name(of: v)) before computing it") }
        return .expression("t\(v.id)")
    }

    /// The element instructions pass `pass` runs to compute `roots`, in body order: element values
    /// of earlier passes are read from memory instead.
    func elementInstructions(for roots: [Value], pass: Int) -> [Instruction] {
        let needed = closure(of: roots, pass: pass).needed
        return elementwise.filter { needed.contains($0.results[0]) }
    }

    /// The element values of earlier passes that pass `pass` reads to compute `roots`.
    private func earlierValues(for roots: [Value], pass: Int) -> [Value] {
        closure(of: roots, pass: pass).earlier
    }

    private func closure(of roots: [Value], pass: Int) -> (needed: Set<Value>, earlier: [Value]) {
        var needed: Set<Value> = [], earlier: [Value] = []
        var pending = roots.map(resolved)
        let producers = Dictionary(elementwise.map { ($0.results[0], $0) }, uniquingKeysWith: { a, _ in a })
        while let v = pending.popLast() {
            guard let inst = producers[v] else { continue }
            if stage(of: v) < pass {
                if !earlier.contains(v) { earlier.append(v) }
            } else if needed.insert(v).inserted {
                pending += inst.operands.map(resolved)
            }
        }
        return (needed, earlier)
    }
}

