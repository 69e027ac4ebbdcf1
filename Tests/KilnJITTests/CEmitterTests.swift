import KilnCodegen
import KilnIR
import Testing

/// The shape of the generated C: one self-contained, deterministic, readable unit.
@Suite struct CEmitterTests {
    static let mlp = """
    func @mlp(%x: f32[8,4], %w1: f32[4,16], %b1: f32[16], %w2: f32[16,3]) -> (f32[8,3]) {
      %h = matmul(%x, %w1) : f32[8,16]
      %bb = broadcast_in_dim(%b1) {shape = [8,16], dims = [1]} : f32[8,16]
      %z = add(%h, %bb) : f32[8,16]
      %a = relu(%z) : f32[8,16]
      %y = matmul(%a, %w2) : f32[8,3]
      return %y
    }
    """

    @Test func mlpUnitIsSelfContainedAndReadable() throws {
        let f = try parseFunction(Self.mlp)
        let program = try emitC(f)
        let source = program.source
        #expect(source.hasPrefix("#line 1 \"mlp.c\"\n"))
        #expect(!source.contains("#include"))
        #expect(source.contains("void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);"))
        #expect(source.contains("cblas_sgemm(101, 111, 111, 8, 16, 4, 1.0f, a, 4, b, 16, 0.0f, out, 16);"))
        #expect(source.contains("/* %a = relu(%z) : f32[8,16] */\nstatic void v7_a(float *out, const float *x) {"))
        #expect(source.contains("for (long i = 0; i < 128; i += 4) {"))
        #expect(source.contains("void kiln_entry(void **args, char *arena) {"))
        #expect(!source.contains("expf") && !source.contains("kiln_max"))
        #expect(program.externalSymbols == ["cblas_sgemm", "memcpy"])
        #expect(try emitC(try parseFunction(Self.mlp)).source == source)
    }

    @Test func transposesFoldIntoGemmFlagsAndBatchesLoop() throws {
        let f = try singleOp(.matmul(transposeA: true, transposeB: true), [TensorType(.f64, [5, 3, 2]), TensorType(.f64, [5, 4, 3])])
        let source = try emitC(f).source
        #expect(source.contains("for (long p = 0; p < 5; p++) {"))
        #expect(source.contains("cblas_dgemm(101, 112, 112, 2, 4, 3, 1.0, a + p * 6, 2, b + p * 12, 3, 0.0, out + p * 8, 4);"))
    }

    @Test func reductionsUseSeveralAccumulators() throws {
        let f = try singleOp(.reduce(.sum, axes: [1]), [TensorType(.f32, [3, 100])])
        #expect(try emitC(f).source.contains("float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;"))
        #expect(try emitC(f, options: CodegenOptions(reductionAccumulators: 1)).source.contains("float acc0 = 0.0f;"))
        // An outer reduced axis: `out` starts at the identity and each run continues from it.
        let g = try singleOp(.reduce(.max, axes: [0, 2]), [TensorType(.i32, [3, 4, 50])])
        let source = try emitC(g).source
        #expect(source.contains("int acc0 = out[o1], acc1 = (-2147483647 - 1), acc2 = (-2147483647 - 1), acc3 = (-2147483647 - 1);"))
        #expect(source.contains("acc1 = acc1 > x[s1 + j + 1] ? acc1 : x[s1 + j + 1];"))
    }

    /// Special floats have no C literal: dense data holds their bits, scalars go through a helper.
    @Test func specialFloatsAreWrittenAsBits() throws {
        let dense = try singleOp(.constant(.dense([.float(.nan), .float(-0.0)]), TensorType(.f32, [2])), [])
        #expect(try emitC(dense).source.contains("static const unsigned v0_0[2] = {\n  0x7fc00000u, 0x80000000u\n};"))
        let splat = try singleOp(.constant(.splat(.float(-.infinity)), TensorType(.f64, [2])), [])
        #expect(try emitC(splat).source.contains("const double v = kiln_f64_bits(0xfff0000000000000ull);"))
    }

    /// Shapes within the IR's limits whose im2col or BLAS sizes are not: errors, not traps.
    @Test func oversizedConvolutionsAreErrors() throws {
        let scratch = try singleOp(.conv2d(ConvAttributes()), [TensorType(.f32, [1, 1, 131_072, 131_072]), TensorType(.f32, [1, 1, 65536, 65536])])
        #expect(throws: KilnError("a convolution needs more than 2^40 bytes of im2col scratch; use smaller shapes")) { try emitC(scratch) }
        let wide = try singleOp(.conv2d(ConvAttributes()), [TensorType(.f32, [1, 1, 46341, 46341]), TensorType(.f32, [1, 1, 1, 1])])
        #expect(throws: KilnError.self) { try emitC(wide) }
    }
}
