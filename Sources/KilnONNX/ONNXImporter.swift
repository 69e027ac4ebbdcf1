import Foundation
import KilnFormats
import KilnIR
import KilnSupport
import KilnPasses
import KilnRuntime
import SwiftProtobuf

/// An ONNX model as a Kiln function: its parameters are the graph's inputs, then one per weight
/// (float initializer) the graph reads; `weights` holds those weights' values under the
/// parameters' names.
public struct ImportedModel {
    public var function: Function
    /// How many of `function`'s parameters are the graph's inputs (the rest are weights).
    public var inputCount: Int
    /// The weights, by parameter name, in parameter order.
    public var weights: [(String, HostTensor)]
    /// The opset of the default ONNX domain the model was exported with.
    public var opset: Int
    /// The ONNX initializer name of each weight, by parameter name (they differ where the ONNX
    /// name is not a Kiln identifier, e.g. `onnx::MatMul_12`).
    public var onnxNames: [String: String]

    /// Writes the weights as a safetensors file (with each ONNX name in the metadata), atomically.
    public func writeWeights(path: String) throws(KilnError) {
        let metadata = Dictionary(uniqueKeysWithValues: onnxNames.map { ("onnx:" + $0.key, $0.value) })
        try writeFileAtomically(try encodeSafetensors(weights, metadata: metadata), path: path)
    }
}

/// Reads ONNX models (protobuf, opsets 13 to 21 of the default domain) into Kiln IR.
public enum ONNXImporter {
    /// The opsets of the default domain Kiln imports.
    public static let opsets = 13...21
    /// The ONNX ops Kiln imports, sorted.
    public static var supportedOps: [String] { onnxOpRules.keys.sorted() }
    /// The largest ONNX file read (2 GiB, protobuf's own limit).
    public static let maxFileBytes = Int(Int32.max)

    /// Imports the model in the file at `path`. `inputShapes` gives static shapes for inputs
    /// whose dimensions are symbolic (`batch`) in the file.
    public static func importModel(path: String, inputShapes: [String: [Int]] = [:]) throws(KilnError) -> ImportedModel {
        try importModel(bytes: try readFileBytes(path, limit: maxFileBytes), source: path, inputShapes: inputShapes)
    }

    /// Imports a serialized `ModelProto`; `source` names it in errors.
    public static func importModel(bytes: [UInt8], source: String, inputShapes: [String: [Int]] = [:]) throws(KilnError) -> ImportedModel {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw KilnError("\(source): not a valid ONNX model (protobuf decoding failed: \(error)); is it a complete .onnx file?")
        }
        do throws(KilnError) {
            var graph = try GraphImport(model: model, inputShapes: inputShapes)
            return try graph.run()
        } catch {
            throw error.rephrased { "\(source): \($0)" }
        }
    }
}

/// One import: the graph walked node by node in order, each through its `OpRule`.
private struct GraphImport {
    let graph: Onnx_GraphProto
    let opset: Int
    let inputShapes: [String: [Int]]
    let emitter: GraphEmitter
    var env: [String: Operand] = [:]
    var initializers: [String: HostTensor] = [:]
    var weights: [(String, HostTensor)] = []
    var onnxNames: [String: String] = [:]

    init(model: Onnx_ModelProto, inputShapes: [String: [Int]]) throws(KilnError) {
        guard model.hasGraph else { throw KilnError("the model has no graph") }
        let defaults = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let version = defaults.first?.version else {
            throw KilnError("the model imports no opset of the default ONNX domain; export it with an opset in \(ONNXImporter.opsets)")
        }
        guard version >= Int64(ONNXImporter.opsets.lowerBound), version <= Int64(ONNXImporter.opsets.upperBound) else {
            throw KilnError("the model uses opset \(version); Kiln imports opsets \(ONNXImporter.opsets.lowerBound) to \(ONNXImporter.opsets.upperBound): re-export with torch.onnx.export(..., opset_version=17) or convert it with onnx.version_converter")
        }
        graph = model.graph
        opset = Int(version)
        self.inputShapes = inputShapes
        emitter = GraphEmitter(name: identifier(graph.name, fallback: "model"))
    }

    mutating func run() throws(KilnError) -> ImportedModel {
        guard graph.sparseInitializer.isEmpty else { throw KilnError("the graph has sparse initializers; Kiln imports dense ones only") }
        for t in graph.initializer {
            initializers[t.name] = try decodeTensor(t, "initializer '\(t.name)'")
        }
        var inputCount = 0
        for input in graph.input where initializers[input.name] == nil {
            env[input.name] = .traced(emitter.builder.parameter(identifier(input.name, fallback: "input"), try inputType(input)))
            inputCount += 1
        }
        for unknown in inputShapes.keys where !graph.input.contains(where: { $0.name == unknown }) {
            throw KilnError("an input shape is given for '\(unknown)', which is not an input of the graph; its inputs are \(graph.input.filter { initializers[$0.name] == nil }.map(\.name))")
        }
        for node in graph.node { try importNode(node) }
        var results: [Value] = []
        for output in graph.output {
            results.append(try emitter.value(of: try operand(output.name, for: "graph output")))
        }
        var function = emitter.builder.finish(returning: results)
        _ = try DeadCodeElimination().run(on: &function)
        return ImportedModel(function: function, inputCount: inputCount, weights: weights, opset: opset, onnxNames: onnxNames)
    }

