import Foundation
@testable import KilnONNX
import KilnIR
import KilnRuntime
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Models Kiln does not import, and damaged or hostile files: each is a `KilnError` naming the
/// place, never a trap.
@Suite("ONNX import errors")
struct ImportErrorTests {
    /// A model of one node `op(x) -> y` on `x: f32[2,3]` at `opset`, with `extra` initializers.
    static func model(_ op: String, opset: Int64 = 17, attributes: [Onnx_AttributeProto] = [], inputs: [String] = ["x"],
                      initializers: [Onnx_TensorProto] = [], inputDims: [Onnx_TensorShapeProto.Dimension]? = nil) -> [UInt8] {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.version = opset
        m.opsetImport = [opsetID]
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "the_node"
        node.input = inputs
        node.output = ["y"]
        node.attribute = attributes
        var x = Onnx_ValueInfoProto()
        x.name = "x"
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape.dim = inputDims ?? [Int64(2), 3].map { d in var dim = Onnx_TensorShapeProto.Dimension(); dim.dimValue = d; return dim }
        x.type.tensorType = t
        var y = Onnx_ValueInfoProto()
        y.name = "y"
        m.graph.name = "g"
        m.graph.node = [node]
        m.graph.input = [x]
        m.graph.output = [y]
        m.graph.initializer = initializers
        return (try? m.serializedBytes()) ?? []
    }

