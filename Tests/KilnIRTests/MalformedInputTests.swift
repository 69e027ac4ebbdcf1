import Testing
@testable import KilnIR

/// A malformed `.kir` text and the error it must produce: place and a fragment of the message.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let line: Int
    let column: Int
    let fragment: String

    init(_ name: String, _ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        self.init(name, bytes: Array(text.utf8), line, column, fragment)
    }

    init(_ name: String, bytes: [UInt8], _ line: Int, _ column: Int, _ fragment: String) {
        self.name = name
        self.bytes = bytes
        self.line = line
        self.column = column
        self.fragment = fragment
    }

    var testDescription: String { name }
}

/// Wraps `body` lines in a function with parameters `%x: f32[2,3]` and `%i: i32[4]`.
private func fn(_ body: String, returns: String = "f32[2,3]", ret: String = "%x") -> String {
    "func @f(%x: f32[2,3], %i: i32[4]) -> (\(returns)) {\n\(body)\n  return \(ret)\n}\n"
}

let malformedCases: [MalformedCase] = [
    // Lexical
    MalformedCase("empty file", "", 1, 1, "holds no function"),
    MalformedCase("only a comment", "# nothing here\n", 2, 1, "holds no function"),
    MalformedCase("non-UTF-8 byte", bytes: Array("func @f() -> () {\n  return\n}\n# caf".utf8) + [0xE9, 0x0A], 4, 6, "not valid UTF-8"),
    MalformedCase("truncated UTF-8 sequence", bytes: Array("func @f".utf8) + [0xE2, 0x82], 1, 8, "not valid UTF-8"),
    MalformedCase("overlong UTF-8 encoding", bytes: [0x66, 0xC0, 0xAF], 1, 2, "not valid UTF-8"),
    MalformedCase("unexpected character", fn("  %y = neg(%x) : f32[2,3] ;"), 2, 27, "unexpected character ';'"),
    MalformedCase("control character", fn("  %y = neg(%x)\u{7} : f32[2,3]"), 2, 15, "U+7"),
    MalformedCase("unterminated string", fn("  %y = compare(%x, %x) {direction = \"lt} : bool[2,3]"), 2, 37, "unterminated string"),
    MalformedCase("unknown string escape", fn("  %y = compare(%x, %x) {direction = \"l\\q\"} : bool[2,3]"), 2, 39, "unknown escape"),
    MalformedCase("malformed number", fn("  %c = constant() {value = 1.} : f32[]"), 2, 28, "expected digits after '.'"),
    MalformedCase("letters after digits", fn("  %c = constant() {value = 12ab} : f32[]"), 2, 30, "malformed number"),
    MalformedCase("bare percent sign", fn("  % = neg(%x) : f32[2,3]"), 2, 3, "expected a name after '%'"),
    // Structure
    MalformedCase("missing func keyword", "fun @f() -> () { return }", 1, 1, "expected 'func'"),
    MalformedCase("missing function name", "func f() -> () { return }", 1, 6, "expected a function name"),
    MalformedCase("missing arrow", "func @f(%x: f32[2]) (f32[2]) { return %x }", 1, 21, "expected '->'"),
    MalformedCase("missing return", "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = neg(%x) : f32[2]\n}", 3, 1, "expected 'return'"),
    MalformedCase("truncated file", "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = neg(%x) : f3", 2, 18, "expected a type"),
    MalformedCase("truncated after return", "func @f(%x: f32[2]) -> (f32[2]) {\n  return %x", 2, 12, "expected '}'"),
    MalformedCase("missing equals", fn("  %y neg(%x) : f32[2,3]"), 2, 6, "expected '='"),
    MalformedCase("missing result type", fn("  %y = neg(%x)\n  %z = neg(%y) : f32[2,3]"), 3, 3, "expected ':'"),
    MalformedCase("missing operand parentheses", fn("  %y = neg %x : f32[2,3]"), 2, 12, "expected '('"),
    MalformedCase("unclosed operand list", fn("  %y = add(%x, %x : f32[2,3]"), 2, 19, "expected ')'"),
    MalformedCase("op name missing", fn("  %y = (%x) : f32[2,3]"), 2, 8, "expected an op name"),
    MalformedCase("duplicate parameter", "func @f(%x: f32[2], %x: f32[2]) -> (f32[2]) { return %x }", 1, 21, "already defined at 1:9"),
    MalformedCase("return count mismatch", fn("", returns: "f32[2,3], f32[2,3]"), 3, 3, "return gives 1 value but @f declares 2 results"),
    MalformedCase("result names and types differ", fn("  (%a, %b) = neg(%x) : f32[2,3]"), 2, 24, "2 results named but 1 type given"),
    MalformedCase("two results for a one-result op", fn("  (%a, %b) = neg(%x) : (f32[2,3], f32[2,3])"), 2, 14, "'neg' gives f32[2,3]"),
    MalformedCase("function defined twice", "func @f() -> () {\n  return\n}\nfunc @f() -> () {\n  return\n}\n", 4, 1, "defined twice"),
    // Names and SSA
    MalformedCase("undefined operand", fn("  %y = neg(%q) : f32[2,3]"), 2, 12, "%q is not defined"),
    MalformedCase("use before definition", fn("  %y = neg(%z) : f32[2,3]\n  %z = neg(%x) : f32[2,3]"), 2, 12, "%z is not defined"),
    MalformedCase("redefined value", fn("  %y = neg(%x) : f32[2,3]\n  %y = abs(%x) : f32[2,3]"), 3, 3, "%y is already defined at 2:3"),
    MalformedCase("redefined parameter", fn("  %x = neg(%x) : f32[2,3]"), 2, 3, "%x is already defined at 1:9"),
    MalformedCase("undefined returned value", fn("", ret: "%nope"), 3, 10, "%nope is not defined"),
    // Ops and arity
    MalformedCase("unknown op", fn("  %y = frobnicate(%x) : f32[2,3]"), 2, 8, "unknown op 'frobnicate'"),
    MalformedCase("misspelled op", fn("  %y = tanhh(%x) : f32[2,3]"), 2, 8, "did you mean 'tanh'"),
    MalformedCase("unknown op with a huge name", fn("  %y = " + String(repeating: "a", count: 1_000_000) + "(%x) : f32[2,3]"), 2, 8, "see docs/ir.md for the op list"),
    MalformedCase("too few operands", fn("  %y = add(%x) : f32[2,3]"), 2, 8, "'add' takes 2 operands, got 1"),
    MalformedCase("too many operands", fn("  %y = neg(%x, %x) : f32[2,3]"), 2, 8, "'neg' takes 1 operand, got 2"),
    // Types
    MalformedCase("type mismatch in binary op", fn("  %y = add(%x, %i) : f32[2,3]"), 2, 8, "equal type"),
    MalformedCase("declared type differs from inferred", fn("  %y = neg(%x) : f32[3,2]"), 2, 8, "%y is declared f32[3,2] but 'neg' gives f32[2,3]"),
    MalformedCase("float op on integers", fn("  %y = exp(%i) : i32[4]"), 2, 8, "needs an f32 or f64 operand"),
    MalformedCase("return type mismatch", fn("", returns: "f64[2,3]"), 1, 1, "signature declares (f64[2,3])"),
    MalformedCase("bad dtype", "func @f(%x: f16[2]) -> (f32[2]) { return %x }", 1, 13, "expected a type like f32[2,3]"),
    MalformedCase("shape without brackets", "func @f(%x: f32) -> (f32[2]) { return %x }", 1, 16, "expected '[' after dtype f32"),
    MalformedCase("negative dimension", "func @f(%x: f32[-2]) -> (f32[2]) { return %x }", 1, 17, "dimension -2 is negative"),
    MalformedCase("enormous dimension", "func @f(%x: f32[99999999999999999999999]) -> (f32[2]) { return %x }", 1, 17, "not a valid size"),
    MalformedCase("enormous element count", "func @f(%x: f32[2147483647,2147483647]) -> (f32[2]) { return %x }", 1, 13, "more than 17179869184 elements"),
    MalformedCase("rank above the limit", "func @f(%x: f32[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]) -> () { return }", 1, 13, "rank 17 exceeds"),
    MalformedCase("float dimension", "func @f(%x: f32[2.5]) -> (f32[2]) { return %x }", 1, 17, "not a valid size"),
    // Attributes
    MalformedCase("missing attribute", fn("  %y = reduce_sum(%x) : f32[]"), 2, 8, "needs attribute 'axes'"),
    MalformedCase("unknown attribute", fn("  %y = neg(%x) {fast = true} : f32[2,3]"), 2, 17, "'neg' has no attribute 'fast'"),
    MalformedCase("duplicate attribute", fn("  %y = transpose(%x) {perm = [1,0], perm = [1,0]} : f32[3,2]"), 2, 37, "given twice"),
    MalformedCase("attribute of the wrong kind", fn("  %y = transpose(%x) {perm = 1} : f32[3,2]"), 2, 23, "must be a list of integers"),
    MalformedCase("bad attribute value", fn("  %y = reduce_sum(%x) {axes = [0,7]} : f32[2]"), 2, 8, "must list distinct axes in 0..<2"),
    MalformedCase("unknown compare direction", fn("  %y = compare(%x, %x) {direction = \"lq\"} : bool[2,3]"), 2, 25, "unknown compare direction"),
    MalformedCase("unknown convert dtype", fn("  %y = convert(%x) {dtype = \"f16\"} : f32[2,3]"), 2, 21, "unknown dtype \"f16\""),
    MalformedCase("integer constant for a float list", fn("  %c = constant() {value = 1.5} : i32[]"), 2, 20, "is not an i32 integer"),
    MalformedCase("dense of the wrong shape", fn("  %c = constant() {value = dense<[1.0,2.0,3.0]>} : f32[2]"), 2, 20, "does not have shape [2]"),
    MalformedCase("missing attribute value", fn("  %y = transpose(%x) {perm = } : f32[3,2]"), 2, 30, "expected an attribute value"),
    MalformedCase("deeply nested attribute", fn("  %c = constant() {value = dense<" + String(repeating: "[", count: 100_000) + "1.0"
                                                + String(repeating: "]", count: 100_000) + ">} : f32[]"), 2, 97, "nested deeper than 64"),
    MalformedCase("broadcast to an incompatible shape", fn("  %y = broadcast_in_dim(%x) {shape = [4,3], dims = [0,1]} : f32[4,3]"), 2, 8, "cannot broadcast axis 0"),
    MalformedCase("matmul contraction mismatch", fn("  %y = matmul(%x, %x) : f32[2,3]"), 2, 8, "contraction sizes differ"),
    MalformedCase("slice out of range", fn("  %y = slice(%x) {start = [0,0], limit = [3,3], stride = [1,1]} : f32[3,3]"), 2, 8, "need 0 <= start (0) <= limit (3) <= 2"),
    // Extreme values (reproducers of overflow traps and absurd allocations)
    MalformedCase("slice stride near Int.max", fn("  %y = slice(%x) {start = [0,0], limit = [2,3], stride = [1,9223372036854775807]} : f32[2,1]"),
                  2, 8, "'slice' attribute 'stride' entries must be in 1...2147483647"),
    MalformedCase("pad low near Int.max", fn("  %y = pad(%x) {low = [0,9223372036854775807], high = [0,0], value = 0.0} : f32[2,3]"),
                  2, 8, "'pad' attribute 'low' entries must be in 0...2147483647"),
    MalformedCase("pad high near Int.max", fn("  %y = pad(%x) {low = [0,0], high = [9223372036854775806,0], value = 0.0} : f32[2,3]"),
                  2, 8, "'pad' attribute 'high' entries must be in 0...2147483647"),
    MalformedCase("pool window and padding near Int.max", image("  %y = max_pool2d(%x) {window = [9223372036854775807,1], stride = [1,1], padding = [9223372036854775806,0]} : f32[1,1,1,4]"),
                  2, 8, "'max_pool2d' attribute 'window' entries must be in 1...2147483647"),
    MalformedCase("conv dilation near Int.max", image("  %y = conv2d(%x, %w) {stride = [1,1], padding = [0,0], dilation = [4611686018427387904,1]} : f32[1,1,1,4]"),
                  2, 8, "'conv2d' attribute 'dilation' entries must be in 1...2147483647"),
    MalformedCase("conv2d_transpose stride near Int.max", image("  %y = conv2d_transpose(%x, %w) {stride = [9223372036854775807,1], padding = [0,0], output_padding = [0,0], dilation = [1,1]} : f32[1,1,4,4]"),
                  2, 8, "'conv2d_transpose' attribute 'stride' entries must be in 1...2147483647"),
    MalformedCase("conv2d_transpose dilation near Int.max", image("  %y = conv2d_transpose(%x, %w) {stride = [1,1], padding = [0,0], output_padding = [0,0], dilation = [1,9223372036854775807]} : f32[1,1,4,4]"),
                  2, 8, "'conv2d_transpose' attribute 'dilation' entries must be in 1...2147483647"),
    MalformedCase("small dense literal of a huge type", fn("  %c = constant() {value = dense<[1.0,2.0]>} : f32[131072,131072]"),
                  2, 20, "dense value does not have shape [131072, 131072]"),
    MalformedCase("element count beyond Int", "func @f(%x: f32[2147483647,2147483647,2147483647,2147483647,2147483647]) -> () { return }",
                  1, 13, "more than 17179869184 elements"),
    MalformedCase("f32 literal out of range", fn("  %c = constant() {value = 1e999} : f32[]"), 2, 20, "'1e999' is out of range for f32"),
    MalformedCase("f32 literal just past the largest", fn("  %c = constant() {value = -3.4028236e38} : f32[]"), 2, 20, "out of range for f32"),
    MalformedCase("f64 literal out of range", fn("  %c = constant() {value = dense<[1.0,1e309]>} : f64[2]"), 2, 20, "'1e309' is out of range for f64"),
    MalformedCase("pad value out of range", fn("  %y = pad(%x) {low = [0,0], high = [0,0], value = 1e39} : f32[2,3]"), 2, 44, "'1e39' is out of range for f32"),
]

/// Wraps `body` lines in a function with an NCHW image `%x: f32[1,1,4,4]` and a filter `%w: f32[1,1,1,1]`.
private func image(_ body: String) -> String {
    "func @f(%x: f32[1,1,4,4], %w: f32[1,1,1,1]) -> (f32[1,1,4,4]) {\n\(body)\n  return %x\n}\n"
}

@Suite struct MalformedInputTests {
    @Test(arguments: malformedCases)
    func malformedInputIsAnErrorWithLineAndColumn(_ c: MalformedCase) {
        do {
            let module = try parseModule(bytes: c.bytes, file: "bad.kir")
            try verify(module)
            Issue.record("\(c.name): accepted, expected an error")
        } catch {
            let location = error.location
            #expect(location?.file == "bad.kir", "\(c.name): \(error)")
            #expect(location?.line == c.line && location?.column == c.column,
                    "\(c.name): expected \(c.line):\(c.column), got \(error)")
            #expect(error.message.contains(c.fragment), "\(c.name): message \(error.message)")
        }
    }

    @Test func corpusIsLargeAndDistinct() {
        #expect(malformedCases.count >= 40)
        #expect(Set(malformedCases.map(\.name)).count == malformedCases.count)
    }
}
