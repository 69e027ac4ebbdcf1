import KilnIR

/// Options of C code generation.
public struct CodegenOptions: Hashable, Sendable {
    /// Independent partial results per innermost reduced run (1...8). 1 keeps the interpreter's
    /// row-major summation order exactly; more are faster under tcc and reassociate float sums.
    public var reductionAccumulators: Int
    /// The most im2col elements one convolution product covers (at least one sample each): a
    /// convolution over a batch is one gemm per chunk of samples whose columns fit this bound.
    /// 1 keeps one product per sample, the interpreter's summation order for
    /// `conv2d_filter_grad`. The default, 2^20 (4 MiB of f32), keeps a chunk's columns in the
    /// last-level cache while its gemm reads them, and the gemm wide (measured, docs/benchmarks.md).
    public var convolutionChunkElements: Int
    /// Threads the unit's parallel loops run on (1...`maxThreads`); nil: `defaultThreadCount()`
    /// (`KILN_NUM_THREADS`, else every core), read when the unit is generated.
    public var threads: Int?
    /// The least work (elements times their cost: 8 for a libm call, 1 otherwise) of a loop that
    /// runs on several threads; smaller loops stay on the calling thread.
    public var parallelThreshold: Int
    /// OpenBLAS's own thread count, which a unit whose products its threads split restores when
    /// its entry point returns (it runs OpenBLAS on one thread meanwhile, LinalgLowering.swift);
    /// nil: the count the entry point finds when it starts. The JIT sets the process's count.
    public var blasThreads: Int?
    /// Whether f32 `exp`, `log`, `tanh` and `sigmoid` call libm as the interpreter does (bit-exact);
    /// by default they are inline polynomials gcc vectorizes, within a few ulp of libm (`InlineMath`).
    public var libmFunctions: Bool

    /// The work below which a loop stays serial by default (measured, docs/benchmarks.md, Threads
    /// in generated code): waking the pool beside OpenBLAS's threads costs about 8 µs.
    public static let defaultParallelThreshold = 131_072

    public init(reductionAccumulators: Int = 4, convolutionChunkElements: Int = defaultConvolutionChunkElements,
                threads: Int? = nil, parallelThreshold: Int = defaultParallelThreshold, libmFunctions: Bool = false) {
        self.reductionAccumulators = min(max(reductionAccumulators, 1), 8)
        self.convolutionChunkElements = max(convolutionChunkElements, 1)
        self.threads = threads.map { min(max($0, 1), maxThreads) }
        self.parallelThreshold = max(parallelThreshold, 0)
        self.libmFunctions = libmFunctions
    }

    /// These options with `threads` decided (from the environment when nil).
    public func resolvingThreads() throws(KilnError) -> CodegenOptions {
        var options = self
        if threads == nil { options.threads = try defaultThreadCount() }
        return options
    }

    /// The default `convolutionChunkElements`.
    public static let defaultConvolutionChunkElements = 1 << 20
}

/// What code generation makes of one instruction.
enum LoweredInstruction {
    /// The body of `static void <value>(T *out, const T *<operand>..., T *scratch)`; a kernel
    /// of several results writes `out0, out1, ...` (see `outputNames`).
    case kernel(operandNames: [String], KernelBuilder)
    /// A dense constant: static data of the unit, no code.
    case data([Scalar])
    /// `all_reduce`: a kernel copying the operand (`x`) into the result, after whose call the entry
    /// point starts reducing the result in place; it waits where `MemoryPlan.reductionWaits` says.
    case reduction(KernelBuilder, AllReduceOp)

    /// The kernel and its operands' names, for every case that runs code.
    var kernel: (operandNames: [String], builder: KernelBuilder)? {
        switch self {
        case let .kernel(names, k): return (names, k)
        case .data: return nil
        case .reduction(let k, _): return (["x"], k)
        }
    }
}

/// The names of a kernel's output pointers: `out` for one result, else `out0, out1, ...`.
func outputNames(_ count: Int) -> [String] {
    count == 1 ? ["out"] : (0..<count).map { "out\($0)" }
}

