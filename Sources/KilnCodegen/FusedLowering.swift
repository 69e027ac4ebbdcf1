import KilnIR

// Fused kernels: one loop nest over the iteration shape (the shape of the yielded values). Each
// element is computed from the inputs through scalar temporaries and only the yielded values are
// stored. `broadcast_in_dim`, `transpose`, `slice` and `reshape` of a block argument become
// strided reads (stride 0 repeats, a slice starts at an offset); splat constants become locals
// declared once before the loops. A kernel may start with a `matmul` (gemm into an output, then
// the loop over it) or a `conv2d` (its product, which the loop reads in NCHW order).

/// A body value as the element loop sees it.
enum FusedValue {
    /// Elements of the C array `array` (a block argument `p<k>`, an output holding a product, or
    /// such a pointer plus a slice's offset) at `strides` (one per axis of the value's shape).
    case view(array: String, shape: [Int], strides: [Int])
    /// A C expression: a hoisted constant or a temporary of the element's block.
    case scalar(String)
}

/// A `conv2d` whose product the element loop reads from scratch `[O, N·P]`: computed once the
/// loop is known, so that the loop can run per chunk of samples.
private struct PendingConvolution {
    let name: String
    let a: ConvAttributes
    let operands: [String]
    let types: [TensorType]
    let out: TensorType
    let output: String
    /// The product's strides over `out` when it is computed whole.
    var wholeStrides: [Int] { [out.shape[2] * out.shape[3], out.shape[0] * out.shape[2] * out.shape[3], out.shape[3], 1] }
}

/// The element loop of a fused kernel: its elementwise instructions on the arrays it reads
/// (`arrays[arrayOf[v]]` for a view `v`) and hoisted values, storing the yielded values.
private struct ElementLoop {
    let body: Function
    let elementwise: [Instruction]
    let constants: [String]
    let hoisted: [Value: FusedValue]
    let arrayOf: [Value: Int]
    let outputs: [String]

    /// The loop over `shape` reading `arrays` and writing each output (pointer expression) at
    /// `outputStrides`; `passing` as in `parallelFor`.
    func emit(_ k: inout KernelBuilder, shape: [Int], arrays: [(name: String, strides: [Int])], outputs: [String],
              outputStrides: [Int], passing: [String] = []) throws(KilnError) {
        let (loopShape, strides) = collapseAxes(shape, arrays.map(\.strides) + body.results.map { _ in outputStrides })
        let names = arrays.map(\.name) + outputs
        let outer = strides.map { Array($0.dropLast()) }
        let inner = strides.map { $0[$0.count - 1] }
        // In parallel, a nest splits its outermost loop, a single loop its elements (chunks of 64).
        let flat = loopShape.count == 1
        let work = shape.reduce(1, *) * elementwise.reduce(1) { $0 + elementCost($1.op) }
        try k.parallelFor(loopShape[0], grain: flat ? 64 : 1, work: work, passing: passing) { (k, range) throws(KilnError) in
            for constant in constants { k.line(constant) }
            let offsets = k.openLoops(Array(loopShape.dropLast()), outer.enumerated().map { a, s in ("q\(a)_", 0, s) },
                                      range: flat ? nil : (0, range))
            // Each array's row as a pointer, and a read repeated along the row (a broadcast) as a
            // local, before the row's loop: tcc computes neither once per row by itself.
            var rows = names, repeated: [Int: String] = [:]
            for a in names.indices {
                if inner[a] == 0 && a < arrays.count {
                    k.line("const __typeof__(*\(names[a])) h\(a) = \(element(names[a], offsets[a], "0"));")
                    repeated[a] = "h\(a)"
                } else if offsets[a] != "0" {
                    k.line("__typeof__(\(names[a]) + 0) r\(a) = \(names[a]) + \(offsets[a]);")
                    rows[a] = "r\(a)"
                }
            }
            func at(_ array: Int, _ i: String) -> String {
                repeated[array] ?? element(rows[array], "0", inner[array] == 0 ? "0" : scaled(i, inner[array]))
            }
            let length = loopShape[loopShape.count - 1]
            let run = flat ? range : ParallelRange(lo: "0", hi: "\(length)", part: range.part, parts: range.parts)
            let blocks = ElementBlocks(body: body, elementwise: elementwise, hoisted: hoisted, arrayOf: arrayOf,
                                       rows: names.indices.map { (rows[$0], inner[$0], repeated[$0]) }, outputBase: arrays.count)
            let blocked = (flat || length >= ElementBlocks.shortestRow)
                && blocks.write(&k, run, length: flat ? elementBlock : min(length, elementBlock))
            if blocked { k.line("#else") }
            try k.indexLoop(run) { (k, i) throws(KilnError) in
                var values = hoisted
                var statements: [String] = []
                func operand(_ v: Value) throws(KilnError) -> String {
                    if let a = arrayOf[v] { return at(a, i) }
                    guard case .scalar(let expression)? = values[v] else {
                        throw internalError("a fused kernel uses %\(body.name(of: v)) before computing it")
                    }
                    return expression
                }
                for inst in elementwise {
                    var x: [String] = []
                    for v in inst.operands { x.append(try operand(v)) }
                    statements.append(try k.elementStatement(inst, body, x))
                    values[inst.results[0]] = .scalar("t\(inst.results[0].id)")
                }
                for (k, v) in body.results.enumerated() {
                    statements.append("\(at(arrays.count + k, i)) = \(try operand(v));")
                }
                return "{ " + statements.joined(separator: " ") + " }"
            }
            if blocked { k.line("#endif") }
            k.closeLoops()
        }
    }
}

