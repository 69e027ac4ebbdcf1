import Foundation
import KilnIR
import KilnRuntime

/// One node of the graph as its rule sees it: its inputs (nil where an optional input is left
/// out), its attributes by name, and errors that name the node, its op and the opset.
struct ONNXNode {
    let proto: Onnx_NodeProto
    let opset: Int
    let inputs: [Operand?]
    let attributes: [String: Onnx_AttributeProto]

    var place: String { Self.place(of: proto, opset: opset) }

    /// How errors name a node: `ONNX node 'NAME' (OP, opset N)` (its first output when unnamed).
    static func place(of proto: Onnx_NodeProto, opset: Int) -> String {
        "ONNX node '\(proto.name.isEmpty ? proto.output.first ?? "" : proto.name)' (\(proto.opType), opset \(opset))"
    }

    /// An error about this node; `message` says what is wrong and how to fix it.
    func error(_ message: String) -> KilnError { KilnError("\(place): \(message)") }

    /// Input `i`, which the op requires.
    func input(_ i: Int) throws(KilnError) -> Operand {
        guard i < inputs.count, let x = inputs[i] else { throw error("input \(i) is missing; the op needs it") }
        return x
    }

    func optionalInput(_ i: Int) -> Operand? { i < inputs.count ? inputs[i] : nil }

    /// The values of input `i`, which must be known when the model is imported (a constant, an
    /// integer initializer or a static shape) because Kiln's shapes are static.
    func knownInput(_ i: Int) throws(KilnError) -> HostTensor {
        guard case .known(let h) = try input(i) else {
            throw error("input \(i) ('\(proto.input[i])') must be a constant (Kiln's shapes are static), but it is computed from the graph's inputs or weights")
        }
        return h
    }

    /// The integers of known input `i`.
    func knownInts(_ i: Int) throws(KilnError) -> [Int] {
        let h = try knownInput(i)
        guard h.type.dtype.isInteger else { throw error("input \(i) ('\(proto.input[i])') must be integers, got \(h.type)") }
        return try (0..<h.count).map { k throws(KilnError) in try checkedInt(h[k].asInt64, "input \(i)") }
    }

    // MARK: attributes

    func has(_ name: String) -> Bool { attributes[name] != nil }

    private func attribute(_ name: String, _ kind: Onnx_AttributeProto.AttributeType) throws(KilnError) -> Onnx_AttributeProto? {
        guard let a = attributes[name] else { return nil }
        guard !a.hasType || a.type == kind else { throw error("attribute '\(name)' is a \(a.type) but must be \(kind)") }
        return a
    }

    func int(_ name: String, default value: Int) throws(KilnError) -> Int {
        guard let a = try attribute(name, .int) else { return value }
        return try checkedInt(a.i, "attribute '\(name)'")
    }

    func ints(_ name: String) throws(KilnError) -> [Int]? {
        guard let a = try attribute(name, .ints) else { return nil }
        return try a.ints.map { v throws(KilnError) in try checkedInt(v, "attribute '\(name)'") }
    }

    func float(_ name: String, default value: Double) throws(KilnError) -> Double {
        guard let a = try attribute(name, .float) else { return value }
        return Double(a.f)
    }

    func string(_ name: String, default value: String) throws(KilnError) -> String {
        guard let a = try attribute(name, .string) else { return value }
        guard let s = String(data: a.s, encoding: .utf8) else { throw error("attribute '\(name)' is not UTF-8 text") }
        return s
    }

    func strings(_ name: String) throws(KilnError) -> [String]? {
        guard let a = try attribute(name, .strings) else { return nil }
        var out: [String] = []
        for d in a.strings {
            guard let s = String(data: d, encoding: .utf8) else { throw error("attribute '\(name)' is not UTF-8 text") }
            out.append(s)
        }
        return out
    }

    func tensor(_ name: String) throws(KilnError) -> HostTensor? {
        guard let a = try attribute(name, .tensor) else { return nil }
        return try decodeTensor(a.t, "\(place), attribute '\(name)'")
    }

    /// An integer from the file as an `Int` within ±2^31-1 (sizes, axes, indices), so that no
    /// arithmetic on it overflows.
    func checkedInt(_ v: Int64, _ what: String) throws(KilnError) -> Int {
        let bound = Int64(ShapeLimits.maxDimension)
        guard v >= -bound - 1, v <= bound else {
            throw error("\(what) holds \(v), beyond Kiln's limit of ±\(bound) for sizes and indices")
        }
        return Int(v)
    }

    /// `axis` of a rank-`rank` tensor with negative values counted from the end, checked.
    func axis(_ axis: Int, rank: Int, _ what: String = "axis") throws(KilnError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw error("\(what) \(axis) is out of range for rank \(rank) (use -\(rank)..<\(rank))") }
        return a
    }

    /// Several axes, normalized, checked and distinct.
    func axes(_ axes: [Int], rank: Int, _ what: String = "axes") throws(KilnError) -> [Int] {
        var out: [Int] = []
        for a in axes {
            let n = try axis(a, rank: rank, what)
            guard !out.contains(n) else { throw error("\(what) lists axis \(a) twice") }
            out.append(n)
        }
        return out
    }

    /// The input's rank must be `rank`.
    func requireRank(_ x: Operand, _ rank: Int, _ b: GraphEmitter, _ what: String) throws(KilnError) {
        guard b.type(of: x).rank == rank else {
            throw error("\(what) must have rank \(rank), got \(b.type(of: x)); Kiln imports the \(rank - 2)-D form of this op")
        }
    }

    /// The error for an attribute value Kiln does not import.
    func unsupported(_ name: String, _ value: String, _ fix: String) -> KilnError {
        error("attribute \(name) = \(value) is not supported; \(fix)")
    }
}
