import KilnIR

/// libtcc's version of a fused kernel's row loop: the row in blocks of `elementBlock` elements,
/// each elementwise instruction one call of its library kernel (`ElementKernel`) from the blocks of
/// its operands into a block buffer; at the end of each block the yielded buffers are copied to
/// the outputs (an output may share storage with an input, and every read of a block comes
/// before the block is written, as in the scalar loop). A value repeated along the row (a
/// broadcast or a constant) is one buffer filled once per row.
struct ElementBlocks {
    let body: Function
    let elementwise: [Instruction]
    /// The hoisted values (views and constants) of the element loop.
    let hoisted: [Value: FusedValue]
    /// The array each read view is, an index into `rows`.
    let arrayOf: [Value: Int]
    /// Each array's row pointer, its stride along the row, and the local holding its repeated
    /// element when the stride is 0; the outputs' rows follow the arrays', from `outputBase` on.
    let rows: [(pointer: String, stride: Int, repeated: String?)]
    let outputBase: Int

    /// Rows shorter than this stay scalar loops: a call per operation would cost more.
    static let shortestRow = 4

    /// One library call of the block, or a copy of a yielded value.
    private enum Step {
        case kernel(ElementKernel, result: String, DType, operands: [String])
        case copy(to: String, from: String, DType)
    }

    /// Writes `#ifdef __TINYC__` and the loop over `run` in blocks of `length` elements (at most
    /// `elementBlock`; a row's length when shorter), and returns true; writes nothing and returns false when
    /// an instruction has no library kernel or a row is read or written with a stride other than
    /// 0 or 1. The caller writes the scalar loop under `#else`, then `#endif`.
    func write(_ k: inout KernelBuilder, _ run: ParallelRange, length: Int) -> Bool {
        guard let (planned, fills) = plan(libmFunctions: k.libmFunctions) else { return false }
        let (steps, buffers) = reusingBuffers(planned)
        k.line("#ifdef __TINYC__")
        k.open("")
        for (name, dtype) in buffers { k.line("\(cType(dtype)) \(name)[\(length)];") }
        for (name, value, dtype) in fills {
            k.line("\(cType(dtype)) \(name)[\(length)];")
            k.line(k.call(.library(.element(.fill(dtype))), name, value, "\(length)") + ";")
        }
        k.open("for (long bj = \(run.lo); bj < \(run.hi); bj += \(length))")
        k.line("long bn = \(run.hi) - bj < \(length) ? \(run.hi) - bj : \(length);")
        for step in steps {
            switch step {
            case let .kernel(kernel, result, _, operands):
                k.line(k.call(.library(.element(kernel)), ([result] + operands + ["bn"]).joined(separator: ", ")) + ";")
            case let .copy(to, from, dtype):
                k.line(k.call(.memcpy, to, from, "bn * sizeof(\(cType(dtype)))") + ";")
            }
        }
        k.close()
        k.close()
        return true
    }

    /// The block's steps and the buffers of repeated values (name, value, dtype), or nil.
    private func plan(libmFunctions: Bool) -> ([Step], [(String, String, DType)])? {
        var steps: [Step] = [], fills: [(String, String, DType)] = []
        var blockOf: [Value: String] = [:]
        func filled(_ value: String, _ dtype: DType) -> String {
            if let existing = fills.first(where: { $0.1 == value && $0.2 == dtype }) { return existing.0 }
            fills.append(("bs\(fills.count)", value, dtype))
            return fills[fills.count - 1].0
        }
        func block(_ v: Value) -> String? {
            if let name = blockOf[v] { return name }
            let dtype = body.type(of: v).dtype
            if let a = arrayOf[v] {
                let row = rows[a]
                if row.stride == 1 { return "\(row.pointer) + bj" }
                return row.stride == 0 ? row.repeated.map { filled($0, dtype) } : nil
            }
            guard case .scalar(let value)? = hoisted[v] else { return nil }
            return filled(value, dtype)
        }
        for inst in elementwise {
            guard let result = inst.results.first else { return nil }
            var operands: [String] = []
            for v in inst.operands {
                guard let b = block(v) else { return nil }
                operands.append(b)
            }
            if isCopy(inst) {
                blockOf[result] = operands.first
                continue
            }
            guard let kernel = ElementKernel(inst, body, libmFunctions: libmFunctions) else { return nil }
            if case .keep = kernel.operation { operands.removeLast() }
            let name = "be\(result.id)"
            steps.append(.kernel(kernel, result: name, body.type(of: result).dtype, operands: operands))
            blockOf[result] = name
        }
        for (k, v) in body.results.enumerated() {
            let output = rows[outputBase + k]
            guard output.stride == 1, let source = block(v) else { return nil }
            steps.append(.copy(to: "\(output.pointer) + bj", from: source, body.type(of: v).dtype))
        }
        return (steps, fills)
    }

    /// `steps` with the results' buffers shared: a buffer is taken again once the last step
    /// reading its value has run (never by the step reading it: the C compiler's vector loop
    /// would find its operands overlapping and run element by element). Fewer buffers stay in L1.
    /// Returns the steps on the shared buffers and those buffers.
    private func reusingBuffers(_ steps: [Step]) -> ([Step], [(String, DType)]) {
        var lastRead: [String: Int] = [:]
        for (i, step) in steps.enumerated() {
            switch step {
            case .kernel(_, _, _, let operands): for o in operands { lastRead[o] = i }
            case .copy(_, let from, _): lastRead[from] = i
            }
        }
        var buffers: [(String, DType)] = [], shared: [String: String] = [:], free: [DType: [String]] = [:]
        var typeOf: [String: DType] = [:]
        func release(_ name: String, at i: Int) {
            guard let buffer = shared[name], let dtype = typeOf[buffer], (lastRead[name] ?? i) <= i else { return }
            free[dtype, default: []].append(buffer)
            shared[name] = nil
        }
        var out: [Step] = []
        for (i, step) in steps.enumerated() {
            switch step {
            case let .kernel(kernel, result, dtype, operands):
                let buffer = free[dtype]?.popLast() ?? "bb\(buffers.count)"
                if typeOf[buffer] == nil { buffers.append((buffer, dtype)) }
                typeOf[buffer] = dtype
                out.append(.kernel(kernel, result: buffer, dtype, operands: operands.map { shared[$0] ?? $0 }))
                for o in operands { release(o, at: i) }
                shared[result] = buffer
                if lastRead[result] == nil { release(result, at: i) }
            case let .copy(to, from, dtype):
                out.append(.copy(to: to, from: shared[from] ?? from, dtype))
                release(from, at: i)
            }
        }
        return (out, buffers)
    }

    /// Whether `inst` copies its operand (`stop_gradient`, a conversion to the same dtype).
    private func isCopy(_ inst: Instruction) -> Bool {
        switch inst.op {
        case .unary(.stopGradient): return true
        case .convert(let to): return inst.operands.first.map { body.type(of: $0).dtype == to } ?? false
        default: return false
        }
    }
}