/// Lowers one instruction of `f` (already verified): the one place that knows every op.
func lower(_ inst: Instruction, in f: Function, options: CodegenOptions) throws(KilnError) -> LoweredInstruction {
    guard let result = inst.results.first else { throw internalError("an instruction without result") }
    let out = f.type(of: result)
    let types = inst.operands.map(f.type(of:))
    func operand(_ i: Int) throws(KilnError) -> TensorType {
        guard i < types.count else { throw internalError("'\(inst.op.name)' is missing operand \(i)") }
        return types[i]
    }
    var k = KernelBuilder()
    k.threads = options.threads ?? 1
    k.parallelThreshold = options.parallelThreshold
    k.libmFunctions = options.libmFunctions
    let names: [String]
    switch inst.op {
    case let .constant(literal, _):
        switch literal {
        case .dense(let values): return .data(values)
        case .splat(let value): k.lowerSplat(value, out)
        }
        names = []
    case let .iota(axis, _):
        k.lowerIota(axis: axis, out)
        names = []
    case .unary(let u):
        try k.lowerUnary(u, try operand(0))
        names = ["x"]
    case .binary(let b):
        k.lowerBinary(b, out)
        names = ["a", "b"]
    case .compare(let d):
        k.lowerCompare(d, out.count)
        names = ["a", "b"]
    case .select:
        k.lowerSelect(out.count, out.dtype)
        names = ["cond", "a", "b"]
    case .convert(let dtype):
        k.lowerConvert(from: try operand(0), to: dtype)
        names = ["x"]
    case let .reduce(r, axes):
        k.lowerReduce(r, axes: axes, try operand(0), out, accumulators: options.reductionAccumulators)
        names = ["x"]
    case .argmax(let axis):
        k.lowerArgmax(axis: axis, try operand(0))
        names = ["x"]
    case .broadcastInDim(_, let dims):
        k.lowerBroadcast(dims: dims, try operand(0), out)
        names = ["x"]
    case .reshape:
        k.copy(out.count, out.dtype)
        names = ["x"]
    case .transpose(let perm):
        k.lowerTranspose(perm: perm, try operand(0), out)
        names = ["x"]
    case let .slice(start, _, stride):
        k.lowerSlice(start: start, stride: stride, try operand(0), out)
        names = ["x"]
    case .concatenate(let axis):
        k.lowerConcatenate(axis: axis, types, out)
        names = types.indices.map { "x\($0)" }
    case let .pad(low, _, value):
        k.lowerPad(low: low, value: value, try operand(0), out)
        names = ["x"]
    case .reverse(let axes):
        k.lowerReverse(axes: axes, try operand(0))
        names = ["x"]
    case let .matmul(ta, tb):
        try k.lowerMatmul(transposeA: ta, transposeB: tb, try operand(0), try operand(1), out)
        names = ["a", "b"]
    case .conv2d(let a):
        try k.lowerConv2d(a, try operand(0), try operand(1), out, chunkElements: options.convolutionChunkElements)
        names = ["input", "filter"]
    case .conv2dTranspose(let a, _):
        try k.lowerConv2dTranspose(a, try operand(0), try operand(1), out, chunkElements: options.convolutionChunkElements)
        names = ["input", "filter"]
    case let .conv2dFilterGrad(a, window):
        try k.lowerConv2dFilterGrad(a, window: window, try operand(0), try operand(1), out,
                                    chunkElements: options.convolutionChunkElements)
        names = ["input", "grad"]
    case .maxPool2d(let p):
        k.lowerMaxPool(p, try operand(0), out)
        names = ["x"]
    case .avgPool2d(let p):
        k.lowerAvgPool(p, try operand(0), out)
        names = ["x"]
    case .maxPool2dGrad(let p):
        k.lowerMaxPoolGrad(p, try operand(0), try operand(1))
        names = ["x", "grad"]
    case .avgPool2dGrad(let p):
        k.lowerAvgPoolGrad(p, try operand(0), try operand(1))
        names = ["x", "grad"]
    case .gather(let axis):
        k.lowerGather(axis: axis, try operand(0), try operand(1), out)
        names = ["table", "idx"]
    case .scatterAdd(let axis):
        k.lowerScatterAdd(axis: axis, try operand(0), try operand(1))
        names = ["target", "idx", "updates"]
    case let .oneHot(depth, _):
        k.lowerOneHot(depth: depth, try operand(0), out)
        names = ["idx"]
    case .rngUniform(let seed, _):
        k.lowerRngUniform(seed: seed, hasKey: !types.isEmpty, out)
        names = types.isEmpty ? [] : ["key"]
    case .rngNormal(let seed, _):
        k.lowerRngNormal(seed: seed, hasKey: !types.isEmpty, out)
        names = types.isEmpty ? [] : ["key"]
    case .allReduce(let r):
        k.copy(out.count, out.dtype)
        return .reduction(k, r)
    case .fused(let body):
        try k.lowerFused(body, options: options)
        names = types.indices.map { "p\($0)" }
    }
    guard names.count == types.count else {
        throw internalError("'\(inst.op.name)' lowered with \(names.count) operands, has \(types.count)")
    }
    return .kernel(operandNames: names, k)
}
