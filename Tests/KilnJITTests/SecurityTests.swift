import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import Testing

/// Nothing a `.kir` file holds reaches the generated C unescaped: hostile text is rejected by
/// the parser or verifier, names become generated identifiers, comments cannot be closed early.
@Suite struct SecurityTests {
    static let payload = #"*/ system("echo pwned"); /*"#

    /// `.kir` texts smuggling C through names, strings and comments: each is rejected, with a place.
    @Test(arguments: [
        "func @f(%x*/system(\"id\");/*: f32[2]) -> (f32[2]) {\n  return %x\n}",
        "func @f\"*/system(\"id\")(%x: f32[2]) -> (f32[2]) {\n  return %x\n}",
        "func @f(%a: f32[2], %b: f32[2]) -> (bool[2]) {\n  %c = compare(%a, %b) {direction = \"lt*/system(\\\"id\\\");/*\"} : bool[2]\n  return %c\n}",
        "func @f(%a: f32[2]) -> (i32[2]) {\n  %c = convert(%a) {dtype = \"i32\\n#define float int\"} : i32[2]\n  return %c\n}",
        "func @f(%a: f32[2]) -> (f32[2]) {\n  %c = neg(%a) {note = \"*/ #define x\"} : f32[2]\n  return %c\n}",
        "func @f(%a: f32[2]) -> (f32[2]) {\n  %c = pad(%a) {low = [0], high = [0], value = \"*/\"} : f32[2]\n  return %c\n}",
        "func @f(%a: f32[2]) -> (f32[2]) {\n  %c = neg(%a) : f32[2] */ system(\"id\");\n  return %c\n}",
    ])
    func hostileTextIsRejected(text: String) {
        do {
            try verify(try parseModule(text, file: "hostile.kir"))
            Issue.record("accepted:\n\(text)")
        } catch {
            #expect(error.location?.file == "hostile.kir")
        }
    }

    /// Comments in `.kir` files never reach C, and the canonical text in C comments is escaped.
    @Test func commentsAndNamesThatLookLikeC() throws {
        let text = """
        # */ #define float int
        func @system(%args: f32[3], %kiln_entry: f32[3]) -> (f32[3], f32[3]) {  # /* trailing */
          %memcpy = add(%args, %kiln_entry) : f32[3]
          %int = neg(%memcpy) : f32[3]
          %v1_memcpy = mul(%int, %args) : f32[3]
          %arena.out = sub(%v1_memcpy, %int) : f32[3]
          %define.x = constant() {value = dense<[1.0,-2.0,3.5]>} : f32[3]
          return %arena.out, %define.x
        }
        """
        let f = try parseFunction(text)
        let source = try emitC(f).source
        #expect(!source.contains("#define"))
        #expect(!source.contains("trailing"))
        for (id, info) in f.values.enumerated() where id >= 2 {
            let use = info.name == "define.x" ? "[3] = {" : "("
            #expect(source.contains(cIdentifier(id: id, name: info.name) + use), "\(info.name)")
        }
        try expectMatchesInterpreter(f, try testInputs(f, edges: false))
    }

    /// A function built in code (no parser) with hostile names is refused before C is written.
    @Test func hostileNamesFromCodeAreRefused() throws {
        var f = try singleOp(.unary(.neg), [TensorType(.f32, [2])])
        f.values[1].name = Self.payload
        #expect(throws: KilnError.self) { try emitC(f) }
        var g = try singleOp(.unary(.neg), [TensorType(.f32, [2])])
        g.name = "f\n#define float int"
        #expect(throws: KilnError.self) { try JITCompiler.shared.compile(g) }
    }

    @Test func sanitizersNeutralizeCSyntax() {
        #expect(cIdentifier(id: 7, name: Self.payload) == "v7____system__echo_pwned______")
        #expect(cIdentifier(id: 3, name: "h.1") == "v3_h_1")
        #expect(cIdentifier(id: 0, name: String(repeating: "a", count: 100)).count == 35)
        let comment = cCommentText("a */ b /* c\n#define d \\\n e **/ f //* g", limit: 1000)
        #expect(!comment.contains("*/") && !comment.contains("/*") && !comment.contains("\n") && !comment.contains("\\"))
        #expect(comment.hasPrefix("a * / b / * c?#define d"))
        #expect(cCommentText(String(repeating: "x", count: 500)).count == 164)
    }

    /// A large dense constant shows in its comment cut short; the data is exact.
    @Test func longConstantsAreCutInComments() throws {
        let values = (0..<300).map { Scalar.float(Double($0) * 0.1) }
        let f = try singleOp(.constant(.dense(values), TensorType(.f64, [300])), [])
        let source = try emitC(f).source
        let comment = source.split(separator: "\n").first { $0.hasPrefix("/* %") } ?? ""
        #expect(comment.count < 200 && comment.hasSuffix("... */"))
        try expectMatchesInterpreter(f, [])
    }
}
