import KilnIR
#if canImport(Glibc)
import Glibc
#endif

/// A tensor in host memory: a `TensorType` and 64-byte aligned, row-major storage it owns.
///
/// Storage is mutable through `data` so that kernels and compiled code write results in place;
/// a `HostTensor` is not copied on assignment (it is a reference).
public final class HostTensor: @unchecked Sendable, CustomStringConvertible {
    public let type: TensorType
    /// Start of the storage (`type.byteCount` bytes, at least 1 so the pointer is never null).
    public let data: UnsafeMutableRawPointer

    /// Largest single tensor the runtime allocates (16 GiB); larger requests are a `KilnError`.
    public static let maxBytes = 16 << 30

    /// A zero-filled tensor of `type`.
    public convenience init(zeros type: TensorType) throws(KilnError) {
        try self.init(uninitialized: type)
        memset(data, 0, max(type.byteCount, 1))
    }

    /// A tensor of `type` whose elements are not set: the caller writes every one before any is
    /// read. Large storage is committed by the system only as it is written, so a reader can
    /// fill it from a file and fail half way having used memory only for what it wrote.
    public init(uninitialized type: TensorType) throws(KilnError) {
        let bytes = type.byteCount
        guard bytes <= HostTensor.maxBytes else {
            throw KilnError("\(type) needs \(bytes) bytes, more than the \(HostTensor.maxBytes >> 30) GiB limit of one tensor; use smaller shapes")
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, 1)) == 0, let raw else {
            throw KilnError("out of memory allocating \(bytes) bytes for \(type)")
        }
        self.type = type
        self.data = raw
    }

    deinit { free(data) }

    /// A tensor of `type` holding `values` (row-major), converted to its dtype.
    public convenience init(_ type: TensorType, scalars values: [Scalar]) throws(KilnError) {
        try self.init(zeros: type)
        guard values.count == type.count else {
            throw KilnError("\(type) needs \(type.count) values, got \(values.count)")
        }
        for (i, v) in values.enumerated() { self[i] = v }
    }

    /// An f32 tensor of `shape`.
    public convenience init(_ shape: [Int], floats values: [Float]) throws(KilnError) {
        try self.init(TensorType(.f32, shape), scalars: values.map { .float(Double($0)) })
    }

    /// A tensor of `type` with `values` converted to its dtype (handy for f64 and integer data).
    public convenience init(_ type: TensorType, doubles values: [Double]) throws(KilnError) {
        try self.init(type, scalars: values.map { Scalar.float($0).cast(to: type.dtype) })
    }

    public var count: Int { type.count }

    /// Typed view of the storage; `T` must match the dtype (Float, Double, Int32, Int64, Bool).
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }

    /// Element `i` (flat, row-major) as a `Scalar`; setting converts to the dtype.
    public subscript(i: Int) -> Scalar {
        get {
            switch type.dtype {
            case .f32: return .float(Double(pointer(Float.self)[i]))
            case .f64: return .float(pointer(Double.self)[i])
            case .i32: return .int(Int64(pointer(Int32.self)[i]))
            case .i64: return .int(pointer(Int64.self)[i])
            case .bool: return .bool(pointer(Bool.self)[i])
            }
        }
        set {
            switch type.dtype {
            case .f32: pointer(Float.self)[i] = Float(newValue.asDouble)
            case .f64: pointer(Double.self)[i] = newValue.asDouble
            case .i32: pointer(Int32.self)[i] = Int32(truncatingIfNeeded: newValue.asInt64)
            case .i64: pointer(Int64.self)[i] = newValue.asInt64
            case .bool: pointer(Bool.self)[i] = newValue.asDouble != 0
            }
        }
    }

    /// Every element as a Double (bools as 0/1), for tests and summaries.
    public var doubles: [Double] { (0..<count).map { self[$0].asDouble } }

    /// A new tensor with the same type and contents.
    public func copy() throws(KilnError) -> HostTensor {
        let t = try HostTensor(zeros: type)
        t.data.copyMemory(from: data, byteCount: type.byteCount)
        return t
    }

    public var description: String {
        let shown = (0..<min(count, 8)).map { self[$0].description }.joined(separator: ", ")
        return "\(type) [\(shown)\(count > 8 ? ", ..." : "")]"
    }
}
