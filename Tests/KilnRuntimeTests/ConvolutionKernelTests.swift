import KilnIR
@testable import KilnRuntime
import Testing

@Suite struct ConvolutionKernelTests {
    @Test(arguments: [DType.f32, .f64])
    func handComputed(dtype: DType) throws {
        let x = try HostTensor(TensorType(dtype, [1, 1, 3, 3]), doubles: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let f = try HostTensor(TensorType(dtype, [1, 1, 2, 2]), doubles: [1, 2, 3, 4])
        #expect(try evaluate(.conv2d(ConvAttributes()), [x, f]).doubles == [37, 47, 67, 77])
        let strided = try evaluate(.conv2d(ConvAttributes(stride: [2, 2], padding: [1, 1])), [x, f])
        #expect(strided.type.shape == [1, 1, 2, 2])
        #expect(strided.doubles == [4, 18, 36, 77])
        let dilated = try evaluate(.conv2d(ConvAttributes(dilation: [2, 2])), [x, f])
        #expect(dilated.doubles == [64])
    }

    /// conv2d against the 7-loop definition over random shapes, strides, paddings and dilations.
    @Test(arguments: [DType.f32, .f64])
    func conv2dMatchesDefinition(dtype: DType) throws {
        var random = KernelTestRandom(seed: dtype == .f32 ? 21 : 22)
        for _ in 0..<24 {
            let shape = ConvShape(&random)
            let x = try random.tensor(TensorType(dtype, shape.input))
            let f = try random.tensor(TensorType(dtype, shape.filter))
            let out = try evaluate(.conv2d(shape.attributes), [x, f])
            #expect(out.type == TensorType(dtype, shape.output), "\(shape)")
            #expect(maxDifference(out.doubles, referenceConv2d(x, f, shape)) <= (dtype == .f32 ? 1e-5 : 1e-10), "\(shape)")
        }
    }

    /// <conv2d(x, f), g> == <x, conv2d_transpose(g, f)> == <f, conv2d_filter_grad(x, g)>, with the
    /// output_padding that gives the transpose x's shape.
    @Test(arguments: [DType.f32, .f64])
    func adjointIdentities(dtype: DType) throws {
        var random = KernelTestRandom(seed: dtype == .f32 ? 26 : 23)
        let tolerance = dtype == .f32 ? 1e-5 : 1e-10
        var outputPaddings = 0
        for _ in 0..<32 {
            let shape = ConvShape(&random)
            let a = shape.attributes
            let x = try random.tensor(TensorType(dtype, shape.input))
            let f = try random.tensor(TensorType(dtype, shape.filter))
            let g = try random.tensor(TensorType(dtype, shape.output))
            let transposed = try evaluate(.conv2dTranspose(a, outputPadding: shape.outputPadding), [g, f])
            let filterGrad = try evaluate(.conv2dFilterGrad(a, window: [shape.kh, shape.kw]), [x, g])
            #expect(transposed.type == x.type, "\(shape)")
            #expect(filterGrad.type == f.type, "\(shape)")
            let forward = innerProduct(try evaluate(.conv2d(a), [x, f]), g)
            #expect(abs(forward - innerProduct(x, transposed)) <= tolerance * max(1, abs(forward)), "\(shape)")
            #expect(abs(forward - innerProduct(f, filterGrad)) <= tolerance * max(1, abs(forward)), "\(shape)")
            if shape.outputPadding != [0, 0] { outputPaddings += 1 }
        }
        #expect(outputPaddings >= 5)
    }

    /// conv2d_transpose against its scatter definition, including output_padding >= stride
    /// (possible when dilation > stride) where the result has rows conv2d would not read back.
    @Test func transposeMatchesScatterDefinition() throws {
        var random = KernelTestRandom(seed: 24)
        var (cases, beyondStride) = (0, 0)
        while cases < 16 {
            let (n, ci, co) = (random.int(1...2), random.int(1...3), random.int(1...3))
            let input = [n, ci, random.int(1...4), random.int(1...4)]
            let window = [random.int(1...3), random.int(1...3)]
            let a = ConvAttributes(stride: [random.int(1...3), random.int(1...2)], padding: [random.int(0...2), random.int(0...1)],
                                   dilation: [random.int(1...3), random.int(1...3)])
            let outputPadding = (0..<2).map { random.int(0...(max(a.stride[$0], a.dilation[$0]) - 1)) }
            let op = Op.conv2dTranspose(a, outputPadding: outputPadding)
            let filterType = TensorType(.f64, [ci, co] + window)
            guard let type = try? inferResultTypes(op, [TensorType(.f64, input), filterType])[0] else { continue }
            let g = try random.tensor(TensorType(.f64, input))
            let f = try random.tensor(filterType)
            let out = try evaluate(op, [g, f])
            #expect(maxDifference(out.doubles, referenceConv2dTranspose(g, f, a, outputShape: type.shape)) <= 1e-12,
                    "input \(input) window \(window) \(a) output_padding \(outputPadding)")
            cases += 1
            if outputPadding[0] >= a.stride[0] || outputPadding[1] >= a.stride[1] { beyondStride += 1 }
        }
        #expect(beyondStride >= 2)
    }