    static func message(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ONNXImporter.importModel(bytes: bytes, source: "m.onnx")
            return nil
        } catch {
            #expect(error.kind == .user)
            return error.message
        }
    }

    @Test("the one-node model imports when the op is supported")
    func supportedBaseline() throws {
        let m = try ONNXImporter.importModel(bytes: Self.model("Relu"), source: "m.onnx")
        #expect(m.function.body.map(\.op.name) == ["relu"])
    }

    @Test("an unsupported op names the op, the node and the opset")
    func unsupportedOp() throws {
        let msg = try #require(Self.message(Self.model("NonMaxSuppression", opset: 19)))
        #expect(msg.contains("m.onnx: ONNX node 'the_node' (NonMaxSuppression, opset 19): op 'NonMaxSuppression' is not supported"), "\(msg)")
    }

    @Test("an unsupported attribute or attribute value is an error naming it")
    func unsupportedAttribute() throws {
        var a = Onnx_AttributeProto()
        a.name = "bogus"
        a.type = .int
        let msg = try #require(Self.message(Self.model("Relu", attributes: [a])))
        #expect(msg.contains("(Relu, opset 17): attribute 'bogus' is not supported"), "\(msg)")

        var direction = Onnx_AttributeProto()
        direction.name = "approximate"
        direction.type = .string
        direction.s = Data("cubic".utf8)
        let gelu = try #require(Self.message(Self.model("Gelu", opset: 20, attributes: [direction])))
        #expect(gelu.contains("(Gelu, opset 20): attribute approximate = \"cubic\" is not supported"), "\(gelu)")
    }

    @Test("an attribute of the wrong type is an error")
    func wrongAttributeType() throws {
        var a = Onnx_AttributeProto()
        a.name = "alpha"
        a.type = .string
        a.s = Data("x".utf8)
        let msg = try #require(Self.message(Self.model("LeakyRelu", attributes: [a])))
        #expect(msg.contains("attribute 'alpha' is a string but must be float"), "\(msg)")
    }

    @Test("opsets outside 13...21 are refused", arguments: [Int64(12), 22])
    func opsetRange(opset: Int64) throws {
        let msg = try #require(Self.message(Self.model("Relu", opset: opset)))
        #expect(msg.contains("uses opset \(opset); Kiln imports opsets 13 to 21"), "\(msg)")
    }

    @Test("a dynamic input dimension is an error unless a shape is given")
    func dynamicShape() throws {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var three = Onnx_TensorShapeProto.Dimension()
        three.dimValue = 3
        let bytes = Self.model("Relu", inputDims: [batch, three])
        let msg = try #require(Self.message(bytes))
        #expect(msg.contains("graph input 'x' has a dynamic dimension 'batch' on axis 0"), "\(msg)")
        let m = try ONNXImporter.importModel(bytes: bytes, source: "m.onnx", inputShapes: ["x": [5, 3]])
        #expect(m.function.paramTypes == [TensorType(.f32, [5, 3])])
    }

    @Test("shape-like inputs must be constants")
    func dynamicReshape() throws {
        var shape = Onnx_TensorProto()
        shape.name = "s"
        shape.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        shape.dims = [2]
        shape.floatData = [3, 2]
        let msg = try #require(Self.message(Self.model("Reshape", inputs: ["x", "s"], initializers: [shape])))
        #expect(msg.contains("(Reshape, opset 17): input 1 ('s') must be a constant"), "\(msg)")
    }

    static func initializer(dims: [Int64], raw: Int? = nil, floats: Int = 0) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = "w"
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = dims
        if let raw { t.rawData = Data(count: raw) }
        t.floatData = [Float](repeating: 1, count: floats)
        return t
    }

    @Test("initializers with huge, negative or inconsistent dimensions are errors, not allocations",
          arguments: [
            ([Int64(1) << 40], nil as Int?, 0, "dimension 1099511627776 on axis 0"),
            ([-1], nil, 0, "dimension -1 on axis 0"),
            ([1 << 20, 1 << 20], nil, 0, "elements"),
            ([2, 3], 23, 0, "raw_data (bytes, 24 expected) holds 23"),
            ([2, 3], nil, 5, "float_data holds 5"),
            ([Int64](repeating: 1, count: 17), nil, 1, "rank 17"),
          ])
    func hostileInitializers(dims: [Int64], raw: Int?, floats: Int, expected: String) throws {
        let bytes = Self.model("Add", inputs: ["x", "w"], initializers: [Self.initializer(dims: dims, raw: raw, floats: floats)])
        let msg = try #require(Self.message(bytes))
        #expect(msg.contains("initializer 'w'") && msg.contains(expected), "\(msg)")
    }

    @Test("an unsupported element type is an error naming the tensor")
    func elementType() throws {
        var t = Self.initializer(dims: [2], raw: 4)
        t.dataType = Int32(Onnx_TensorProto.DataType.float16.rawValue)
        let msg = try #require(Self.message(Self.model("Add", inputs: ["x", "w"], initializers: [t])))
        #expect(msg.contains("initializer 'w' has element type float16"), "\(msg)")
    }

    @Test("huge shapes computed from constants are not allocated when imported")
    func hugeConstantOfShape() throws {
        var shape = Onnx_TensorProto()
        shape.name = "s"
        shape.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        shape.dims = [2]
        shape.int64Data = [1 << 17, 1 << 16]
        let m = try ONNXImporter.importModel(bytes: Self.model("ConstantOfShape", inputs: ["s"], initializers: [shape]), source: "m.onnx")
        #expect(m.function.resultTypes == [TensorType(.f32, [1 << 17, 1 << 16])])
        #expect(m.function.body.count == 1)
    }

    @Test("truncated and corrupted files are errors", arguments: [0.1, 0.5, 0.9, 0.99])
    func truncated(fraction: Double) throws {
        let whole = try [UInt8](Data(contentsOf: ONNXFixtures.directory.appendingPathComponent("cnn_bn.onnx")))
        #expect(Self.message(Array(whole.prefix(Int(Double(whole.count) * fraction)))) != nil)
    }

    /// Damaged copies of a model (`KILN_ONNX_DAMAGE_CASES`, default 32).
    @Test("randomly damaged models give errors or valid functions, never traps",
          arguments: 0..<environmentInt("KILN_ONNX_DAMAGE_CASES", default: 32))
    func randomBytes(seed: Int) throws {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        let whole = try [UInt8](Data(contentsOf: ONNXFixtures.directory.appendingPathComponent("mlp.onnx")))
        var bytes = whole
        for _ in 0..<8 {  // flip bytes of a valid model: mostly decoding or checking errors
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[Int(state >> 33) % bytes.count] = UInt8(truncatingIfNeeded: state >> 17)
        }
        if let model = try? ONNXImporter.importModel(bytes: bytes, source: "m.onnx") { try verify(model.function) }
    }

    @Test("a file that is not ONNX says so")
    func notONNX() throws {
        let msg = try #require(Self.message(Array("func @f() -> () { return }".utf8)))
        #expect(msg.contains("m.onnx: not a valid ONNX model") || msg.contains("m.onnx: the model"), "\(msg)")
    }
}
