import KilnIR

/// matmul, convolutions and pools.
extension Synthesis {
    func addMatmul() throws(KilnError) {
        let rank = rng.chance(0.35) ? 3 : 2
        let (transposeA, transposeB) = (rng.chance(0.5), rng.chance(0.5))
        let a = try operand(among: floatDTypes, ranks: rank...rank)
        let shape = type(a).shape
        let batch = rank == 3 ? [shape[0]] : []
        let k = transposeA ? shape[rank - 2] : shape[rank - 1]
        let n = dimension()
        let b = try operand(ofType: type(a).with(shape: batch + (transposeB ? [n, k] : [k, n])))
        try emit(.matmul(transposeA: transposeA, transposeB: transposeB), [a, b])
    }

    /// An NCHW float value.
    private func imageOperand() throws(KilnError) -> Value {
        try operand(among: floatDTypes, ranks: 4...4)
    }

    private func randomConvAttributes() -> ConvAttributes {
        ConvAttributes(stride: [rng.int(1...2), rng.int(1...2)], padding: [rng.int(0...1), rng.int(0...1)],
                       dilation: [rng.chance(0.7) ? 1 : 2, rng.chance(0.7) ? 1 : 2])
    }

    /// A window of sizes 1...3 that fits `input`'s spatial axes once under `attributes`, when possible.
    private func fittingWindow(_ input: TensorType, _ attributes: ConvAttributes) -> [Int] {
        (0..<2).map { axis in
            let room = input.shape[2 + axis] + 2 * attributes.padding[axis]
            let largest = room >= 1 ? (room - 1) / attributes.dilation[axis] + 1 : 1
            return rng.int(1...min(3, largest))
        }
    }

    func addConv2d() throws(KilnError) {
        let input = try imageOperand()
        let t = type(input)
        let attributes = randomConvAttributes()
        let filter = try operand(ofType: t.with(shape: [dimension(), t.shape[1]] + fittingWindow(t, attributes)))
        try emit(.conv2d(attributes), [input, filter])
    }

    func addConv2dTranspose() throws(KilnError) {
        let input = try imageOperand()
        let t = type(input)
        let attributes = randomConvAttributes()
        let outputPadding = (0..<2).map { rng.int(0...max(attributes.stride[$0], attributes.dilation[$0]) - 1) }
        let filter = try operand(ofType: t.with(shape: [t.shape[1], dimension(), rng.int(1...3), rng.int(1...3)]))
        try emit(.conv2dTranspose(attributes, outputPadding: outputPadding), [input, filter])
    }

    func addConv2dFilterGrad() throws(KilnError) {
        let input = try imageOperand()
        let t = type(input)
        let attributes = randomConvAttributes()
        let window = fittingWindow(t, attributes)
        let filter = t.with(shape: [dimension(), t.shape[1]] + window)
        let grad = try operand(ofType: try inferResultTypes(.conv2d(attributes), [t, filter])[0])
        try emit(.conv2dFilterGrad(attributes, window: window), [input, grad])
    }

    private func randomPoolAttributes() -> PoolAttributes {
        let window = [rng.int(1...3), rng.int(1...3)]
        let stride = rng.chance(0.3) ? nil : [rng.int(1...3), rng.int(1...3)]
        return PoolAttributes(window: window, stride: stride, padding: window.map { rng.int(0...$0 - 1) })
    }

    func addPool() throws(KilnError) {
        let attributes = randomPoolAttributes()
        let input = try imageOperand()
        let isMax = rng.chance(0.5)
        // The max over a window of padding only (an empty spatial axis) is -inf.
        if isMax, configuration.guardsNumerics, type(input).shape[2...].contains(0) {
            throw KilnError("guarded max_pool2d needs non-empty spatial axes")
        }
        try emit(isMax ? .maxPool2d(attributes) : .avgPool2d(attributes), [input])
    }

    func addPoolGrad() throws(KilnError) {
        let attributes = randomPoolAttributes()
        let input = try imageOperand()
        let isMax = rng.chance(0.5)
        let pooled = try inferResultTypes(isMax ? .maxPool2d(attributes) : .avgPool2d(attributes), [type(input)])[0]
        let grad = try operand(ofType: pooled)
        try emit(isMax ? .maxPool2dGrad(attributes) : .avgPool2dGrad(attributes), [input, grad])
    }
}
