/// A static tensor type: element type and shape, written `f32[2,3]` (`f32[]` for a scalar).
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    public static func scalar(_ dtype: DType) -> TensorType { TensorType(dtype, []) }

    public var rank: Int { shape.count }
    /// Number of elements (1 for a scalar); `Int.max` when the product overflows, which no type
    /// within `ShapeLimits` does (`checkLimits` rejects such a type).
    public var count: Int { saturatingProduct(shape) }
    /// Bytes of the elements, saturating at `Int.max` like `count`.
    public var byteCount: Int { saturatingProduct([count, dtype.byteSize]) }

    public func with(shape: [Int]) -> TensorType { TensorType(dtype, shape) }
    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }

    public var description: String {
        "\(dtype.rawValue)[\(shape.map(String.init).joined(separator: ","))]"
    }
}

/// Limits every shape must respect, so that no input can make Kiln allocate absurd amounts.
public enum ShapeLimits {
    /// Largest dimension size.
    public static let maxDimension = 1 << 31 - 1
    /// Largest element count of one tensor (2^34: 64 GiB of f32).
    public static let maxElements = 1 << 34
    /// Largest rank.
    public static let maxRank = 16
}

/// Row-major strides of a shape, in elements.
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running = saturatingProduct([running, shape[axis]])
    }
    return strides
}
