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
        var initial = scalar(identity, x.dtype)
        if cLiteral(identity, x.dtype) == nil && innerOutStride == 0 {
            line("const \(cType(x.dtype)) identity = \(initial);")
            initial = "identity"
        }
        let offsets = openLoops(Array(dims.dropLast()), [("o", 0, Array(strides[0].dropLast())),
                                                         ("s", 0, Array(strides[1].dropLast()))])
        let (o, s) = (offsets[0], offsets[1])
        let (t, op) = (cType(x.dtype), r.combiner)
        if innerOutStride == 0 {
            let count = max(1, min(accumulators, run))
            let acc = (0..<count).map { "acc\($0)" }
            line("\(t) " + acc.enumerated().map { "\($1) = \($0 > 0 || onePass ? initial : element("out", o, "0"))" }.joined(separator: ", ") + ";")
            let main = run - run % count
            if main > 0 {
                open("for (long j = 0; j < \(main); j += \(count))")
                for (k, a) in acc.enumerated() {
                    line("\(a) = \(binaryExpression(op, x.dtype, a, element("x", s, k == 0 ? "j" : "j + \(k)"), &self));")
                }
                close()
            }
            if main < run {
                line("for (long j = \(main); j < \(run); j++) acc0 = \(binaryExpression(op, x.dtype, "acc0", element("x", s, "j"), &self));")
            }
            line("\(element("out", o, "0")) = \(combineTree(acc[...], op, x.dtype));")
        } else {
            unrolledLoop(run, index: "j") { k, j in
                let target = element("out", o, j)
                return "\(target) = \(binaryExpression(op, x.dtype, target, element("x", s, j), &k));"
            }
        }
        closeLoops()
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
        let offsets = openLoops([outer, inner], [("o", 0, [inner, 1]), ("s", 0, [size * inner, 1])])
        let t = cType(x.dtype)
        line("\(t) best = \(element("x", offsets[1], "0"));")
        line("int arg = 0;")
        let (keepGoing, better) = x.dtype.isFloat ? (" && best == best", "v > best || v != v") : ("", "v > best")
        open("for (long k = 1; k < \(size)\(keepGoing); k++)")
        line("\(t) v = \(element("x", offsets[1], scaled("k", inner)));")
        line("if (\(better)) { best = v; arg = (int)k; }")
        close()
        line("\(element("out", offsets[0], "0")) = arg;")
        closeLoops()
    }
}
