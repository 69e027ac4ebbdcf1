import KilnCodegen
import KilnIR
import KilnSupport
import KilnPasses

/// One row of `ModelSummary`: a module of the model.
public struct LayerSummary: Sendable, Equatable {
    /// The module's path in the model, as in `namedParameters` (e.g. `layers.0`).
    public var path: String
    /// The module's Swift type, e.g. `Linear`.
    public var type: String
    /// The type the module returned for the summary's input; nil for a module inside one that is
    /// not a `Sequential` (it is called by its parent's code, not by the summary).
    public var outputType: TensorType?
    /// Scalars of every parameter inside the module (buffers included), and the trainable ones.
    public var parameters: Int
    public var trainable: Int
}

/// A Keras-style table of a model: every module with its output type and parameter counts, the
/// totals, and the arena (bytes of intermediates, from the memory planner) of the forward pass and
/// of the compiled training step. `description` is the table.
public struct ModelSummary: Sendable, CustomStringConvertible {
    public var input: TensorType
    /// The modules below the root, depth first in declaration order.
    public var layers: [LayerSummary]
    public var outputType: TensorType
    /// Scalars of all parameters (each shared parameter once), trainable and not (buffers).
    public var totalParameters: Int
    public var trainableParameters: Int
    public var parameterBytes: Int
    /// The arena of the forward pass on `input`, optimized by the standard passes and lowered to C.
    public var forwardArenaBytes: Int
    /// The arena of the compiled training step, when one was given.
    public var trainingStepArenaBytes: Int?

    public var description: String {
        let header = ["layer", "type", "output", "parameters", "trainable"]
        let rows = layers.map { [$0.path, $0.type, $0.outputType?.description ?? "-", grouped($0.parameters), grouped($0.trainable)] }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c >= 3 ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var out = ["model on \(input) -> \(outputType)", line(header), rule] + rows.map(line) + [rule]
        out.append("parameters: \(grouped(totalParameters)) (\(grouped(trainableParameters)) trainable, " +
                   "\(grouped(totalParameters - trainableParameters)) non-trainable), \(byteText(parameterBytes))")
        out.append("arena: forward \(byteText(forwardArenaBytes))" + (trainingStepArenaBytes.map { ", training step \(byteText($0))" } ?? ""))
        return out.joined(separator: "\n") + "\n"
    }
}

extension Module {
    /// The summary of this model on inputs of type `input` (traced, not run), with the arena of
    /// `step`'s compiled code when given. The modules of a `Sequential` are applied one by one, so
    /// each row has its output type; any other module is applied whole.
    public func summary(input: TensorType, step: CompiledTrainingStep? = nil) throws -> ModelSummary {
        let trace = Trace(name: "forward")
        var layers: [LayerSummary] = []
        let output = try summarize(self, path: "", input: trace.input("x", input), into: &layers)
        var forward = try trace.finish(returning: [output])
        _ = try PassPipeline.standard().run(on: &forward)
        let all = parameters
        return ModelSummary(input: input, layers: layers, outputType: output.type,
                            totalParameters: all.map(\.type.count).reduce(0, +),
                            trainableParameters: all.filter(\.trainable).map(\.type.count).reduce(0, +),
                            parameterBytes: all.map(\.type.byteCount).reduce(0, +),
                            forwardArenaBytes: try emitC(forward).plan.peakBytes,
                            trainingStepArenaBytes: step?.compiled.arenaPeakBytes)
    }
}

/// Applies `module` to `x` (its layers one by one for a `Sequential`), appending its row (but for
/// the root, at path "") and its descendants' rows to `rows`.
private func summarize(_ module: any Module, path: String, input x: Tensor, into rows: inout [LayerSummary]) throws -> Tensor {
    let row = rows.count
    if !path.isEmpty { rows.append(layerRow(module, path: path)) }
    let y: Tensor
    if let sequential = module as? Sequential {
        var h = x
        let base = path.isEmpty ? "" : path + "."
        for (i, layer) in sequential.layers.enumerated() { h = try summarize(layer, path: "\(base)layers.\(i)", input: h, into: &rows) }
        y = h
    } else {
        y = try module(x)
        for (childPath, child) in childModules(of: module, prefix: path) { appendRows(child, path: childPath, into: &rows) }
    }
    if !path.isEmpty { rows[row].outputType = y.type }
    return y
}

/// The rows of a module not applied by the summary, and of its descendants.
private func appendRows(_ module: any Module, path: String, into rows: inout [LayerSummary]) {
    rows.append(layerRow(module, path: path))
    for (childPath, child) in childModules(of: module, prefix: path) { appendRows(child, path: childPath, into: &rows) }
}

private func layerRow(_ module: any Module, path: String) -> LayerSummary {
    let parameters = module.parameters
    return LayerSummary(path: path, type: String(describing: type(of: module)), outputType: nil,
                        parameters: parameters.map(\.type.count).reduce(0, +),
                        trainable: parameters.filter(\.trainable).map(\.type.count).reduce(0, +))
}

/// The modules stored in `module`'s properties (directly or in arrays), with their paths named
/// as `namedParameters` names them.
private func childModules(of module: any Module, prefix: String) -> [(String, any Module)] {
    var out: [(String, any Module)] = []
    func visit(_ value: Any, _ path: String) {
        switch value {
        case let m as any Module: out.append((path, m))
        case let items as [Any]: for (i, item) in items.enumerated() { visit(item, "\(path).\(i)") }
        default: break
        }
    }
    let separator = prefix.isEmpty ? "" : "."
    for child in Mirror(reflecting: module).children { visit(child.value, prefix + separator + (child.label ?? "_")) }
    return out
}

/// `n` with thousands separated by commas.
private func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// Bytes in B, KiB or MiB with one decimal.
private func byteText(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return "\(format(Double(bytes) / 1024, 1)) KiB" }
    return "\(format(Double(bytes) / Double(1 << 20), 1)) MiB"
}
