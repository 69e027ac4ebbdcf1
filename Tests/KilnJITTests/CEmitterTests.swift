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

    /// The rest of the unit's shape is checked in ir-examples/codegen/mlp_unit.kir.
    @Test func mlpUnitIsSelfContainedAndDeterministic() throws {
        let f = try parseFunction(Self.mlp)
        let program = try emitC(f)
        #expect(program.source.hasPrefix("#line 1 \"mlp.c\"\n"))
        #expect(program.externalSymbols == ["cblas_sgemm", "memcpy"])
        #expect(try emitC(try parseFunction(Self.mlp)).source == program.source)
    }

    /// Shapes within the IR's limits whose im2col or BLAS sizes are not: errors, not traps.
    @Test func oversizedConvolutionsAreErrors() throws {
        let scratch = try singleOp(.conv2d(ConvAttributes()), [TensorType(.f32, [1, 1, 131_072, 131_072]), TensorType(.f32, [1, 1, 65536, 65536])])
        #expect(throws: KilnError("'conv2d' needs more than 2^40 bytes of im2col scratch; use smaller shapes")) { try emitC(scratch) }
        let wide = try singleOp(.conv2d(ConvAttributes()), [TensorType(.f32, [1, 1, 46341, 46341]), TensorType(.f32, [1, 1, 1, 1])])
        #expect(throws: KilnError.self) { try emitC(wide) }
    }
}
