import Foundation
import KilnIR
import KilnTestSupport
import Testing

@Suite("kiln graph")
struct GraphCommandTests {
    /// Every `.kir` file under ir-examples/, relative to it.
    static let examples: [String] = {
        let root = IRExamples.root.path
        let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return all.filter { $0.hasSuffix(".kir") }.sorted()
    }()

    @Test("every function of every ir-examples file, as written and after the passes, renders with dot -Tsvg without a message",
          arguments: examples)
    func rendersEveryExample(_ example: String) throws {
        let path = IRExamples.root.appendingPathComponent(example).path
        let module = try parseModule(bytes: try readModuleFile(path), file: path)
        let w = try Workspace()
        for f in module.functions {
            for passes in ["none", "default"] {
                let graph = try w.kiln(["graph", path, "--function", f.name, "--passes", passes])
                #expect(graph.status == 0, "\(example) @\(f.name) --passes \(passes): \(graph.stderr)")
                let nodes = graph.stdout.split(separator: "\n").count { $0.range(of: #"^ *n[0-9]+ \[label="#, options: .regularExpression) != nil }
                if passes == "none" { #expect(nodes == instructionCount(f), "\(example) @\(f.name)") }
                let rendered = try runGraphviz(graph.stdout)
                #expect(rendered.status == 0 && rendered.messages.isEmpty, "\(example) @\(f.name) --passes \(passes): \(rendered.messages)")
            }
        }
    }

    @Test("the optimized MLP training step draws its fused kernels as clusters; -o writes the file; bad input is an error")
    func fusedClustersOutputAndErrors() throws {
        let w = try Workspace()
        let path = IRExamples.root.appendingPathComponent("mlp_softmax_xent.kir").path
        let out = w.path("mlp.dot")
        let written = try w.kiln(["graph", path, "--passes", "default", "-o", out])
        #expect(written.status == 0 && written.stdout.isEmpty, "\(written.stderr)")
        let dot = try String(contentsOfFile: out, encoding: .utf8)
        #expect(dot.contains("subgraph cluster_1 {") && dot.contains("label=\"fused → "))
        #expect(try w.kiln(["graph", path, "--passes", "default"]).stdout == dot, "-o writes what standard output shows")
        let missing = try w.kiln(["graph", path, "--function", "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("has no function @nope; pass --func with one of: @"), "\(missing.stderr)")
        let bad = try w.kiln(["graph", try w.write("bad.kir", "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = neg(%z) : f32[2]\n  return %y\n}\n")])
        #expect(bad.status == 1 && bad.stderr.contains("bad.kir:2:"), "\(bad.stderr)")
        let unwritable = try w.kiln(["graph", path, "-o", w.path("no/such/dir/g.dot")])
        #expect(unwritable.status == 1 && unwritable.stderr.contains("-o: cannot write"), "\(unwritable.stderr)")
    }
}

/// Instructions of `f`, counting those inside `fused` bodies instead of the kernels that hold
/// them (a kernel with an empty body counts as one).
private func instructionCount(_ f: Function) -> Int {
    f.body.reduce(0) { count, inst in
        if case .fused(let body) = inst.op, !body.body.isEmpty { return count + instructionCount(body) }
        return count + 1
    }
}
