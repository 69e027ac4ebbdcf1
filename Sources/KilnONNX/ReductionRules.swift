import KilnIR

/// Rules of `ReduceSum`, `ReduceMean`, `ReduceMax` and `ReduceMin`: the axes come from the
/// attribute (before opset 18, except ReduceSum) or the second input.
enum ReductionRules {
    enum Kind { case sum, mean, max, min }

    static func reduce(_ kind: Kind) -> OpRule {
        OpRule(["axes", "keepdims", "noop_with_empty_axes"]) { n, b throws(KilnError) in
            let x = try n.input(0)
            let rank = b.type(of: x).rank
            var listed = n.optionalInput(1) == nil ? [] : try n.knownInts(1)
            if let attribute = try n.ints("axes") { listed = attribute }
            if listed.isEmpty, try n.int("noop_with_empty_axes", default: 0) != 0 { return [x] }
            let axes = listed.isEmpty ? Array(0..<rank) : try n.axes(listed, rank: rank)
            let keep = try n.int("keepdims", default: 1) != 0
            switch kind {
            case .sum: return [try b.sum(x, axes: axes, keep: keep)]
            case .max: return [try b.reduce(.max, x, axes: axes, keep: keep)]
            case .min: return [try b.reduce(.min, x, axes: axes, keep: keep)]
            case .mean:
                guard b.type(of: x).dtype.isFloat else { throw n.error("Kiln imports ReduceMean of float tensors, got \(b.type(of: x))") }
                let mean = try b.mean(x, axes: axes)
                return [keep ? mean : try b.reshape(mean, b.shape(of: x).indices.filter { !axes.contains($0) }.map { b.shape(of: x)[$0] })]
            }
        }
    }
}
