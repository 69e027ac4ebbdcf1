import KilnIR

// Reductions walk the operand in row-major order after merging neighbouring axes of the same
// kind (kept or reduced). `out` starts at the identity; an innermost reduced run is folded into
// `accumulators` independent partial results (tcc keeps them on the stack, but the dependency
// chains no longer serialize), an innermost kept run updates `out` element by element.
// With one accumulator the order of operations is exactly row-major, as in the interpreter.

/// The identity of `r` on `dtype`: 0, the lowest or the highest value.
func reductionIdentity(_ r: ReduceOp, _ dtype: DType) -> Scalar {
    switch (r, dtype.isFloat) {
    case (.sum, _): return Scalar.int(0).cast(to: dtype)
    case (.max, true): return .float(-.infinity)
    case (.min, true): return .float(.infinity)
    case (.max, false): return .int(dtype == .i32 ? Int64(Int32.min) : .min)
    case (.min, false): return .int(dtype == .i32 ? Int64(Int32.max) : .max)
    }
}

extension KernelBuilder {
    mutating func lowerReduce(_ r: ReduceOp, axes: [Int], _ x: TensorType, _ out: TensorType, accumulators: Int) {
        let identity = reductionIdentity(r, x.dtype)
        guard x.count > 0 else { return fill("out", count: out.count, value: identity, out.dtype) }
        let keptStrides = rowMajorStrides(out.shape)
        var outStrides = [Int](repeating: 0, count: x.rank)
        for (k, axis) in x.shape.indices.filter({ !axes.contains($0) }).enumerated() { outStrides[axis] = keptStrides[k] }
        let (dims, strides) = collapseAxes(x.shape, [outStrides, rowMajorStrides(x.shape)])
        let run = dims[dims.count - 1], innerOutStride = strides[0][dims.count - 1]
        // When only the innermost run is reduced, each output is one run: no need to fill `out` first.
        let onePass = innerOutStride == 0 && !strides[0].dropLast().contains(0)
        if !onePass { fill("out", count: out.count, value: identity, out.dtype) }
        // In parallel, threads split independent outputs, each reduced in the serial order: the
        // innermost run when it is kept, else the outermost kept loop; a reduction to one output
        // stays serial.
        let outer = Array(dims.dropLast())
        let split = innerOutStride != 0 ? outer.count : outer.indices.first { strides[0][$0] != 0 }
        let count = split.map { $0 == outer.count ? run : outer[$0] } ?? 1
        parallelFor(count, grain: split == outer.count ? 64 : 1, work: x.count) { k, range in
            var initial = k.scalar(identity, x.dtype)
            if cLiteral(identity, x.dtype) == nil && innerOutStride == 0 {
                k.line("const \(cType(x.dtype)) identity = \(initial);")
                initial = "identity"
            }
            let offsets = k.openLoops(outer, [("o", 0, Array(strides[0].dropLast())), ("s", 0, Array(strides[1].dropLast()))],
                                      range: split.flatMap { $0 < outer.count ? ($0, range) : nil })
            let (o, s) = (offsets[0], offsets[1])
            let (t, op) = (cType(x.dtype), r.combiner)
            if innerOutStride == 0 {
                let count = max(1, min(accumulators, run))
                let acc = (0..<count).map { "acc\($0)" }
                k.line("\(t) " + acc.enumerated().map { "\($1) = \($0 > 0 || onePass ? initial : element("out", o, "0"))" }.joined(separator: ", ") + ";")
                let main = run - run % count
                if main > 0 {
                    k.open("for (long j = 0; j < \(main); j += \(count))")
                    for (n, a) in acc.enumerated() {
                        k.line("\(a) = \(binaryExpression(op, x.dtype, a, element("x", s, n == 0 ? "j" : "j + \(n)"), &k));")
                    }
                    k.close()
                }
                if main < run {
                    k.line("for (long j = \(main); j < \(run); j++) acc0 = \(binaryExpression(op, x.dtype, "acc0", element("x", s, "j"), &k));")
                }
                k.line("\(element("out", o, "0")) = \(k.combineTree(acc[...], op, x.dtype));")
            } else {
                k.indexLoop(split == outer.count ? range : ParallelRange(lo: "0", hi: "\(run)", part: "0", parts: 1), index: "j") { k, j in
                    let target = element("out", o, j)
                    return "\(target) = \(binaryExpression(op, x.dtype, target, element("x", s, j), &k));"
                }
            }
            k.closeLoops()
        }
    }

    /// Pairwise combination of the accumulators: `(acc0 + acc1) + (acc2 + acc3)`.
    private mutating func combineTree(_ acc: ArraySlice<String>, _ op: BinaryOp, _ dtype: DType) -> String {
        guard acc.count > 1 else { return acc.first ?? "" }
        let mid = acc.startIndex + acc.count / 2
        let parts = [acc[..<mid], acc[mid...]].map { $0.count > 1 ? "(\(combineTree($0, op, dtype)))" : $0.first ?? "" }
        return binaryExpression(op, dtype, parts[0], parts[1], &self)
    }

    /// The index of the first maximum along `axis`; a NaN is the maximum (the first one wins).
    mutating func lowerArgmax(axis: Int, _ x: TensorType) {
        let outer = x.shape[..<axis].reduce(1, *), size = x.shape[axis]
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        guard outer * inner > 0 else { return }
        // In parallel, threads split the outer loop (the inner one when there is one outer row).
        let level = outer > 1 ? 0 : 1
        parallelFor(level == 0 ? outer : inner, work: x.count) { k, range in
            let offsets = k.openLoops([outer, inner], [("o", 0, [inner, 1]), ("s", 0, [size * inner, 1])], range: (level, range))
            let t = cType(x.dtype)
            k.line("\(t) best = \(element("x", offsets[1], "0"));")
            k.line("int arg = 0;")
            let (keepGoing, better) = x.dtype.isFloat ? (" && best == best", "v > best || v != v") : ("", "v > best")
            k.open("for (long k = 1; k < \(size)\(keepGoing); k++)")
            k.line("\(t) v = \(element("x", offsets[1], scaled("k", inner)));")
            k.line("if (\(better)) { best = v; arg = (int)k; }")
            k.close()
            k.line("\(element("out", offsets[0], "0")) = arg;")
            k.closeLoops()
        }
    }
}