    /// Splitting the output positions into small im2col tiles gives the same results as one tile.
    @Test(arguments: [1, 5, 40])
    func tilesAgree(tileElements: Int) throws {
        var random = KernelTestRandom(seed: 25)
        for _ in 0..<8 {
            let shape = ConvShape(&random)
            let a = shape.attributes
            let x = try random.tensor(TensorType(.f64, shape.input))
            let f = try random.tensor(TensorType(.f64, shape.filter))
            let g = try random.tensor(TensorType(.f64, shape.output))
            let products: [(ConvProduct, Op, HostTensor, HostTensor)] = [
                (.forward, .conv2d(a), x, f),
                (.inputGradient, .conv2dTranspose(a, outputPadding: shape.outputPadding), g, f),
                (.filterGradient, .conv2dFilterGrad(a, window: [shape.kh, shape.kw]), x, g),
            ]
            for (product, op, first, second) in products {
                let whole = try evaluate(op, [first, second])
                let tiled = try HostTensor(zeros: whole.type)
                convolve(product, a, first, second, tiled, tileElements: tileElements)
                #expect(maxDifference(tiled.doubles, whole.doubles) <= 1e-12, "\(product) \(shape)")
            }
        }
    }

    @Test func emptyOperandsGiveZeros() throws {
        let a = ConvAttributes(padding: [1, 1])
        let noChannels = try evaluate(.conv2d(a), [HostTensor(zeros: TensorType(.f64, [1, 0, 2, 2])),
                                                   HostTensor(zeros: TensorType(.f64, [2, 0, 3, 3]))])
        #expect(noChannels.type.shape == [1, 2, 2, 2])
        #expect(noChannels.doubles.allSatisfy { $0 == 0 })
        let emptyImage = try evaluate(.conv2d(a), [HostTensor(zeros: TensorType(.f32, [1, 1, 0, 0])),
                                                   HostTensor(TensorType(.f32, [1, 1, 1, 1]), doubles: [1])])
        #expect(emptyImage.doubles == [0, 0, 0, 0])
        let noImages = try evaluate(.conv2dFilterGrad(a, window: [3, 3]), [HostTensor(zeros: TensorType(.f64, [0, 2, 4, 4])),
                                                                           HostTensor(zeros: TensorType(.f64, [0, 3, 4, 4]))])
        #expect(noImages.type.shape == [3, 2, 3, 3])
        #expect(noImages.doubles.allSatisfy { $0 == 0 })
    }
}

/// A random conv2d problem whose window fits: `input [N,C,H,W]`, `filter [O,C,KH,KW]`.
private struct ConvShape: CustomStringConvertible {
    var n, c, o, h, w, kh, kw: Int
    var attributes: ConvAttributes

