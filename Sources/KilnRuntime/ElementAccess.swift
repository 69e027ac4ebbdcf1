import KilnIR
#if canImport(Glibc)
import Glibc
#endif

// The Swift types that store Kiln elements (Float, Double, Int32, Int64, Bool), and the loops
// most kernels are built from: a flat elementwise map and a strided walk.

/// A Swift type that stores the elements of one dtype.
protocol Element: Equatable {
    /// `a < b` in the order `compare` uses: IEEE on floats (false with NaN), `false < true` on bool.
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

extension Element where Self: Comparable {
    static func precedes(_ a: Self, _ b: Self) -> Bool { a < b }
}

extension Bool: Element {
    static func precedes(_ a: Bool, _ b: Bool) -> Bool { !a && b }
}

/// Elements of the numeric dtypes (f32, f64, i32, i64).
protocol NumericElement: Element, Comparable {
    static var zero: Self { get }
    /// `-inf` for floats, the minimum for integers: the result of `reduce_max` over nothing.
    static var lowest: Self { get }
    /// `+inf` for floats, the maximum for integers: the result of `reduce_min` over nothing.
    static var highest: Self { get }
    /// Always false for integers.
    var isNaN: Bool { get }
    init(_ value: Int)
    /// Kiln `add`, `sub`, `mul`: IEEE on floats, two's-complement wraparound on integers.
    static func add(_ a: Self, _ b: Self) -> Self
    static func subtract(_ a: Self, _ b: Self) -> Self
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// Kiln `div` (on integers: truncating, `x / 0 = 0`, `min / -1 = min`).
    static func divide(_ a: Self, _ b: Self) -> Self
    /// Kiln `pow` (C's `pow`/`powf` on floats; the integer rules of docs/ir.md).
    static func power(_ a: Self, _ b: Self) -> Self
}

/// Kiln `max`: `a` if it is NaN, else `b` if it is NaN, else the larger (`b` when equal).
@inline(__always)
func maxPropagatingNaN<T: NumericElement>(_ a: T, _ b: T) -> T {
    a.isNaN ? a : b.isNaN ? b : (a > b ? a : b)
}

/// Kiln `min`: `a` if it is NaN, else `b` if it is NaN, else the smaller (`b` when equal).
@inline(__always)
func minPropagatingNaN<T: NumericElement>(_ a: T, _ b: T) -> T {
    a.isNaN ? a : b.isNaN ? b : (a < b ? a : b)
}

/// Float elements, with the C math functions of their own precision (`expf` for Float).
protocol FloatElement: NumericElement, BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func floor(_ x: Self) -> Self
}

extension FloatElement {
    static var lowest: Self { -infinity }
    static var highest: Self { infinity }
    static func add(_ a: Self, _ b: Self) -> Self { a + b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
    static func divide(_ a: Self, _ b: Self) -> Self { a / b }
}

extension Float: FloatElement {
    static func exp(_ x: Float) -> Float { expf(x) }
    static func log(_ x: Float) -> Float { logf(x) }
    static func tanh(_ x: Float) -> Float { tanhf(x) }
    static func sin(_ x: Float) -> Float { sinf(x) }
    static func cos(_ x: Float) -> Float { cosf(x) }
    static func floor(_ x: Float) -> Float { floorf(x) }
    static func power(_ a: Float, _ b: Float) -> Float { powf(a, b) }
}

extension Double: FloatElement {
    static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    static func log(_ x: Double) -> Double { Glibc.log(x) }
    static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    static func floor(_ x: Double) -> Double { Glibc.floor(x) }
    static func power(_ a: Double, _ b: Double) -> Double { pow(a, b) }
}

/// Integer elements (i32, i64).
protocol IntElement: NumericElement, FixedWidthInteger, SignedInteger {
    /// `x` truncated toward zero; `x` must be in range.
    init(_ x: Double)
}

extension IntElement {
    static var lowest: Self { min }
    static var highest: Self { max }
    var isNaN: Bool { false }
    static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
    static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
    static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }

    static func divide(_ a: Self, _ b: Self) -> Self {
        switch b {
        case 0: return 0
        case -1: return 0 &- a  // min / -1 wraps to min
        default: return a / b
        }
    }

