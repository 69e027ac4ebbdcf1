/// Element types of Kiln tensors.
public enum DType: String, CaseIterable, Sendable, Hashable {
    case f32, f64, i32, i64, bool

    /// Bytes per element in memory (bool is one byte, 0 or 1).
    public var byteSize: Int {
        switch self {
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .bool: return 1
        }
    }

    public var isFloat: Bool { self == .f32 || self == .f64 }
    public var isInteger: Bool { self == .i32 || self == .i64 }
    /// Float or integer: the dtypes arithmetic accepts.
    public var isNumeric: Bool { isFloat || isInteger }
}