    init(_ random: inout KernelTestRandom) {
        repeat {
            (n, c, o) = (random.int(1...2), random.int(1...3), random.int(1...3))
            (h, w, kh, kw) = (random.int(1...7), random.int(1...7), random.int(1...3), random.int(1...3))
            attributes = ConvAttributes(stride: [random.int(1...3), random.int(1...3)],
                                        padding: [random.int(0...2), random.int(0...2)],
                                        dilation: [random.int(1...2), random.int(1...2)])
        } while span(h, kh, 0) < 0 || span(w, kw, 1) < 0
    }

    /// Room the window has to slide along `axis`: `in + 2*padding - dilation*(k-1) - 1`.
    private func span(_ size: Int, _ k: Int, _ axis: Int) -> Int {
        size + 2 * attributes.padding[axis] - attributes.dilation[axis] * (k - 1) - 1
    }

    var input: [Int] { [n, c, h, w] }
    var filter: [Int] { [o, c, kh, kw] }
    var output: [Int] {
        [n, o, span(h, kh, 0) / attributes.stride[0] + 1, span(w, kw, 1) / attributes.stride[1] + 1]
    }
    /// The output_padding with which conv2d_transpose maps `output` back to `input`'s size.
    var outputPadding: [Int] { [span(h, kh, 0) % attributes.stride[0], span(w, kw, 1) % attributes.stride[1]] }

    var description: String { "input \(input) filter \(filter) \(attributes)" }
}

/// conv2d by its definition: out[n,o,y,x] = sum_{c,i,j} in[n,c,y*sh-ph+i*dh, x*sw-pw+j*dw] * f[o,c,i,j].
private func referenceConv2d(_ input: HostTensor, _ filter: HostTensor, _ shape: ConvShape) -> [Double] {
    let (x, f, a) = (input.doubles, filter.doubles, shape.attributes)
    let (ho, wo) = (shape.output[2], shape.output[3])
    var out: [Double] = []
    for n in 0..<shape.n {
        for o in 0..<shape.o {
            for y in 0..<ho {
                for xx in 0..<wo {
                    var sum = 0.0
                    for c in 0..<shape.c {
                        for i in 0..<shape.kh {
                            for j in 0..<shape.kw {
                                let iy = y * a.stride[0] - a.padding[0] + i * a.dilation[0]
                                let ix = xx * a.stride[1] - a.padding[1] + j * a.dilation[1]
                                guard (0..<shape.h).contains(iy), (0..<shape.w).contains(ix) else { continue }
                                sum += x[((n * shape.c + c) * shape.h + iy) * shape.w + ix]
                                    * f[((o * shape.c + c) * shape.kh + i) * shape.kw + j]
                            }
                        }
                    }
                    out.append(sum)
                }
            }
        }
    }
    return out
}

/// conv2d_transpose by its definition: in[n,ci,y,x] * f[ci,co,i,j] scattered to
/// out[n,co,y*sh-ph+i*dh, x*sw-pw+j*dw] when inside the output.
private func referenceConv2dTranspose(_ input: HostTensor, _ filter: HostTensor, _ a: ConvAttributes,
                                      outputShape: [Int]) -> [Double] {
    let (g, f) = (input.doubles, filter.doubles)
    let s = input.type.shape, k = filter.type.shape
    let (co, ho, wo) = (outputShape[1], outputShape[2], outputShape[3])
    var out = [Double](repeating: 0, count: outputShape.reduce(1, *))
    for n in 0..<s[0] {
        for ci in 0..<s[1] {
            for y in 0..<s[2] {
                for x in 0..<s[3] {
                    for c in 0..<co {
                        for i in 0..<k[2] {
                            for j in 0..<k[3] {
                                let oy = y * a.stride[0] - a.padding[0] + i * a.dilation[0]
                                let ox = x * a.stride[1] - a.padding[1] + j * a.dilation[1]
                                guard (0..<ho).contains(oy), (0..<wo).contains(ox) else { continue }
                                out[((n * co + c) * ho + oy) * wo + ox] += g[((n * s[1] + ci) * s[2] + y) * s[3] + x]
                                    * f[((ci * co + c) * k[2] + i) * k[3] + j]
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}