extension KernelBuilder {
    /// The kernel of `fused(body)`: block argument `k` is the operand `p<k>`, yielded value `k`
    /// the output `out<k>` (`out` when there is one).
    mutating func lowerFused(_ body: Function, options: CodegenOptions) throws(KilnError) {
        if body.body.contains(where: \.op.isReduction) {
            return try lowerRowFused(body)
        }
        guard let first = body.results.first else { throw internalError("a fused kernel yields nothing") }
        let shape = body.type(of: first).shape
        var values: [Value: FusedValue] = [:]
        for (k, p) in body.params.enumerated() {
            let type = body.type(of: p)
            values[p] = .view(array: "p\(k)", shape: type.shape, strides: rowMajorStrides(type.shape))
        }
        let outputs = outputNames(body.results.count)
        let products = body.body.filter { inst in
            switch inst.op {
            case .matmul, .conv2d: return true
            default: return false
            }
        }.count
        // Views and constants first; the arrays the loop reads are the views of the iteration shape.
        var elementwise: [Instruction] = []
        var constants: [String] = []
        var arrays: [(name: String, strides: [Int])] = []
        var arrayOf: [Value: Int] = [:]
        var pending: PendingConvolution?
        func read(_ v: Value) throws(KilnError) {
            guard arrayOf[v] == nil, case let .view(name, viewShape, strides)? = values[v] else { return }
            guard viewShape == shape else {
                throw internalError("a fused kernel reads %\(body.name(of: v)) of shape \(viewShape) in a loop over \(shape)")
            }
            if let existing = arrays.firstIndex(where: { $0.name == name && $0.strides == strides }) {
                arrayOf[v] = existing
            } else {
                arrayOf[v] = arrays.count
                arrays.append((name, strides))
            }
        }
        for inst in body.body {
            guard let result = inst.results.first else { continue }
            let type = body.type(of: result)
            switch inst.op {
            case .constant(.splat(let value), _):
                constants.append("const \(cType(type.dtype)) c\(result.id) = \(scalar(value, type.dtype));")
                values[result] = .scalar("c\(result.id)")
            case .broadcastInDim, .transpose, .reshape, .slice:
                values[result] = try layoutView(inst, body, values)
            case let .matmul(transposeA, transposeB):
                let output = try productOutput(type, body, outputs)
                try lowerProduct(inst, body, values, transposeA, transposeB, into: output)
                values[result] = .view(array: output, shape: type.shape, strides: rowMajorStrides(type.shape))
            case .conv2d(let a):
                let output = try productOutput(type, body, outputs)
                let operands = try inst.operands.map { v throws(KilnError) in try blockArray(v, body, values, of: "conv2d") }
                guard operands.count == 2 else { throw internalError("'conv2d' in a fused kernel without two operands") }
                let conv = PendingConvolution(name: body.name(of: result), a: a, operands: operands,
                                              types: inst.operands.map(body.type(of:)), out: type, output: output)
                if products == 1 && !convolutionWritesInPlace(a, conv.types[0], conv.types[1], type,
                                                              chunkElements: options.convolutionChunkElements) {
                    pending = conv
                    values[result] = .view(array: "prod", shape: type.shape, strides: conv.wholeStrides)
                } else {
                    let product = try lowerConvolution(conv, options: options)
                    values[result] = .view(array: product.array, shape: type.shape, strides: product.strides)
                }
            case _ where inst.op.family == .elementwise:
                guard type.shape == shape else {
                    throw internalError("a fused kernel computes %\(body.name(of: result)) of shape \(type.shape) in a loop over \(shape)")
                }
                for v in inst.operands { try read(v) }
                elementwise.append(inst)
            default:
                throw internalError("'\(inst.op.name)' inside a fused kernel; code generation fuses elementwise and layout ops only")
            }
        }
        for v in body.results { try read(v) }

        let loop = ElementLoop(body: body, elementwise: elementwise, constants: constants, hoisted: values,
                               arrayOf: arrayOf, outputs: outputs)
        let outputStrides = rowMajorStrides(shape)
        guard let conv = pending else {
            return try loop.emit(&self, shape: shape, arrays: arrays, outputs: outputs, outputStrides: outputStrides)
        }
        // The loop reads the product only as it was computed: it runs per chunk of samples, on the
        // chunk's product while it is in cache.
        guard arrays.allSatisfy({ $0.name != "prod" || $0.strides == conv.wholeStrides }) else {
            _ = try lowerConvolution(conv, options: options)
            return try loop.emit(&self, shape: shape, arrays: arrays, outputs: outputs, outputStrides: outputStrides)
        }
        _ = try lowerConvolution(conv, options: options) { k, first, samples throws(KilnError) in
            let (p, w) = (conv.out.shape[2] * conv.out.shape[3], conv.out.shape[3])
            let chunkArrays = arrays.map { array in
                array.name == "prod" ? (name: "prod", strides: [p, samples * p, w, 1])
                    : (name: chunkPointer(array.name, first, array.strides[0]), strides: array.strides)
            }
            try loop.emit(&k, shape: [samples] + shape.dropFirst(), arrays: chunkArrays,
                          outputs: outputs.map { chunkPointer($0, first, outputStrides[0]) }, outputStrides: outputStrides,
                          passing: chunkLocals(first))
        }
    }

