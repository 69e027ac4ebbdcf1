import KilnIR

/// Rules of `BatchNormalization`, `LayerNormalization`, `Softmax` and `LogSoftmax`, written
/// from primitives (as the DSL writes them).
enum NormalizationRules {
    /// `BatchNormalization` in inference: `(x - mean) · scale / sqrt(var + epsilon) + B` per
    /// channel (axis 1), with the running statistics as weights.
    static let batchNormalization = OpRule(["epsilon", "momentum", "training_mode", "spatial"]) { n, b throws(KilnError) in
        guard try n.int("training_mode", default: 0) == 0 else {
            throw n.unsupported("training_mode", "1", "Kiln imports BatchNormalization for inference: export in eval mode")
        }
        guard try n.int("spatial", default: 1) == 1 else { throw n.unsupported("spatial", "0", "export with a newer opset") }
        let x = try n.input(0)
        let rank = b.type(of: x).rank
        guard rank >= 2 else { throw n.error("X must have rank 2 or more, got \(b.type(of: x))") }
        let channels = b.shape(of: x)[1]
        let perChannel = [channels] + [Int](repeating: 1, count: rank - 2)
        var stats: [Operand] = []
        for (i, name) in ["scale", "B", "input_mean", "input_var"].enumerated() {
            let t = try n.input(1 + i)
            guard b.shape(of: t) == [channels] else { throw n.error("\(name) must be [\(channels)], got \(b.type(of: t))") }
            stats.append(try b.reshape(t, perChannel))
        }
        let epsilon = try n.float("epsilon", default: 1e-5)
        let gain = try b.binary(.mul, stats[0], try b.unary(.rsqrt, try b.binary(.add, stats[3], epsilon)))
        let shift = try b.binary(.sub, stats[1], try b.binary(.mul, stats[2], gain))
        return [try b.binary(.add, try b.binary(.mul, x, gain), shift)]
    }

    /// `LayerNormalization` over the axes from `axis` on; only the normalized output is imported.
    static let layerNormalization = OpRule(["axis", "epsilon", "stash_type"]) { n, b throws(KilnError) in
        let x = try n.input(0)
        let rank = b.type(of: x).rank
        let axis = try n.axis(try n.int("axis", default: -1), rank: rank)
        let axes = Array(axis..<rank)
        let centered = try b.binary(.sub, x, try b.mean(x, axes: axes))
        let variance = try b.mean(try b.binary(.mul, centered, centered), axes: axes)
        var y = try b.binary(.mul, centered, try b.unary(.rsqrt, try b.binary(.add, variance, try n.float("epsilon", default: 1e-5))))
        y = try b.binary(.mul, y, try n.input(1))
        if let bias = n.optionalInput(2) { y = try b.binary(.add, y, bias) }
        return [y]
    }

    static let softmax = OpRule(["axis"]) { n, b throws(KilnError) in
        let (shifted, axis) = try shiftedByMax(n, b)
        let e = try b.unary(.exp, shifted)
        return [try b.binary(.div, e, try b.sum(e, axes: [axis], keep: true))]
    }

    static let logSoftmax = OpRule(["axis"]) { n, b throws(KilnError) in
        let (shifted, axis) = try shiftedByMax(n, b)
        return [try b.binary(.sub, shifted, try b.unary(.log, try b.sum(try b.unary(.exp, shifted), axes: [axis], keep: true)))]
    }

    /// `x - max(x)` along the node's `axis` (default -1, opset 13 on), and that axis.
    private static func shiftedByMax(_ n: ONNXNode, _ b: GraphEmitter) throws(KilnError) -> (Operand, Int) {
        let x = try n.input(0)
        let axis = try n.axis(try n.int("axis", default: -1), rank: b.type(of: x).rank)
        return (try b.binary(.sub, x, try b.reduce(.max, x, axes: [axis], keep: true)), axis)
    }
}
