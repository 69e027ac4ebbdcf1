import Foundation
import KilnFormats
import KilnIR
import KilnTestSupport
import Testing

@Suite("Graphviz DOT")
struct GraphvizDOTTests {
    /// A function with a fused kernel nested in a fused kernel, a multi-result kernel, a value used
    /// twice by one instruction, and a parameter returned as it is.
    static let nested = """
    func @f(%x: f32[2,3], %y: f32[2,3]) -> (f32[2,3], f32[3], f32[2,3]) {
      %c = constant() {value = 2.0} : f32[]
      %cb = broadcast_in_dim(%c) {shape = [2,3], dims = []} : f32[2,3]
      (%s, %r) = fused(%x, %y, %cb) {
        ^(%a: f32[2,3], %b: f32[2,3], %k: f32[2,3]):
          %d = sub(%a, %b) : f32[2,3]
          %e = fused(%d, %k) {
            ^(%p: f32[2,3], %q: f32[2,3]):
              %m = mul(%p, %q) : f32[2,3]
              %n = relu(%m) : f32[2,3]
              yield %n
          } : f32[2,3]
          yield %d, %e
      } : (f32[2,3], f32[2,3])
      %t = reduce_sum(%s) {axes = [0]} : f32[3]
      %u = add(%r, %r) : f32[2,3]
      return %u, %t, %x
    }
    """

    static func lines(_ dot: String, matching pattern: String) -> [String] {
        dot.split(separator: "\n").map(String.init).filter { $0.range(of: pattern, options: .regularExpression) != nil }
    }

    @Test("labels show any text as it is: quotes, backslashes, entities and control characters are escaped")
    func escaping() {
        #expect(dotQuoted("plain %x_1.2") == #""plain %x_1.2""#)
        #expect(dotQuoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(dotQuoted("&lt; & <b>{|}") == #""&amp;lt; &amp; <b>{|}""#)
        #expect(dotQuoted("line\nbreak\tand\r\u{1B}[31m\u{7F}") == #""line\\u{a}break\\u{9}and\\u{d}\\u{1b}[31m\\u{7f}""#)
        #expect(dotQuoted("\\N \\G \\l") == #""\\N \\G \\l""#, "no Graphviz escape survives")
        #expect(dotQuoted("ünïcode → ok") == "\"ünïcode → ok\"")
    }

