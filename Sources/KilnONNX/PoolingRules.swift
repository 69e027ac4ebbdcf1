import KilnIR
import KilnRuntime

/// The window attributes of a 2-D `Conv`, `ConvTranspose` or pool: kernel, strides, dilations and
/// per-side padding (from `pads` or `auto_pad`).
struct Window {
    var kernel: [Int], strides: [Int], dilations: [Int], low: [Int], high: [Int]

    init(_ n: ONNXNode, input: [Int], kernel given: [Int]?) throws(KilnError) {
        let attributeKernel = try n.ints("kernel_shape")
        guard let kernel = attributeKernel ?? given else { throw n.error("attribute 'kernel_shape' is missing") }
        if let given, let attributeKernel, given != attributeKernel {
            throw n.error("kernel_shape \(attributeKernel) does not match the weight's spatial shape \(given)")
        }
        let strides = try n.ints("strides") ?? [1, 1]
        let dilations = try n.ints("dilations") ?? [1, 1]
        let pads = try n.ints("pads") ?? [0, 0, 0, 0]
        guard kernel.count == 2, strides.count == 2, dilations.count == 2, pads.count == 4 else {
            throw n.error("kernel_shape, strides, dilations and pads must have 2, 2, 2 and 4 entries (2-D), got \(kernel), \(strides), \(dilations), \(pads)")
        }
        guard kernel.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }) else {
            throw n.error("kernel_shape, strides and dilations must be positive and pads non-negative, got \(kernel), \(strides), \(dilations), \(pads)")
        }
        (self.kernel, self.strides, self.dilations) = (kernel, strides, dilations)
        (low, high) = (Array(pads[..<2]), Array(pads[2...]))
        switch try n.string("auto_pad", default: "NOTSET") {
        case "NOTSET": break
        case "VALID": (low, high) = ([0, 0], [0, 0])
        case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
            for axis in 0..<2 {
                let out = (input[axis] + strides[axis] - 1) / strides[axis]
                let total = max(0, (out - 1) * strides[axis] + (kernel[axis] - 1) * dilations[axis] + 1 - input[axis])
                low[axis] = mode == "SAME_UPPER" ? total / 2 : total - total / 2
                high[axis] = total - low[axis]
            }
        case let other: throw n.unsupported("auto_pad", "\"\(other)\"", "use NOTSET, VALID, SAME_UPPER or SAME_LOWER")
        }
    }

    /// `x` and a symmetric padding for it: the padding itself when both sides agree, else `x`
    /// padded explicitly with `fill` and no padding.
    func symmetric(_ x: Operand, fill: Double, _ b: GraphEmitter) throws(KilnError) -> (Operand, [Int]) {
        if low == high { return (x, low) }
        let padded = try b.emit(.pad(low: [0, 0] + low, high: [0, 0] + high, value: Scalar.float(fill).cast(to: b.type(of: x).dtype)), [x])
        return (padded, [0, 0])
    }

    /// Fails unless `ceil_mode` is 0 or rounding up gives the same output size.
    func checkCeilMode(_ n: ONNXNode, input: [Int]) throws(KilnError) {
        guard try n.int("ceil_mode", default: 0) != 0 else { return }
        for axis in 0..<2 {
            let room = input[axis] + low[axis] + high[axis] - ((kernel[axis] - 1) * dilations[axis] + 1)
            if room >= 0, room % strides[axis] != 0 {
                throw n.unsupported("ceil_mode", "1", "it changes the output size here; export with ceil_mode=False or pad the input")
            }
        }
    }
}

/// Rules of the pooling ops (2-D).
enum PoolingRules {
    /// The pool's input (rank 4), its spatial shape and its window, which Kiln's pools need undilated.
    private static func undilatedWindow(_ n: ONNXNode, _ b: GraphEmitter) throws(KilnError) -> (x: Operand, spatial: [Int], window: Window) {
        let x = try n.input(0)
        try n.requireRank(x, 4, b, "X")
        let spatial = Array(b.shape(of: x)[2...])
        let window = try Window(n, input: spatial, kernel: nil)
        guard window.dilations == [1, 1] else { throw n.unsupported("dilations", "\(window.dilations)", "Kiln's pools are not dilated") }
        try window.checkCeilMode(n, input: spatial)
        return (x, spatial, window)
    }

    static let maxPool = OpRule(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]) { n, b throws(KilnError) in
        let (x, _, window) = try undilatedWindow(n, b)
        let (input, padding) = try window.symmetric(x, fill: -.infinity, b)
        return [try b.emit(.maxPool2d(PoolAttributes(window: window.kernel, stride: window.strides, padding: padding)), [input])]
    }

    /// `AveragePool`: Kiln divides by the whole window, which is `count_include_pad = 1`; with 0
    /// the result is divided by the pool of ones padded the same way (folded when imported).
    static let averagePool = OpRule(["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"]) { n, b throws(KilnError) in
        let (x, spatial, window) = try undilatedWindow(n, b)
        func pool(_ t: Operand) throws(KilnError) -> Operand {
            let (input, padding) = try window.symmetric(t, fill: 0, b)
            return try b.emit(.avgPool2d(PoolAttributes(window: window.kernel, stride: window.strides, padding: padding)), [input])
        }
        let y = try pool(x)
        guard try n.int("count_include_pad", default: 0) == 0, window.low != [0, 0] || window.high != [0, 0] else { return [y] }
        let share = try pool(try b.filled(1, b.type(of: x).dtype, shape: [1, 1] + spatial))
        return [try b.binary(.div, y, share)]
    }

    static func global(_ make: @escaping @Sendable (PoolAttributes) -> Op) -> OpRule {
        OpRule { n, b throws(KilnError) in
            let x = try n.input(0)
            try n.requireRank(x, 4, b, "X")
            return [try b.emit(make(PoolAttributes(window: Array(b.shape(of: x)[2...]))), [x])]
        }
    }
}