    /// The static type of a graph input, from the file or `inputShapes`.
    private func inputType(_ input: Onnx_ValueInfoProto) throws(KilnError) -> TensorType {
        guard case .tensorType(let t)? = input.type.value else {
            throw KilnError("graph input '\(input.name)' is not a tensor; Kiln imports tensor inputs only")
        }
        let dtype = try kilnDType(onnx: t.elemType, "graph input '\(input.name)'")
        if let given = inputShapes[input.name] {
            guard given.count == t.shape.dim.count || !t.hasShape else {
                throw KilnError("the shape given for input '\(input.name)' has rank \(given.count) but the model's input has rank \(t.shape.dim.count)")
            }
            return try kilnShape(given.map { Int64($0) }, dtype: dtype, "the shape given for input '\(input.name)'")
        }
        guard t.hasShape else { throw KilnError("graph input '\(input.name)' has no shape; give one (kiln import-onnx --input-shape \(input.name)=D0,D1,...)") }
        var dims: [Int64] = []
        for (axis, d) in t.shape.dim.enumerated() {
            guard case .dimValue(let v)? = d.value else {
                let symbol = d.dimParam.isEmpty ? "unknown" : "'\(d.dimParam)'"
                throw KilnError("graph input '\(input.name)' has a dynamic dimension \(symbol) on axis \(axis); Kiln needs static shapes: give one with --input-shape \(input.name)=D0,D1,... (or inputShapes), or export with fixed sizes")
            }
            dims.append(v)
        }
        return try kilnShape(dims, dtype: dtype, "graph input '\(input.name)'")
    }

    /// The operand named `name`: defined by an earlier node, an input, or an initializer (a float
    /// one becomes a weight parameter the first time it is read; others are known constants).
    private mutating func operand(_ name: String, for user: @autoclosure () -> String) throws(KilnError) -> Operand {
        if let x = env[name] { return x }
        guard let value = initializers[name] else {
            throw KilnError("\(user()) reads '\(name)', which no earlier node, input or initializer defines; is the graph sorted topologically?")
        }
        let x: Operand
        if value.type.dtype.isFloat {
            let v = emitter.builder.parameter(identifier(name, fallback: "weight"), value.type)
            let kilnName = emitter.builder.name(of: v)
            weights.append((kilnName, value))
            onnxNames[kilnName] = name
            x = .traced(v)
        } else {
            x = .known(value)
        }
        env[name] = x
        return x
    }

    private mutating func importNode(_ proto: Onnx_NodeProto) throws(KilnError) {
        let label = ONNXNode.place(of: proto, opset: opset)
        guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
            throw KilnError("\(label): op domain '\(proto.domain)' is not supported; Kiln imports ops of the default ONNX domain")
        }
        guard let rule = onnxOpRules[proto.opType] else {
            throw KilnError("\(label): op '\(proto.opType)' is not supported; Kiln imports \(ONNXImporter.supportedOps.joined(separator: ", "))")
        }
        var attributes: [String: Onnx_AttributeProto] = [:]
        for a in proto.attribute {
            guard rule.attributes.contains(a.name) else {
                throw KilnError("\(label): attribute '\(a.name)' is not supported for \(proto.opType); Kiln reads \(rule.attributes.isEmpty ? "no attributes" : rule.attributes.sorted().joined(separator: ", "))")
            }
            guard attributes.updateValue(a, forKey: a.name) == nil else { throw KilnError("\(label): attribute '\(a.name)' is given twice") }
        }
        var inputs: [Operand?] = []
        for name in proto.input { inputs.append(name.isEmpty ? nil : try operand(name, for: label)) }
        let node = ONNXNode(proto: proto, opset: opset, inputs: inputs, attributes: attributes)
        let outputs: [Operand]
        do {
            outputs = try rule.convert(node, emitter)
        } catch {
            throw error.rephrased { $0.hasPrefix("ONNX node") ? $0 : "\(node.place): \($0)" }
        }
        for (k, name) in proto.output.enumerated() where !name.isEmpty {
            guard k < outputs.count else {
                throw KilnError("\(node.place): output \(k) ('\(name)') is not supported; Kiln imports the first \(outputs.count) output(s) of \(proto.opType)")
            }
            env[name] = outputs[k]
        }
    }
}

/// `name` made a Kiln identifier: characters other than letters, digits, `_` and `.` become `_`.
private func identifier(_ name: String, fallback: String) -> String {
    let mapped = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") ? $0 : "_" })
    return mapped.isEmpty ? fallback : mapped
}