    @Test("one node per instruction, fused kernels as nested clusters, edges for every use")
    func structure() throws {
        let f = try parseModule(Self.nested, file: "nested.kir").functions[0]
        try verify(f)
        let dot = graphvizDOT(f)
        #expect(dot.hasPrefix("digraph \"@f\" {\n") && dot.hasSuffix("}\n"))
        // Instructions outside kernels (c, cb, t, u) and inside them (d, m, n): the kernels are clusters.
        let nodes = Self.lines(dot, matching: #"^ *n[0-9]+ \[label="#)
        #expect(nodes.count == 7)
        #expect(Self.lines(dot, matching: #"subgraph cluster_"#).count == 2)
        #expect(dot.contains("subgraph cluster_1 {\n    label=\"fused → %s, %r\"") && dot.contains("    subgraph cluster_2 {\n      label=\"fused → %e\""))
        #expect(Self.lines(dot, matching: #"^ *p[0-9]+ \[.*shape=invhouse"#).count == 2)
        #expect(Self.lines(dot, matching: #"^ *r[0-9]+ \[.*shape=house"#).count == 3)
        #expect(dot.contains(#"n0 [label="%c = constant\nvalue = 2.0\nf32[]"]"#))
        #expect(dot.contains(#"[label="%t = reduce_sum\naxes = [0]\nf32[3]"]"#))
        // Edges: the kernel's parameters are its operands, its results the body's yielded values.
        let edges = Self.lines(dot, matching: " -> ").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(edges == [
            "n0 -> n1;",                     // c -> cb
            "p0 -> n2 [label=\"0\"];",       // x -> d = sub(a, b)
            "p1 -> n2 [label=\"1\"];",       // y -> d
            "n2 -> n3 [label=\"0\"];",       // d -> m = mul(p, q)
            "n1 -> n3 [label=\"1\"];",       // cb -> m
            "n3 -> n4;",                     // m -> n = relu
            "n2 -> n5;",                     // s (= d) -> t
            "n4 -> n6 [label=\"0\"];",       // r (= e = n) -> u, twice
            "n4 -> n6 [label=\"1\"];",
            "n6 -> r0;", "n5 -> r1;", "p0 -> r2;",
        ])
        // Edges come after every cluster has closed, so no node outside a kernel is pulled into it.
        let lastBrace = dot.range(of: "\n  }\n", options: .backwards)?.upperBound ?? dot.startIndex
        #expect(dot[..<lastBrace].contains(" -> ") == false)
        let rendered = try runGraphviz(dot)
        #expect(rendered.status == 0 && rendered.messages.isEmpty, "\(rendered.messages)")
        #expect(rendered.output.contains("<svg"))
    }

    @Test("names no parser accepts still render as they are, and long attributes are cut")
    func hostileNames() throws {
        let type = TensorType(.f32, [2])
        let name = "a\"b\\c&lt;\n}{|<x>\\N"
        let dense = [Scalar](repeating: .float(1.5), count: 2)
        let f = Function(name: "g\"\n", params: [Value(0)],
                         values: [ValueInfo(name: name, type: type), ValueInfo(name: "k", type: type), ValueInfo(name: "r", type: type),
                                  ValueInfo(name: "s", type: TensorType(.f32, [2, 100]))],
                         body: [Instruction(op: .constant(.dense(dense), type), operands: [], results: [Value(1)]),
                                Instruction(op: .binary(.add), operands: [Value(0), Value(1)], results: [Value(2)]),
                                Instruction(op: .broadcastInDim(shape: [2, 100], dims: [0]), operands: [Value(2)], results: [Value(3)])],
                         results: [Value(3)], resultTypes: [TensorType(.f32, [2, 100])])
        let dot = graphvizDOT(f)
        #expect(dot.contains(#"p0 [label="%a\"b\\c&amp;lt;\\u{a}}{|<x>\\N\nf32[2]\nparameter 0""#), "\(dot)")
        #expect(dot.contains(#"[label="%k = constant\ndense, 2 values\nf32[2]"]"#))
        #expect(dot.contains(#"shape = [2,100], dims = [0]"#))
        let rendered = try runGraphviz(dot)
        #expect(rendered.status == 0 && rendered.messages.isEmpty, "\(rendered.messages)")
        // SVG escapes XML: the label's text arrives whole, as written.
        #expect(rendered.output.contains(#"%a&quot;b\c&amp;lt;\u{a}}{|&lt;x&gt;\N"#), "\(rendered.output)")
        let limit = Function(name: "h", params: [Value(0)], values: [ValueInfo(name: "x", type: TensorType(.f32, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])),
                                                                       ValueInfo(name: "y", type: TensorType(.f32, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))],
                             body: [Instruction(op: .transpose(perm: Array((0..<10).reversed())), operands: [Value(0)], results: [Value(1)])],
                             results: [Value(1)], resultTypes: [TensorType(.f32, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])])
        #expect(graphvizDOT(limit).contains(#"perm = [9,8,7,6,5,4,3,2,1,0]"#), "short attributes stay whole")
        let long = Function(name: "h", params: [Value(0)], values: [ValueInfo(name: "x", type: TensorType(.f32, Array(repeating: 1, count: 30))),
                                                                      ValueInfo(name: "y", type: TensorType(.f32, Array(repeating: 1, count: 30)))],
                            body: [Instruction(op: .transpose(perm: Array((0..<30).reversed())), operands: [Value(0)], results: [Value(1)])],
                            results: [Value(1)], resultTypes: [TensorType(.f32, Array(repeating: 1, count: 30))])
        let cut = Self.lines(graphvizDOT(long), matching: "= transpose")
        let text = "perm = [" + (0..<30).reversed().map(String.init).joined(separator: ",") + "]"
        #expect(cut.count == 1 && cut[0].contains("\\n" + text.prefix(59) + "…\\n"), "\(cut)")
    }
}
