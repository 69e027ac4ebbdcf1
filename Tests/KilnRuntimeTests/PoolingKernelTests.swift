import KilnIR
import KilnRuntime
import Testing

@Suite struct PoolingKernelTests {
    @Test(arguments: [DType.f32, .f64])
    func poolsHandComputed(dtype: DType) throws {
        let x = try HostTensor(TensorType(dtype, [1, 1, 4, 4]), doubles: [1, 2, 5, 3,
                                                                          4, 0, 1, 1,
                                                                          -1, 7, 2, 2,
                                                                          3, 3, 6, -5])
        let p = PoolAttributes(window: [2, 2])
        let maxed = try evaluate(.maxPool2d(p), [x])
        #expect(maxed.type == TensorType(dtype, [1, 1, 2, 2]))
        #expect(maxed.doubles == [4, 5, 7, 6])
        #expect(try evaluate(.avgPool2d(p), [x]).doubles == [1.75, 2.5, 3, 1.25])
    }

    /// Max pooling ignores padded positions (all inputs are negative, so a zero would win);
    /// average pooling counts them as zeros and divides by the full window.
    @Test(arguments: [DType.f32, .f64])
    func padding(dtype: DType) throws {
        let x = try HostTensor(TensorType(dtype, [1, 1, 2, 2]), doubles: [-1, -2, -3, -4])
        let p = PoolAttributes(window: [2, 2], stride: [1, 1], padding: [1, 1])
        #expect(try evaluate(.maxPool2d(p), [x]).doubles == [-1, -1, -2, -1, -1, -2, -3, -3, -4])
        #expect(try evaluate(.avgPool2d(p), [x]).doubles == [-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1])
    }

    /// NaN propagates through max pooling, also when it follows a larger value, and its window's
    /// gradient goes to the first NaN.
    @Test(arguments: [DType.f32, .f64])
    func nanPropagates(dtype: DType) throws {
        let x = try HostTensor(TensorType(dtype, [1, 1, 2, 4]), doubles: [9, .nan, 3, 4,
                                                                          .nan, 6, 7, 8])
        let p = PoolAttributes(window: [2, 2])
        let maxed = try evaluate(.maxPool2d(p), [x]).doubles
        #expect(maxed[0].isNaN && maxed[1] == 8)
        let g = try HostTensor(TensorType(dtype, [1, 1, 1, 2]), doubles: [10, 20])
        #expect(try evaluate(.maxPool2dGrad(p), [x, g]).doubles == [0, 10, 0, 0,
                                                                    0, 0, 0, 20])
        #expect(try evaluate(.avgPool2d(p), [x]).doubles[0].isNaN)
    }

    /// Overlapping windows sharing one maximum add their gradients there.
    @Test func maxGradOverlappingWindowsAdd() throws {
        let x = try HostTensor(TensorType(.f64, [1, 1, 3, 3]), doubles: [0, 0, 0, 0, 5, 0, 0, 0, 0])
        let g = try HostTensor(TensorType(.f64, [1, 1, 2, 2]), doubles: [1, 2, 3, 4])
        let p = PoolAttributes(window: [2, 2], stride: [1, 1])
        #expect(try evaluate(.maxPool2dGrad(p), [x, g]).doubles == [0, 0, 0, 0, 10, 0, 0, 0, 0])
    }

    /// On a constant input every window ties; each gradient goes to the window's first in-image
    /// position in row-major order.
    @Test(arguments: [DType.f32, .f64])
    func maxGradTiesGoToFirstPosition(dtype: DType) throws {
        let x = try HostTensor(TensorType(dtype, [1, 1, 2, 2]), doubles: [1, 1, 1, 1])
        let g = try HostTensor(TensorType(dtype, [1, 1, 3, 3]), doubles: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let p = PoolAttributes(window: [2, 2], stride: [1, 1], padding: [1, 1])
        #expect(try evaluate(.maxPool2dGrad(p), [x, g]).doubles == [12, 9, 15, 9])
    }

    @Test(arguments: [DType.f32, .f64])
    func avgGradHandComputed(dtype: DType) throws {
        let x = try HostTensor(zeros: TensorType(dtype, [1, 1, 2, 2]))
        let g = try HostTensor(TensorType(dtype, [1, 1, 3, 3]), doubles: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let p = PoolAttributes(window: [2, 2], stride: [1, 1], padding: [1, 1])
        #expect(try evaluate(.avgPool2dGrad(p), [x, g]).doubles == [3, 4, 6, 7])
    }

    /// The gradients equal central differences of `<pool(x), g>` on random inputs (distinct values,
    /// so the maximum of each window is unique), with padding, strides and overlapping windows.
    @Test(arguments: [false, true])
    func gradientsMatchFiniteDifferences(maxPool: Bool) throws {
        var random = KernelTestRandom(seed: maxPool ? 31 : 32)
        for _ in 0..<10 {
            let window = [random.int(1...3), random.int(1...3)]
            let p = PoolAttributes(window: window, stride: [random.int(1...3), random.int(1...3)],
                                   padding: [random.int(0...(window[0] - 1)), random.int(0...(window[1] - 1))])
            let input = TensorType(.f64, [random.int(1...2), random.int(1...2), random.int(window[0]...6), random.int(window[1]...6)])
            let (pool, grad): (Op, Op) = maxPool ? (.maxPool2d(p), .maxPool2dGrad(p)) : (.avgPool2d(p), .avgPool2dGrad(p))
            let x = try random.tensor(input)
            let g = try random.tensor(try evaluate(pool, [x]).type)
            let analytic = try evaluate(grad, [x, g]).doubles
            let h = 1e-6
            for i in 0..<x.count {
                let probe = try x.copy()
                probe[i] = .float(x[i].asDouble + h)
                let up = innerProduct(try evaluate(pool, [probe]), g)
                probe[i] = .float(x[i].asDouble - h)
                let down = innerProduct(try evaluate(pool, [probe]), g)
                #expect(abs((up - down) / (2 * h) - analytic[i]) <= 1e-6, "\(input) \(p) element \(i)")
            }
        }
    }

    /// An empty image padded into one window: max pooling sees no element (-inf), averaging sees zeros.
    @Test func emptyImage() throws {
        let x = try HostTensor(zeros: TensorType(.f64, [1, 1, 0, 0]))
        let p = PoolAttributes(window: [2, 2], padding: [1, 1])
        #expect(try evaluate(.maxPool2d(p), [x]).doubles == [-.infinity])
        #expect(try evaluate(.avgPool2d(p), [x]).doubles == [0])
        let g = try HostTensor(TensorType(.f64, [1, 1, 1, 1]), doubles: [1])
        #expect(try evaluate(.maxPool2dGrad(p), [x, g]).type == x.type)
    }
}
