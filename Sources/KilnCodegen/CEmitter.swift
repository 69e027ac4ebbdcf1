import KilnIR

/// A function lowered to one C translation unit.
///
/// The unit includes no header: it declares the few external functions it calls (listed in
/// `externalSymbols`, to be bound by the JIT) and exports one entry point,
/// `void kiln_entry(void **args, char *arena)`: `args` holds the inputs (in parameter order), then
/// the outputs (in result order), each a pointer to row-major elements of the declared type;
/// `arena` points at `plan.peakBytes` bytes (64-byte aligned) of scratch owned by the caller.
public struct CProgram: Hashable, Sendable {
    /// Name of the exported entry point.
    public static let entryName = "kiln_entry"

    /// The unit, starting with `#line 1 "<fileName>"` so that compiler messages name it.
    public var source: String
    public var fileName: String
    public var plan: MemoryPlan
    /// External functions the unit declares; the JIT binds each of them.
    public var externalSymbols: [String]
}

/// Lowers `f` to C: verifies it, lowers every instruction to a `static` kernel named after the
/// value it computes (preceded by the instruction's IR in a comment), plans the arena, and writes
/// the entry point that calls the kernels in order. Each `all_reduce` is moved as early as its
/// operand allows (`startingReductionsEarly`) and started there without blocking; the entry
/// point lets the oldest reduction in flight progress after every kernel and waits on each
/// just before its first reader.
public func emitC(_ f: Function, options: CodegenOptions = CodegenOptions()) throws(KilnError) -> CProgram {
    try verify(f)
    let options = try options.resolvingThreads()
    let (f, lowered) = try lowerAll(startingReductionsEarly(f), options: options)
    let plan = planMemory(f, scratchBytes: lowered.map { $0.kernel?.builder.scratchBytes ?? 0 })
    var needs: Set<PreludeItem> = plan.finalCopies.isEmpty ? [] : [.memcpy]
    var definitions: [String] = []
    var calls: [String] = []
    // Reductions started and not yet waited on, oldest first, with their request variables.
    var inFlight: [(value: Value, request: String)] = []
    func waitForReductions(before index: Int) {
        for (v, request) in inFlight where plan.reductionWaits[v] == index {
            needs.insert(.allReduce(.wait))
            calls.append("  kiln_all_reduce_wait(\(request));")
        }
        inFlight.removeAll { plan.reductionWaits[$0.value] == index }
    }

    for (index, (inst, item)) in zip(f.body, lowered).enumerated() {
        guard let v = inst.results.first else { continue }
        let name = cIdentifier(id: v.id, name: f.name(of: v))
        let ir = printInstruction(inst, in: f).split(separator: "\n").map { cCommentText(String($0)) }.joined(separator: "\n   ")
        if plan.aliases.contains(v) {
            calls.append("  /* \(ir): shares the storage of its operand */")
            continue
        }
        let comment = "/* \(ir) */"
        guard let (operandNames, kernel) = item.kernel.map({ ($0.operandNames, $0.builder) }) else {
            if case .data(let values) = item { definitions.append(comment + "\n" + staticArray(name, values, f.type(of: v).dtype)) }
            continue
        }
        waitForReductions(before: index)
        needs.formUnion(kernel.needs)
        let out = cType(f.type(of: v).dtype)
        var parameters: [(type: String, name: String)] = []
        var arguments: [String] = []
        for (result, outputName) in zip(inst.results, outputNames(inst.results.count)) {
            let type = "\(cType(f.type(of: result).dtype)) *"
            parameters.append((type, outputName))
            arguments.append(try pointer(plan.location(of: result), as: type, f))
        }
        for (operand, operandName) in zip(inst.operands, operandNames) {
            let type = "const \(cType(f.type(of: operand).dtype)) *"
            parameters.append((type, operandName))
            arguments.append(try pointer(plan.location(of: operand), as: type, f))
        }
        if let offset = plan.scratchOffsets[index] {
            parameters.append(("\(out) *", "scratch"))
            arguments.append(try pointer(.arena(offset: offset), as: "\(out) *", f))
        }
        definitions.append(kernel.definition(name: name, parameters: parameters, comment: comment))
        calls.append("  \(name)(\(arguments.joined(separator: ", ")));")
        if let oldest = inFlight.first {
            needs.insert(.allReduce(.test))
            calls.append("  kiln_all_reduce_test(\(oldest.request));")
        }
        if case .reduction(_, let r) = item {
            let type = f.type(of: v)
            needs.insert(.allReduce(.start))
            calls.append("  long \(name)_request = kiln_all_reduce_start(\(arguments[0]), \(type.count), \(type.dtype == .f32 ? 0 : 1), \(r == .mean ? 1 : 0));")
            inFlight.append((v, "\(name)_request"))
        }
    }
    waitForReductions(before: f.body.count)
    for copy in plan.finalCopies {
        let source = try pointer(copy.source, as: "const void *", f)
        calls.append("  memcpy(args[\(f.params.count + copy.output)], \(source), \(copy.bytes));")
    }

    let fileName = sanitizedName(f.name) + ".c"
    let header = """
    #line 1 "\(fileName)"
    /* @\(cCommentText(f.name)) lowered to C by Kiln. Entry point: void \(CProgram.entryName)(void **args, char *arena);
       args[0..<\(f.params.count)]: inputs, args[\(f.params.count)..<\(f.params.count + f.results.count)]: outputs; arena: \(plan.peakBytes) bytes, 64-byte aligned. */
    """
    if needs.contains(.blasThreads(.set)) {
        // Kiln's threads split the products: OpenBLAS runs one thread of its own meanwhile.
        if let n = options.blasThreads {
            calls.insert("  openblas_set_num_threads(1);", at: 0)
            calls.append("  openblas_set_num_threads(\(n));")
        } else {
            needs.insert(.blasThreads(.get))
            calls.insert("  int kiln_blas_threads = openblas_get_num_threads();\n  openblas_set_num_threads(1);", at: 0)
            calls.append("  openblas_set_num_threads(kiln_blas_threads);")
        }
    }
    let entry = "void \(CProgram.entryName)(void **args, char *arena) {\n" + calls.joined(separator: "\n") + "\n}\n"
    let source = [header, preludeText(needs)] + definitions + [entry]
    return CProgram(source: source.filter { !$0.isEmpty }.joined(separator: "\n\n"), fileName: fileName, plan: plan,
                    externalSymbols: externalSymbols(needs))
}

