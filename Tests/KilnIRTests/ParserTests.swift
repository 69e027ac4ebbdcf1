import Testing
@testable import KilnIR

@Suite struct ParserTests {
    static let mlpLoss = """
    # a comment runs to the end of the line
    func @mlp_loss(%x: f32[64,784], %labels: i32[64], %w1: f32[784,128], %b1: f32[128]) -> (f32[]) {
      %h = matmul(%x, %w1) : f32[64,128]
      %bb = broadcast_in_dim(%b1) {shape = [64,128], dims = [1]} : f32[64,128]
      %z = add(%h, %bb) : f32[64,128]
      %zero = constant() {value = 0.0} : f32[]
      %zb = broadcast_in_dim(%zero) {shape = [64,128], dims = []} : f32[64,128]
      %a = max(%z, %zb) : f32[64,128]
      %s = reduce_sum(%a) {axes = [0,1]} : f32[]
      return %s
    }
    """

    @Test func parsesTheContractExample() throws {
        let module = try parseModule(Self.mlpLoss, file: "mlp.kir")
        try verify(module)
        let f = try #require(module.functions.first)
        #expect(f.name == "mlp_loss")
        #expect(f.paramTypes == [TensorType(.f32, [64, 784]), TensorType(.i32, [64]), TensorType(.f32, [784, 128]), TensorType(.f32, [128])])
        #expect(f.resultTypes == [TensorType(.f32, [])])
        #expect(f.body.map(\.op.name) == ["matmul", "broadcast_in_dim", "add", "constant", "broadcast_in_dim", "max", "reduce_sum"])
        #expect(f.body[1].op == .broadcastInDim(shape: [64, 128], dims: [1]))
        #expect(f.body[0].location == SourceLocation(file: "mlp.kir", line: 3, column: 8))
    }

    @Test func canonicalTextIsAFixedPoint() throws {
        let text = printModule(try parseModule(Self.mlpLoss, file: "a.kir"))
        #expect(!text.contains("#"))
        #expect(text.contains("  %bb = broadcast_in_dim(%b1) {shape = [64,128], dims = [1]} : f32[64,128]\n"))
        #expect(printModule(try parseModule(text, file: "b.kir")) == text)
    }

    @Test func freeFormattingParsesToTheSameFunction() throws {
        let messy = """
        func   @f( %a :f32[2] ,%b: f32 [ 2 ] )->( f32[2] ){%c=add( %a,%b ) :f32[2]
        return %c}
        """
        let tidy = "func @f(%a: f32[2], %b: f32[2]) -> (f32[2]) {\n  %c = add(%a, %b) : f32[2]\n  return %c\n}\n"
        #expect(printModule(try parseModule(messy, file: "m.kir")) == tidy)
    }

    @Test func constantsKeepTheirValuesExactly() throws {
        let text = """
        func @c() -> (f32[2,2], f64[], i64[3], bool[2], f32[3]) {
          %a = constant() {value = dense<[[1.0,-2.5],[0.1,3e-05]]>} : f32[2,2]
          %b = constant() {value = 0.1} : f64[]
          %c = constant() {value = dense<[-9223372036854775808,0,7]>} : i64[3]
          %d = constant() {value = dense<[true,false]>} : bool[2]
          %e = constant() {value = dense<[inf,-inf,nan]>} : f32[3]
          return %a, %b, %c, %d, %e
        }
        """
        let module = try parseModule(text, file: "c.kir")
        try verify(module)
        let printed = printModule(module)
        #expect(printed.contains("dense<[[1.0,-2.5],[0.1,3e-05]]>"))
        #expect(printed.contains("{value = 0.1} : f64[]"))
        #expect(printed.contains("dense<[-9223372036854775808,0,7]>"))
        #expect(printed.contains("dense<[inf,-inf,nan]>"))
        #expect(printModule(try parseModule(printed, file: "c2.kir")) == printed)
        guard case .constant(.dense(let values), _) = module.functions[0].body[0].op else {
            Issue.record("expected a dense constant"); return
        }
        #expect(values[2] == .float(Double(Float(0.1))))
    }

    @Test func defaultsAreFilledInAndPrinted() throws {
        let text = """
        func @p(%x: f32[1,1,4,4], %w: f32[2,1,3,3]) -> (f32[1,1,2,2], f32[1,2,2,2]) {
          %m = max_pool2d(%x) {window = [2,2]} : f32[1,1,2,2]
          %c = conv2d(%x, %w) : f32[1,2,2,2]
          return %m, %c
        }
        """
        let printed = printModule(try parseModule(text, file: "p.kir"))
        #expect(printed.contains("max_pool2d(%x) {window = [2,2], stride = [2,2], padding = [0,0]}"))
        #expect(printed.contains("conv2d(%x, %w) {stride = [1,1], padding = [0,0], dilation = [1,1]}"))
    }

    @Test func stringsRoundTripWithEscapes() throws {
        #expect(quoteString("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u{1}""#)
        let text = #"func @s(%x: f32[2]) -> (f32[2], bool[2]) { %y = compare(%x, %x) {direction = "l\u{74}"} : bool[2]"# + "\n return %x, %y }"
        let f = try parseModule(text, file: "s.kir").functions[0]
        #expect(f.body[0].op == .compare(.lt))
    }
}
