import KilnIR

/// Rules of `Gemm`, `MatMul`, `Conv` and `ConvTranspose`.
enum LinearAlgebraRules {
    /// `Gemm`: `alpha · op(A) · op(B) + beta · C`.
    static let gemm = OpRule(["alpha", "beta", "transA", "transB"]) { n, b throws(KilnError) in
        let (x, w) = (try n.input(0), try n.input(1))
        try n.requireRank(x, 2, b, "A")
        try n.requireRank(w, 2, b, "B")
        let (alpha, beta) = (try n.float("alpha", default: 1), try n.float("beta", default: 1))
        var y = try b.emit(.matmul(transposeA: try n.int("transA", default: 0) != 0,
                                   transposeB: try n.int("transB", default: 0) != 0), [x, w])
        if alpha != 1 { y = try b.binary(.mul, y, alpha) }
        if let c = n.optionalInput(2) {
            y = try b.binary(.add, y, beta == 1 ? c : try b.binary(.mul, c, beta))
        }
        return [y]
    }

    /// `MatMul` with numpy semantics: vectors get a unit axis, a matrix right operand multiplies
    /// the flattened leading axes, batch axes broadcast and fold into one.
    static let matmul = OpRule { n, b throws(KilnError) in
        var (x, y) = (try n.input(0), try n.input(1))
        let (rx, ry) = (b.type(of: x).rank, b.type(of: y).rank)
        guard rx >= 1, ry >= 1 else { throw n.error("operands must have rank 1 or more, got \(b.type(of: x)) and \(b.type(of: y))") }
        if rx == 1 { x = try b.reshape(x, [1] + b.shape(of: x)) }
        if ry == 1 { y = try b.reshape(y, b.shape(of: y) + [1]) }
        let (sx, sy) = (b.shape(of: x), b.shape(of: y))
        let (m, k, nn) = (sx[sx.count - 2], sx[sx.count - 1], sy[sy.count - 1])
        guard sy[sy.count - 2] == k else {
            throw n.error("operands \(b.type(of: x)) and \(b.type(of: y)) do not fit: \(k) columns against \(sy[sy.count - 2]) rows")
        }
        var out: Operand
        var batch: [Int]
        if sy.count == 2 {
            batch = Array(sx.dropLast(2))
            let rows = batch.reduce(m, *)
            out = try b.reshape(try b.matmul(try b.reshape(x, [rows, k]), y), batch + [m, nn])
        } else {
            batch = try b.broadcastShape([Array(sx.dropLast(2)), Array(sy.dropLast(2))])
            let count = batch.reduce(1, *)
            let xb = try b.reshape(try b.broadcast(x, to: batch + [m, k]), [count, m, k])
            let yb = try b.reshape(try b.broadcast(y, to: batch + [k, nn]), [count, k, nn])
            out = try b.reshape(try b.matmul(xb, yb), batch + [m, nn])
        }
        var shape = batch + [m, nn]
        if ry == 1 { shape.removeLast() }
        if rx == 1 { shape.remove(at: shape.count - (ry == 1 ? 1 : 2)) }
        return [try b.reshape(out, shape)]
    }

    /// `Conv` (2-D): asymmetric padding becomes an explicit `pad`, groups become one convolution
    /// per group on channel slices, the bias a broadcast add.
    static let conv = OpRule(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]) { n, b throws(KilnError) in
        let (x, w) = (try n.input(0), try n.input(1))
        try n.requireRank(x, 4, b, "X")
        try n.requireRank(w, 4, b, "W")
        let kernel = Array(b.shape(of: w)[2...])
        let window = try Window(n, input: Array(b.shape(of: x)[2...]), kernel: kernel)
        let (input, padding) = try window.symmetric(x, fill: 0, b)
        let attrs = ConvAttributes(stride: window.strides, padding: padding, dilation: window.dilations)
        let y = try grouped(n, b, input: input, filter: w, filterGroupAxis: 0) { xg, wg throws(KilnError) in
            try b.emit(.conv2d(attrs), [xg, wg])
        }
        return [try addChannelBias(n, b, y)]
    }

    /// `ConvTranspose` (2-D): padding `low != high` is done with the smaller and the rest sliced off.
    static let convTranspose = OpRule(["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape",
                                       "pads", "strides"]) { n, b throws(KilnError) in
        let (x, w) = (try n.input(0), try n.input(1))
        try n.requireRank(x, 4, b, "X")
        try n.requireRank(w, 4, b, "W")
        guard !n.has("output_shape") else {
            throw n.unsupported("output_shape", "(given)", "export with pads and output_padding instead")
        }
        let autoPad = try n.string("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" || autoPad == "VALID" else { throw n.unsupported("auto_pad", "\"\(autoPad)\"", "use explicit pads") }
        let window = try Window(n, input: Array(b.shape(of: x)[2...]), kernel: Array(b.shape(of: w)[2...]))
        let outputPadding = try n.ints("output_padding") ?? [0, 0]
        guard outputPadding.count == 2 else { throw n.error("output_padding must have 2 entries, got \(outputPadding)") }
        let padding = zip(window.low, window.high).map { min($0, $1) }
        let attrs = ConvAttributes(stride: window.strides, padding: padding, dilation: window.dilations)
        var y = try grouped(n, b, input: x, filter: w, filterGroupAxis: 0, filterSplitsInput: true) { xg, wg throws(KilnError) in
            try b.emit(.conv2dTranspose(attrs, outputPadding: outputPadding), [xg, wg])
        }
        for axis in 0..<2 where window.low[axis] != window.high[axis] {
            let size = b.shape(of: y)[2 + axis]
            y = try b.slice(y, axis: 2 + axis, (window.low[axis] - padding[axis])..<(size - (window.high[axis] - padding[axis])))
        }
        return [try addChannelBias(n, b, y)]
    }

    /// `body` per group: `group` slices of the input's channels with the matching slices of the
    /// filter along `filterGroupAxis`, the results joined along the channels.
    private static func grouped(_ n: ONNXNode, _ b: GraphEmitter, input: Operand, filter: Operand, filterGroupAxis: Int,
                                filterSplitsInput: Bool = false,
                                _ body: (Operand, Operand) throws(KilnError) -> Operand) throws(KilnError) -> Operand {
        let group = try n.int("group", default: 1)
        if group == 1 { return try body(input, filter) }
        let (channels, filters) = (b.shape(of: input)[1], b.shape(of: filter)[filterGroupAxis])
        guard group > 0, channels % group == 0, filters % group == 0, !filterSplitsInput || filters == channels else {
            throw n.error("group \(group) does not divide the \(channels) input channels and the filter's \(filters)")
        }
        let (cg, fg) = (channels / group, filters / group)
        var parts: [Operand] = []
        for g in 0..<group {
            parts.append(try body(try b.slice(input, axis: 1, g * cg..<(g + 1) * cg),
                                  try b.slice(filter, axis: filterGroupAxis, g * fg..<(g + 1) * fg)))
        }
        return try b.concatenate(parts, axis: 1)
    }

    /// `y` plus the node's optional bias (input 2), one value per channel (axis 1).
    private static func addChannelBias(_ n: ONNXNode, _ b: GraphEmitter, _ y: Operand) throws(KilnError) -> Operand {
        guard let bias = n.optionalInput(2) else { return y }
        let channels = b.shape(of: y)[1]
        guard b.shape(of: bias) == [channels] else { throw n.error("bias B must be [\(channels)], got \(b.type(of: bias))") }
        return try b.binary(.add, y, try b.reshape(bias, [channels, 1, 1]))
    }
}
