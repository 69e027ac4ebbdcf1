import KilnIR

// Elementwise arithmetic with NumPy-style broadcasting. A Double operand becomes a scalar of the
// tensor's dtype.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.binary(.add), a, b) }
    public static func - (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.binary(.sub), a, b) }
    public static func * (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.binary(.mul), a, b) }
    public static func / (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.binary(.div), a, b) }

    public static func + (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a + a.scalar(b) }
    public static func - (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a - a.scalar(b) }
    public static func * (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a * a.scalar(b) }
    public static func / (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a / a.scalar(b) }
    public static func + (a: Double, b: Tensor) throws(KilnError) -> Tensor { try b.scalar(a) + b }
    public static func - (a: Double, b: Tensor) throws(KilnError) -> Tensor { try b.scalar(a) - b }
    public static func * (a: Double, b: Tensor) throws(KilnError) -> Tensor { try b.scalar(a) * b }
    public static func / (a: Double, b: Tensor) throws(KilnError) -> Tensor { try b.scalar(a) / b }

    public static prefix func - (x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.neg), [x]) }

    /// `self ** exponent`, elementwise.
    public func pow(_ exponent: Tensor, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try broadcasting(.binary(.pow), self, exponent, at: callSite(file, line, column))
    }
    public func pow(_ exponent: Double, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try pow(scalar(exponent), file: file, line: line, column: column)
    }

    /// Elementwise maximum and minimum (NaN propagates).
    public func maximum(_ other: Tensor, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try broadcasting(.binary(.max), self, other, at: callSite(file, line, column))
    }
    public func minimum(_ other: Tensor, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try broadcasting(.binary(.min), self, other, at: callSite(file, line, column))
    }
    public func maximum(_ other: Double, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try maximum(scalar(other), file: file, line: line, column: column)
    }
    public func minimum(_ other: Double, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try minimum(scalar(other), file: file, line: line, column: column)
    }

    /// `min(max(self, low), high)`.
    public func clamped(_ low: Double, _ high: Double, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        try maximum(low, file: file, line: line, column: column).minimum(high, file: file, line: line, column: column)
    }

    // Comparisons give bool tensors.
    public static func .< (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.lt), a, b) }
    public static func .<= (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.le), a, b) }
    public static func .> (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.gt), a, b) }
    public static func .>= (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.ge), a, b) }
    public static func .== (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.eq), a, b) }
    public static func .!= (a: Tensor, b: Tensor) throws(KilnError) -> Tensor { try broadcasting(.compare(.ne), a, b) }
    public static func .< (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a .< a.scalar(b) }
    public static func .> (a: Tensor, b: Double) throws(KilnError) -> Tensor { try a .> a.scalar(b) }

    /// `condition ? a : b` elementwise (`self` is the bool condition), with broadcasting.
    public func select(_ a: Tensor, _ b: Tensor, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        let site = callSite(file, line, column)
        guard let shape = broadcastShape(shape, a.shape).flatMap({ broadcastShape($0, b.shape) }) else {
            throw KilnError("'select' cannot broadcast \(type), \(a.type) and \(b.type) together", at: site)
        }
        var operands: [Tensor] = []
        for t in try lifted([self, a, b]) { operands.append(try t.broadcast(to: shape, at: site)) }
        return try apply(.select, operands, at: site)
    }

    /// The same values in `dtype`.
    public func converted(to dtype: DType, file: StaticString = #fileID, line: UInt = #line, column: UInt = #column) throws(KilnError) -> Tensor {
        dtype == self.dtype ? self : try apply(.convert(dtype), [self], at: callSite(file, line, column))
    }
}

infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence

/// Elementwise functions, as free functions that read like the math. They take no call-site
/// arguments so that they stay `(Tensor) -> Tensor` values (`Activation(relu)`); like the
/// operators, they name the current call site (the user's call of the module running them).
public func exp(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.exp), [x]) }
public func log(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.log), [x]) }
public func sqrt(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.sqrt), [x]) }
public func rsqrt(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.rsqrt), [x]) }
public func abs(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.abs), [x]) }
public func sign(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.sign), [x]) }
public func sin(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.sin), [x]) }
public func cos(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.cos), [x]) }
public func floor(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.floor), [x]) }
public func tanh(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.tanh), [x]) }
public func sigmoid(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.sigmoid), [x]) }
public func relu(_ x: Tensor) throws(KilnError) -> Tensor { try apply(.unary(.relu), [x]) }

/// GELU, tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
public func gelu(_ x: Tensor) throws(KilnError) -> Tensor {
    let inner = try (x + x * x * x * 0.044715) * 0.7978845608028654
    return try x * 0.5 * (tanh(inner) + 1)
}

/// `x` where `x > 0`, `slope * x` elsewhere.
public func leakyRelu(_ x: Tensor, slope: Double = 0.01, file: StaticString = #fileID, line: UInt = #line,
                      column: UInt = #column) throws(KilnError) -> Tensor {
    try atCallSite(file, line, column) { () throws(KilnError) -> Tensor in try (x .> 0).select(x, x * slope) }
}