/// Every instruction of `f` lowered. A `fused` body that no fused kernel covers (written by hand,
/// with ops the `fuse` pass never puts in one) is inlined and its ops lowered one by one, so code
/// generation accepts every function the verifier accepts.
private func lowerAll(_ f: Function, options: CodegenOptions) throws(KilnError) -> (Function, [LoweredInstruction]) {
    var f = f
    while true {
        var lowered: [LoweredInstruction] = []
        var uncovered: Set<Int> = []
        for (index, inst) in f.body.enumerated() {
            do {
                lowered.append(try lower(inst, in: f, options: options))
            } catch where error.kind == .internal {
                guard case .fused = inst.op else { throw error }
                uncovered.insert(index)
            }
        }
        if uncovered.isEmpty { return (f, lowered) }
        f = inliningFused(f, at: uncovered)
    }
}

/// The pointer expression, cast to `type`, of the storage at `location`.
private func pointer(_ location: StorageLocation?, as type: String, _ f: Function) throws(KilnError) -> String {
    switch location {
    case .input(let i): return "(\(type))args[\(i)]"
    case .output(let k): return "(\(type))args[\(f.params.count + k)]"
    case .arena(let offset): return "(\(type))(arena + \(offset))"
    case .constant(let v): return "(\(type))\(cIdentifier(id: v.id, name: f.name(of: v)))"
    case nil: throw internalError("a value without storage")
    }
}

/// `static const T name[n] = {...};`, eight elements a line. Float data holding infinities, NaN
/// or -0 is stored as its bit patterns (C has no literal for them).
private func staticArray(_ name: String, _ values: [Scalar], _ dtype: DType) -> String {
    let decimal = !dtype.isFloat || values.allSatisfy { hasDecimalLiteral(Scalar.float($0.asDouble).cast(to: dtype).asDouble) }
    let elementType = decimal ? cType(dtype) : (dtype == .f32 ? "unsigned" : "unsigned long long")
    let items = values.map { decimal ? (cLiteral($0, dtype) ?? "0") : cFloatBits($0.asDouble, dtype) }
    let rows = stride(from: 0, to: items.count, by: 8).map { "  " + items[$0..<min($0 + 8, items.count)].joined(separator: ", ") }
    return "static const \(elementType) \(name)[\(max(items.count, 1))] = {\n\(rows.isEmpty ? "  0" : rows.joined(separator: ",\n"))\n};"
}
