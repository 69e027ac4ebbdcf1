import KilnIR

/// The function `f` as a Graphviz graph in the DOT language, for `dot -Tsvg`: one node per
/// instruction (its result names, op, attributes and result types), an edge from each value to
/// each use (labelled with the operand's position when the op takes several), the parameters
/// (inverted houses, numbered) at the top and the results (houses, numbered) at the bottom. A
/// `fused` kernel is a cluster holding its body's instructions, nested kernels nested clusters;
/// the body's parameters are the kernel's operands, so edges run from the values outside
/// straight to the instructions inside. Node names are generated (`p0`, `n0`, `r0`); every label
/// is escaped (`dotQuoted`), so no name or attribute can change the graph's structure.
public func graphvizDOT(_ f: Function) -> String {
    var out = "digraph \(dotQuoted("@" + f.name)) {\n"
    out += "  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, fontname=\"Helvetica\", fontsize=11];\n"
    out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n"
    out += "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n"
    var sources: [Value: String] = [:]
    for (k, p) in f.params.enumerated() {
        out += "  p\(k) [label=\(dotLabel(["%" + f.name(of: p), f.type(of: p).description, "parameter \(k)"])), "
        out += "shape=invhouse, style=filled, fillcolor=\"#dbeafe\"];\n"
        sources[p] = "p\(k)"
    }
    var writer = DOTWriter(out: out)
    writer.writeBody(f, sources: &sources, indent: "  ")
    out = writer.out
    for (k, r) in f.results.enumerated() {
        out += "  r\(k) [label=\(dotLabel(["result \(k)", f.type(of: r).description])), shape=house, style=filled, fillcolor=\"#dcfce7\"];\n"
        if let source = sources[r] { writer.edges.append("\(source) -> r\(k)") }
    }
    // Edges last, outside every cluster: an edge written inside a cluster would pull both its ends into it.
    return out + writer.edges.map { "  \($0);\n" }.joined() + "}\n"
}

/// `text` as a DOT quoted string that displays exactly as `text`: quotes and backslashes are
/// escaped, `&` is written `&amp;` (Graphviz reads entities in labels), and control characters,
/// line breaks included, are shown as `\u{…}`, never as DOT escapes.
public func dotQuoted(_ text: String) -> String { "\"" + dotEscaped(text) + "\"" }

/// A label of several centred lines, each escaped as by `dotQuoted`.
func dotLabel(_ lines: [String]) -> String { "\"" + lines.map(dotEscaped).joined(separator: "\\n") + "\"" }

private func dotEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "&": out += "&amp;"
        default:
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// The longest attribute text a node shows before cutting it with `…`.
let dotAttributeLimit = 60

/// Writes the nodes of function bodies and collects their edges, numbering nodes and clusters
/// across nesting.
private struct DOTWriter {
    var out: String
    var edges: [String] = []
    var nodes = 0, clusters = 0

    /// The instructions of `f`; `sources` maps each of `f`'s values to the node it comes from.
    mutating func writeBody(_ f: Function, sources: inout [Value: String], indent: String) {
        for inst in f.body {
            if case .fused(let body) = inst.op, !body.body.isEmpty {
                writeFused(inst, body, in: f, sources: &sources, indent: indent)
                continue
            }
            let node = "n\(nodes)"
            nodes += 1
            out += "\(indent)\(node) [label=\(dotLabel(label(of: inst, in: f)))];\n"
            for (k, operand) in inst.operands.enumerated() {
                guard let source = sources[operand] else { continue }
                edges.append("\(source) -> \(node)" + (inst.operands.count > 1 ? " [label=\"\(k)\"]" : ""))
            }
            for r in inst.results { sources[r] = node }
        }
    }

    /// A `fused` instruction as a cluster: its body's parameters stand for the operands' sources
    /// and its results for the body's returned values.
    mutating func writeFused(_ inst: Instruction, _ body: Function, in f: Function, sources: inout [Value: String], indent: String) {
        clusters += 1
        let names = inst.results.map { "%" + f.name(of: $0) }.joined(separator: ", ")
        out += "\(indent)subgraph cluster_\(clusters) {\n"
        out += "\(indent)  label=\(dotQuoted("fused → " + names)); style=\"rounded,filled\"; fillcolor=\"#fef3c7\"; color=\"#d97706\";\n"
        var inner: [Value: String] = [:]
        for (p, operand) in zip(body.params, inst.operands) { inner[p] = sources[operand] }
        writeBody(body, sources: &inner, indent: indent + "  ")
        out += "\(indent)}\n"
        for (r, yielded) in zip(inst.results, body.results) { sources[r] = inner[yielded] }
    }

    /// Result names and op, then the attributes (cut at `dotAttributeLimit`), then the result types.
    func label(of inst: Instruction, in f: Function) -> [String] {
        var lines = [inst.results.map { "%" + f.name(of: $0) }.joined(separator: ", ") + " = " + inst.op.name]
        if case .constant(.dense(let values), _) = inst.op {
            lines.append("dense, \(values.count) values")
        } else if let first = inst.results.first {
            let text = attributes(of: inst.op, resultType: f.type(of: first)).map { "\($0.0) = \($0.1)" }.joined(separator: ", ")
            if !text.isEmpty { lines.append(text.count > dotAttributeLimit ? String(text.prefix(dotAttributeLimit - 1)) + "…" : text) }
        }
        lines.append(inst.results.map { f.type(of: $0).description }.joined(separator: ", "))
        return lines
    }
}
