/// One element value of any dtype, as attributes and constants hold it.
///
/// Equality compares floats by bit pattern, so `nan == nan` and CSE can merge identical constants.
public enum Scalar: Sendable, CustomStringConvertible {
    case float(Double)
    case int(Int64)
    case bool(Bool)

    public var asDouble: Double {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        case .bool(let v): return v ? 1 : 0
        }
    }

    public var asInt64: Int64 {
        switch self {
        case .float(let v): return Int64(saturatingTowardZero: v)
        case .int(let v): return v
        case .bool(let v): return v ? 1 : 0
        }
    }

    /// The value as `dtype` stores it, by the rules of `convert` (docs/ir.md): f32 rounds to
    /// nearest; floats become integers toward zero, saturated to the range, NaN giving 0;
    /// integers wrap; bool is `!= 0`.
    public func cast(to dtype: DType) -> Scalar {
        switch dtype {
        case .f32: return .float(Double(Float(asDouble)))
        case .f64: return .float(asDouble)
        case .i32:
            if case .float(let v) = self { return .int(Int64(Int32(saturatingTowardZero: v))) }
            return .int(Int64(Int32(truncatingIfNeeded: asInt64)))
        case .i64: return .int(asInt64)
        case .bool: return .bool(asDouble != 0)
        }
    }

    /// Canonical text for an element of `dtype`: shortest round-tripping decimal for floats.
    public func text(as dtype: DType) -> String {
        switch dtype {
        case .f32: return Float(asDouble).description
        case .f64: return asDouble.description
        case .i32, .i64: return String(asInt64)
        case .bool: return asDouble != 0 ? "true" : "false"
        }
    }

    public var description: String {
        switch self {
        case .float(let v): return v.description
        case .int(let v): return String(v)
        case .bool(let v): return v ? "true" : "false"
        }
    }
}

extension Scalar: Hashable {
    public static func == (a: Scalar, b: Scalar) -> Bool {
        switch (a, b) {
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
        case let (.int(x), .int(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .float(let v): hasher.combine(0); hasher.combine(v.bitPattern)
        case .int(let v): hasher.combine(1); hasher.combine(v)
        case .bool(let v): hasher.combine(2); hasher.combine(v)
        }
    }
}

/// The value of a `constant`: one scalar broadcast to the whole shape, or every element in row-major order.
public enum Literal: Hashable, Sendable {
    case splat(Scalar)
    case dense([Scalar])

    /// The element at flat row-major index `i`.
    public subscript(i: Int) -> Scalar {
        switch self {
        case .splat(let s): return s
        case .dense(let values): return values[i]
        }
    }
}

extension FixedWidthInteger where Self: SignedInteger {
    /// The integer nearest `v` toward zero, saturated to the type's range; NaN gives 0. The one
    /// float-to-integer rule of Kiln: `convert`, constants and `Scalar.cast` all use it.
    public init(saturatingTowardZero v: Double) {
        let bound = -Double(Self.min)  // 2^(bitWidth-1), exact
        if v.isNaN {
            self = 0
        } else if v <= -bound {
            self = .min
        } else if v >= bound {
            self = .max
        } else {
            self = Self(v.rounded(.towardZero))
        }
    }
}
