import KilnIR

/// The rule of `LSTM`: unrolled over the (static) sequence, one matrix product of the whole input
/// with the input weights per direction and one of the hidden state per step, gates in ONNX's
/// order `i, o, f, c`.
enum RecurrentRules {
    static let lstm = OpRule(["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
                              "input_forget", "layout"]) { n, b throws(KilnError) in
        let direction = try n.string("direction", default: "forward")
        let directions: [Bool]  // reversed?
        switch direction {
        case "forward": directions = [false]
        case "reverse": directions = [true]
        case "bidirectional": directions = [false, true]
        default: throw n.unsupported("direction", "\"\(direction)\"", "use forward, reverse or bidirectional")
        }
        let defaults = Array(repeating: ["Sigmoid", "Tanh", "Tanh"], count: directions.count).flatMap { $0 }
        if let activations = try n.strings("activations"), activations != defaults {
            throw n.unsupported("activations", "\(activations)", "Kiln imports the default Sigmoid, Tanh, Tanh")
        }
        for name in ["clip", "activation_alpha", "activation_beta"] where n.has(name) {
            throw n.unsupported(name, "(given)", "export the LSTM without it")
        }
        guard try n.int("input_forget", default: 0) == 0 else { throw n.unsupported("input_forget", "1", "export with input_forget=0") }
        guard n.optionalInput(7) == nil else { throw n.error("peephole weights (input P) are not supported; export without them") }
        let layout = try n.int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw n.unsupported("layout", "\(layout)", "use 0 or 1") }

        var x = try n.input(0)
        try n.requireRank(x, 3, b, "X")
        if layout == 1 { x = try b.transpose(x, [1, 0, 2]) }
        let (steps, batch, features) = (b.shape(of: x)[0], b.shape(of: x)[1], b.shape(of: x)[2])
        let (w, r) = (try n.input(1), try n.input(2))
        let count = directions.count
        let hidden = try n.int("hidden_size", default: b.shape(of: r).last ?? 0)
        guard b.shape(of: w) == [count, 4 * hidden, features], b.shape(of: r) == [count, 4 * hidden, hidden] else {
            throw n.error("W must be [\(count),\(4 * hidden),\(features)] and R [\(count),\(4 * hidden),\(hidden)], got \(b.type(of: w)) and \(b.type(of: r))")
        }
        if n.optionalInput(4) != nil {
            let lengths = try n.knownInts(4)
            guard lengths.allSatisfy({ $0 == steps }) else {
                throw n.error("sequence_lens \(lengths) differ from the sequence length \(steps); Kiln imports full-length sequences only")
            }
        }
        func initial(_ i: Int) throws(KilnError) -> Operand? {
            guard var s = n.optionalInput(i) else { return nil }
            if layout == 1 { s = try b.transpose(s, [1, 0, 2]) }
            guard b.shape(of: s) == [count, batch, hidden] else { throw n.error("input \(i) must be [\(count),\(batch),\(hidden)] (layout 0), got \(b.type(of: s))") }
            return s
        }
        let (h0, c0) = (try initial(5), try initial(6))
        let dtype = b.type(of: x).dtype
        let flat = try b.reshape(x, [steps * batch, features])
        var ys: [Operand] = [], hs: [Operand] = [], cs: [Operand] = []
        for (d, isReversed) in directions.enumerated() {
            func part(_ t: Operand, _ shape: [Int]) throws(KilnError) -> Operand { try b.reshape(try b.slice(t, axis: 0, d..<d + 1), shape) }
            let wd = try part(w, [4 * hidden, features]), rd = try part(r, [4 * hidden, hidden])
            var projected = try b.reshape(try b.matmul(flat, wd, transposeB: true), [steps, batch, 4 * hidden])
            if let bias = n.optionalInput(3) {
                guard b.shape(of: bias) == [count, 8 * hidden] else { throw n.error("B must be [\(count),\(8 * hidden)], got \(b.type(of: bias))") }
                let bd = try part(bias, [8 * hidden])
                projected = try b.binary(.add, projected, try b.binary(.add, try b.slice(bd, axis: 0, 0..<4 * hidden),
                                                                        try b.slice(bd, axis: 0, 4 * hidden..<8 * hidden)))
            }
            func state(_ s: Operand?) throws(KilnError) -> Operand {
                guard let s else { return try b.filled(0, dtype, shape: [batch, hidden]) }
                return try part(s, [batch, hidden])
            }
            var h = try state(h0), c = try state(c0)
            var outputs = [Operand?](repeating: nil, count: steps)
            for t in isReversed ? Array((0..<steps).reversed()) : Array(0..<steps) {
                let gates = try b.binary(.add, try b.reshape(try b.slice(projected, axis: 0, t..<t + 1), [batch, 4 * hidden]),
                                         try b.matmul(h, rd, transposeB: true))
                func gate(_ k: Int) throws(KilnError) -> Operand { try b.slice(gates, axis: 1, k * hidden..<(k + 1) * hidden) }
                let (i, o, f, g) = (try b.unary(.sigmoid, try gate(0)), try b.unary(.sigmoid, try gate(1)),
                                    try b.unary(.sigmoid, try gate(2)), try b.unary(.tanh, try gate(3)))
                c = try b.binary(.add, try b.binary(.mul, f, c), try b.binary(.mul, i, g))
                h = try b.binary(.mul, o, try b.unary(.tanh, c))
                outputs[t] = try b.reshape(h, [1, 1, batch, hidden])
            }
            ys.append(try b.concatenate(outputs.compactMap { $0 }, axis: 0))
            hs.append(try b.reshape(h, [1, batch, hidden]))
            cs.append(try b.reshape(c, [1, batch, hidden]))
        }
        var y = try b.concatenate(ys, axis: 1), yh = try b.concatenate(hs, axis: 0), yc = try b.concatenate(cs, axis: 0)
        if layout == 1 {
            y = try b.transpose(y, [2, 0, 1, 3])
            yh = try b.transpose(yh, [1, 0, 2])
            yc = try b.transpose(yc, [1, 0, 2])
        }
        return [y, yh, yc]
    }
}
