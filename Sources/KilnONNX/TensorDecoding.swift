import Foundation
import KilnIR
import KilnRuntime

/// The Kiln dtype of an ONNX element type (`TensorProto.DataType`), or an error naming `what`.
func kilnDType(onnx code: Int32, _ what: @autoclosure () -> String) throws(KilnError) -> DType {
    switch Onnx_TensorProto.DataType(rawValue: Int(code)) {
    case .float: return .f32
    case .double: return .f64
    case .int32: return .i32
    case .int64: return .i64
    case .bool: return .bool
    default:
        let name = Onnx_TensorProto.DataType(rawValue: Int(code)).map { "\($0)" } ?? "code \(code)"
        throw KilnError("\(what()) has element type \(name); Kiln imports float, double, int32, int64 and bool tensors: convert the model's tensors to one of these before exporting")
    }
}

/// A static shape from ONNX dimensions, each checked against `ShapeLimits`, the whole checked by
/// `checkLimits` so that no size computed from it overflows.
func kilnShape(_ dims: [Int64], dtype: DType, _ what: @autoclosure () -> String) throws(KilnError) -> TensorType {
    guard dims.count <= ShapeLimits.maxRank else {
        throw KilnError("\(what()) has rank \(dims.count), more than Kiln's limit of \(ShapeLimits.maxRank)")
    }
    var shape: [Int] = []
    for (axis, d) in dims.enumerated() {
        guard d >= 0, d <= Int64(ShapeLimits.maxDimension) else {
            throw KilnError("\(what()) has dimension \(d) on axis \(axis); dimensions must be in 0...\(ShapeLimits.maxDimension)")
        }
        shape.append(Int(d))
    }
    let type = TensorType(dtype, shape)
    do { try checkLimits(type) } catch { throw error.rephrased { "\(what()): \($0)" } }
    return type
}

/// The values of an ONNX tensor (an initializer or a `Constant`'s value), checked: the element
/// type is one Kiln has, the data is stored in the file (not external), and exactly as many
/// elements are given as the dimensions say.
func decodeTensor(_ t: Onnx_TensorProto, _ what: String) throws(KilnError) -> HostTensor {
    guard t.dataLocation != .external, t.externalData.isEmpty else {
        throw KilnError("\(what) keeps its data in an external file; Kiln imports self-contained models: re-save with onnx.save_model(model, path, save_as_external_data=False)")
    }
    guard !t.hasSegment else { throw KilnError("\(what) is a segment of a tensor; Kiln imports whole tensors only") }
    let dtype = try kilnDType(onnx: t.dataType, what)
    let type = try kilnShape(t.dims, dtype: dtype, what)
    let out = try HostTensor(uninitialized: type)
    func mismatch(_ given: Int, _ field: String) -> KilnError {
        KilnError("\(what) is \(type) (\(type.count) elements) but its \(field) holds \(given); the file is damaged or was written wrongly")
    }
    if t.hasRawData {
        // raw_data is little-endian, the machine's order.
        guard t.rawData.count == type.byteCount else { throw mismatch(t.rawData.count, "raw_data (bytes, \(type.byteCount) expected)") }
        t.rawData.withUnsafeBytes { out.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if dtype == .bool {  // any nonzero byte is true; Kiln's bools are 0 or 1
            let p = out.data.assumingMemoryBound(to: UInt8.self)
            for i in 0..<type.count { p[i] = p[i] == 0 ? 0 : 1 }
        }
        return out
    }
    func fill<T, S>(_ source: [S], _ field: String, _ convert: (S) -> T) throws(KilnError) {
        guard source.count == type.count else { throw mismatch(source.count, field) }
        let p = out.pointer(T.self)
        for (i, v) in source.enumerated() { p[i] = convert(v) }
    }
    switch dtype {
    case .f32: try fill(t.floatData, "float_data") { (v: Float) in v }
    case .f64: try fill(t.doubleData, "double_data") { (v: Double) in v }
    case .i32: try fill(t.int32Data, "int32_data") { (v: Int32) in v }
    case .i64: try fill(t.int64Data, "int64_data") { (v: Int64) in v }
    case .bool: try fill(t.int32Data, "int32_data") { (v: Int32) in v != 0 }
    }
    return out
}
