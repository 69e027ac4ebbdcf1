import KilnIR

// Rules of `simplify` for ops that move elements, convert them, or multiply matrices. All are
// exact: they only change which instructions move an element where.

extension SimplifyRule {
    static let layout: [SimplifyRule] = [
        SimplifyRule("transpose", transpose),
        SimplifyRule("reshape", reshape),
        SimplifyRule("broadcast", broadcast),
        SimplifyRule("slice", slice),
        SimplifyRule("reverse", reverse),
        SimplifyRule("pad-none", padNone),
        SimplifyRule("concatenate", concatenate),
        SimplifyRule("convert", convert),
        SimplifyRule("matmul-transpose", matmulTranspose),
    ]

    /// `transpose(x) {perm = identity} → x`; `transpose(transpose(x) {p}) {q} → transpose(x)
    /// {perm = p∘q}` (result axis k reads axis `p[q[k]]` of x).
    private static func transpose(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .transpose(let outer) = inst.op else { return nil }
        let x = inst.operands[0]
        if outer == Array(outer.indices) { return .replace(x) }
        guard let def = context.definition(of: x), case .transpose(let inner) = def.op else { return nil }
        return .update(.transpose(perm: outer.map { inner[$0] }), def.operands)
    }

    /// `reshape(x)` to x's own shape `→ x`; `reshape(reshape(x)) → reshape(x)`.
    private static func reshape(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .reshape(let shape) = inst.op else { return nil }
        let x = inst.operands[0]
        if context.type(of: x).shape == shape { return .replace(x) }
        guard let def = context.definition(of: x), case .reshape = def.op else { return nil }
        return .update(inst.op, def.operands)
    }

    /// `broadcast_in_dim(x)` to x's own shape with dims `[0, 1, ...]` `→ x`; a broadcast of a
    /// broadcast is one broadcast (x's axis k goes to `outer.dims[inner.dims[k]]`).
    private static func broadcast(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case let .broadcastInDim(shape, outerDims) = inst.op else { return nil }
        let x = inst.operands[0]
        if context.type(of: x).shape == shape, outerDims == Array(outerDims.indices) { return .replace(x) }
        guard let def = context.definition(of: x), case let .broadcastInDim(_, innerDims) = def.op else { return nil }
        return .update(.broadcastInDim(shape: shape, dims: innerDims.map { outerDims[$0] }), def.operands)
    }

    /// A slice of the whole tensor `→ x`; a slice of a slice is one slice.
    private static func slice(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case let .slice(start, limit, stride) = inst.op else { return nil }
        let x = inst.operands[0]
        let type = context.type(of: x)
        if type == context.type(of: inst.results[0]), type.count == 0 || start.allSatisfy({ $0 == 0 }) {
            return .replace(x)
        }
        guard let def = context.definition(of: x), case let .slice(innerStart, _, innerStride) = def.op else { return nil }
        // out[i] = y[start + i*stride] = x[innerStart + (start + i*stride) * innerStride]
        var composed = (start: [Int](), limit: [Int](), stride: [Int]())
        for axis in start.indices {
            let count = (limit[axis] - start[axis] + stride[axis] - 1) / stride[axis]
            let first = innerStart[axis] + start[axis] * innerStride[axis]
            let step = stride[axis] * innerStride[axis]
            composed.start.append(count == 0 ? innerStart[axis] : first)
            composed.limit.append(count == 0 ? innerStart[axis] : first + (count - 1) * step + 1)
            composed.stride.append(count == 0 ? 1 : step)
        }
        return .update(.slice(start: composed.start, limit: composed.limit, stride: composed.stride), def.operands)
    }

    /// Reversing axes of size 0 or 1 does nothing: they are dropped, and a reverse of no axis `→ x`;
    /// `reverse(reverse(x) {A}) {B} → reverse(x) {axes = A △ B}` (an axis reversed twice is kept).
    private static func reverse(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .reverse(let axes) = inst.op else { return nil }
        let x = inst.operands[0]
        let shape = context.type(of: x).shape
        let effective = axes.filter { shape[$0] > 1 }
        if effective.isEmpty { return .replace(x) }
        if effective.count < axes.count { return .update(.reverse(axes: effective), [x]) }
        guard let def = context.definition(of: x), case .reverse(let inner) = def.op else { return nil }
        let both = Set(inner).symmetricDifference(axes).sorted()
        return .update(.reverse(axes: both), def.operands)
    }

    /// `pad(x)` with zero padding on every side `→ x`.
    private static func padNone(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case let .pad(low, high, _) = inst.op, (low + high).allSatisfy({ $0 == 0 }) else { return nil }
        return .replace(inst.operands[0])
    }

    /// Operands empty along the axis are dropped (one is kept); `concatenate(x) → x`.
    private static func concatenate(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .concatenate(let axis) = inst.op else { return nil }
        if inst.operands.count == 1 { return .replace(inst.operands[0]) }
        let nonEmpty = inst.operands.filter { context.type(of: $0).shape[axis] > 0 }
        guard nonEmpty.count < inst.operands.count else { return nil }
        return .update(inst.op, nonEmpty.isEmpty ? [inst.operands[0]] : nonEmpty)
    }

    /// `convert(x)` to x's own dtype `→ x`; `convert(convert(x) {m}) {d} → convert(x) {d}` when
    /// converting x to `m` is lossless (bool to any dtype, i32 to i64 or f64, f32 to f64): the same
    /// value reaches the outer conversion. With `d` = x's dtype this removes a round trip.
    private static func convert(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case .convert(let dtype) = inst.op else { return nil }
        let x = inst.operands[0]
        if context.type(of: x).dtype == dtype { return .replace(x) }
        guard let def = context.definition(of: x), case .convert(let middle) = def.op,
              isLossless(from: context.type(of: def.operands[0]).dtype, to: middle) else { return nil }
        return .update(inst.op, def.operands)
    }

    private static func isLossless(from source: DType, to target: DType) -> Bool {
        switch (source, target) {
        case (.bool, _), (.i32, .i64), (.i32, .f64), (.f32, .f64): return true
        default: return source == target
        }
    }

    /// `matmul(transpose(a), b)` with the transpose swapping the last two axes (`[1,0]` or
    /// `[0,2,1]`) `→ matmul(a, b)` with `transpose_a` flipped; likewise for b. Exact in real
    /// arithmetic; BLAS may sum in another order for the other layout.
    private static func matmulTranspose(_ inst: Instruction, _ context: inout RewriteContext, _: Bool) -> Rewrite? {
        guard case let .matmul(ta, tb) = inst.op else { return nil }
        let (a, b) = (inst.operands[0], inst.operands[1])
        if let source = swappedLastAxes(a, context) { return .update(.matmul(transposeA: !ta, transposeB: tb), [source, b]) }
        if let source = swappedLastAxes(b, context) { return .update(.matmul(transposeA: ta, transposeB: !tb), [a, source]) }
        return nil
    }

    /// The operand of the transpose defining `v` when it only swaps the last two of 2 or 3 axes.
    private static func swappedLastAxes(_ v: Value, _ context: RewriteContext) -> Value? {
        guard let def = context.definition(of: v), case .transpose(let perm) = def.op,
              perm == [1, 0] || perm == [0, 2, 1] else { return nil }
        return def.operands[0]
    }
}