    static func power(_ a: Self, _ b: Self) -> Self {
        if b < 0 {
            switch a {
            case 1: return 1
            case -1: return b & 1 == 0 ? 1 : -1
            default: return 0
            }
        }
        var (result, base, exponent): (Self, Self, Self) = (1, a, b)
        while exponent > 0 {
            if exponent & 1 == 1 { result = result &* base }
            base = base &* base
            exponent >>= 1
        }
        return result
    }
}

extension Int32: IntElement {}
extension Int64: IntElement {}

// MARK: - Loops

/// `out[i] = f(x[i])` for every element; `T` and `U` are the storage types of the two dtypes.
@inline(__always)
func mapElements<T, U>(_ x: HostTensor, _ out: HostTensor, _ f: (T) -> U) {
    let (src, dst) = (x.pointer(T.self), out.pointer(U.self))
    for i in 0..<out.count { dst[i] = f(src[i]) }
}

/// `out[i] = f(a[i], b[i])` for every element.
@inline(__always)
func mapElements<T, U>(_ a: HostTensor, _ b: HostTensor, _ out: HostTensor, _ f: (T, T) -> U) {
    let (pa, pb, dst) = (a.pointer(T.self), b.pointer(T.self), out.pointer(U.self))
    for i in 0..<out.count { dst[i] = f(pa[i], pb[i]) }
}

/// Row-major iteration over `shape` that tracks the offset of the current element in two
/// tensors (the source and the destination), each addressed by its own start and strides.
///
/// A stride may be 0 (broadcast, or a reduced axis of the destination) or negative (reverse).
/// Adjacent axes that both tensors traverse contiguously are merged, so rows are as long as the
/// layouts allow.
struct StridedWalk {
    private var shape: [Int] = []
    private var sourceStrides: [Int] = []
    private var destinationStrides: [Int] = []
    private let sourceStart: Int
    private let destinationStart: Int
    private let isEmpty: Bool

    init(shape: [Int], source: (start: Int, strides: [Int]), destination: (start: Int, strides: [Int])) {
        sourceStart = source.start
        destinationStart = destination.start
        isEmpty = shape.contains(0)
        for axis in shape.indices where shape[axis] != 1 {
            let (n, s, d) = (shape[axis], source.strides[axis], destination.strides[axis])
            if let last = self.shape.indices.last,
               sourceStrides[last] == s * n, destinationStrides[last] == d * n {
                self.shape[last] *= n
                sourceStrides[last] = s
                destinationStrides[last] = d
            } else {
                self.shape.append(n)
                sourceStrides.append(s)
                destinationStrides.append(d)
            }
        }
        if self.shape.isEmpty { (self.shape, sourceStrides, destinationStrides) = ([1], [0], [0]) }
    }

    /// Calls `row` once per run of elements along the innermost (merged) axis, in row-major
    /// order, with the offsets of the run's first element, its length and the two steps.
    @inline(__always) func forEachRow(_ row: (_ source: Int, _ destination: Int, _ count: Int, _ sourceStep: Int, _ destinationStep: Int) -> Void) {
        guard !isEmpty else { return }
        let inner = shape.count - 1
        let (count, sourceStep, destinationStep) = (shape[inner], sourceStrides[inner], destinationStrides[inner])
        var index = [Int](repeating: 0, count: inner)
        var (s, d) = (sourceStart, destinationStart)
        while true {
            row(s, d, count, sourceStep, destinationStep)
            var axis = inner - 1
            while axis >= 0 {
                index[axis] += 1
                s += sourceStrides[axis]
                d += destinationStrides[axis]
                if index[axis] < shape[axis] { break }
                s -= sourceStrides[axis] * shape[axis]
                d -= destinationStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

/// Copies `x[source offset]` to `out[destination offset]` along `walk` (the two may be one tensor).
func copyElements(_ walk: StridedWalk, from x: HostTensor, to out: HostTensor) {
    func copy<T>(_: T.Type) {
        let (src, dst) = (x.pointer(T.self), out.pointer(T.self))
        walk.forEachRow { s, d, count, sourceStep, destinationStep in
            if sourceStep == 1 && destinationStep == 1 {
                (dst + d).update(from: src + s, count: count)
            } else {
                for k in 0..<count { dst[d + k * destinationStep] = src[s + k * sourceStep] }
            }
        }
    }
    switch x.type.dtype {
    case .f32: copy(Float.self)
    case .f64: copy(Double.self)
    case .i32: copy(Int32.self)
    case .i64: copy(Int64.self)
    case .bool: copy(Bool.self)
    }
}