    /// The product of `conv` (its code commented as such), with `epilogue` as in `convolutionProduct`.
    private mutating func lowerConvolution(_ conv: PendingConvolution, options: CodegenOptions,
                                           epilogue: ((inout KernelBuilder, String, Int) throws(KilnError) -> Void)? = nil)
        throws(KilnError) -> (array: String, strides: [Int]) {
        line("/* %\(conv.name) = conv2d(...): its product, read by the loop \(epilogue == nil ? "below" : "after each chunk's gemm") */")
        return try convolutionProduct(conv.a, input: conv.operands[0], conv.types[0], filter: conv.operands[1], conv.types[1],
                                      conv.out, into: conv.output, chunkElements: options.convolutionChunkElements,
                                      epilogue: epilogue)
    }

    /// The `matmul` instruction `inst` of an epilogue kernel as its gemm call into the output
    /// `output`, in a block naming its operands `a`, `b` and its result `out` as the matmul
    /// kernel does; the element loop then reads the product from `output` and overwrites it.
    private mutating func lowerProduct(_ inst: Instruction, _ body: Function, _ values: [Value: FusedValue],
                                       _ transposeA: Bool, _ transposeB: Bool, into output: String) throws(KilnError) {
        guard inst.operands.count == 2, let result = inst.results.first else {
            throw internalError("'matmul' in a fused kernel without two operands")
        }
        let types = inst.operands.map(body.type(of:)), out = body.type(of: result)
        open("/* %\(body.name(of: result)) = matmul(...) into \(output) */")
        // Declared for the parts too: the product may be split among the pool's threads.
        for (name, (v, type)) in zip(["a", "b"], zip(inst.operands, types)) {
            declareForParts("const \(cType(type.dtype)) *\(name) = \(try blockArray(v, body, values, of: "matmul"));")
        }
        if output != "out" { declareForParts("\(cType(out.dtype)) *out = \(output);") }
        try lowerMatmul(transposeA: transposeA, transposeB: transposeB, types[0], types[1], out)
        close()
    }

    /// The output a product of `type` is computed into (or, for a convolution whose product
    /// needs reordering, the output the loop writes from it): the first yielded value of `type`.
    private func productOutput(_ type: TensorType, _ body: Function, _ outputs: [String]) throws(KilnError) -> String {
        guard let k = body.results.firstIndex(where: { body.type(of: $0) == type }) else {
            throw internalError("a fused kernel yields no value of type \(type) to compute its product into")
        }
        return outputs[k]
    }

    /// The array of the block argument `v`, which a product in a fused kernel reads whole.
    private func blockArray(_ v: Value, _ body: Function, _ values: [Value: FusedValue], of op: String) throws(KilnError) -> String {
        guard case let .view(array, shape, strides)? = values[v], strides == rowMajorStrides(shape) else {
            throw internalError("'\(op)' in a fused kernel reads a value that is not a block argument")
        }
        return array
    }

    /// `const T t<result> = <expression>;` for the elementwise `inst` of `body` on the operand
    /// expressions `x`.
    mutating func elementStatement(_ inst: Instruction, _ body: Function, _ x: [String]) throws(KilnError) -> String {
        guard let result = inst.results.first, x.count == inst.operands.count, let x0 = x.first else {
            throw internalError("'\(inst.op.name)' in a fused kernel without operands or result")
        }
        let dtype = body.type(of: result).dtype
        let expression: String
        switch inst.op {
        case .unary(let u): expression = try unaryExpression(u, dtype, x0, &self)
        case .binary(let b) where x.count == 2: expression = binaryExpression(b, dtype, x0, x[1], &self)
        case .compare(let d) where x.count == 2: expression = "\(x0) \(compareOperator(d)) \(x[1])"
        case .select where x.count == 3:
            expression = selectExpression(dtype, x0, x[1], x[2], positiveZeroB: isPositiveZeroSplat(inst.operands[2], body), &self)
        case .convert(let to):
            let from = body.type(of: inst.operands[0]).dtype
            expression = from == to ? x0 : convertExpression(x0, from: from, to: to, &self)
        default: throw internalError("'\(inst.op.name)' is not elementwise")
        }
        return "const \(cType(dtype)) t\(result.id) = \(expression);"
    }
}

/// `array` from sample `first` of a chunk on (`stride` elements a sample): `(out + n0 * 4096)`.
private func chunkPointer(_ array: String, _ first: String, _ stride: Int) -> String {
    let offset = stride == 0 ? "" : sampleOffset(first, stride)
    return offset.isEmpty ? array : "(\(array)\(offset))"
}

/// The view a `broadcast_in_dim`, `transpose`, `slice` or `reshape` reads when its operand is a
/// block argument or such a view; a layout op of a splat constant is that constant.
func layoutView(_ inst: Instruction, _ body: Function, _ values: [Value: FusedValue]) throws(KilnError) -> FusedValue {
    guard let source = inst.operands.first, let result = inst.results.first, let operand = values[source] else {
        throw internalError("'\(inst.op.name)' in a fused kernel reads a value computed per element")
    }
    let sourceShape = body.type(of: source).shape, shape = body.type(of: result).shape
    switch (inst.op, operand) {
    case (_, .scalar):
        return operand
    case let (.broadcastInDim(_, dims), .view(array, _, strides)):
        var out = [Int](repeating: 0, count: shape.count)
        for (k, d) in dims.enumerated() where sourceShape[k] != 1 { out[d] = strides[k] }
        return .view(array: array, shape: shape, strides: out)
    case let (.transpose(perm), .view(array, _, strides)):
        return .view(array: array, shape: shape, strides: perm.map { strides[$0] })
    case let (.slice(start, _, stride), .view(array, _, strides)):
        let offset = zip(start, strides).map(*).reduce(0, +)
        return .view(array: offset == 0 ? array : "(\(array) + \(offset))", shape: shape,
                     strides: zip(stride, strides).map(*))
    case let (.reshape, .view(array, viewShape, strides)) where strides == rowMajorStrides(viewShape):
        return .view(array: array, shape: shape, strides: rowMajorStrides(shape))
    default:
        throw internalError("a fused kernel applies '\(inst.op.name)' to a view that is not contiguous")
    }
}
