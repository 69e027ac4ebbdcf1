import KilnIR

/// The body of one kernel (the C function computing one instruction) as it is written: indented
/// lines, the prelude items it uses, and the arena scratch it needs.
///
/// Loops are written for tcc, which neither unrolls nor hoists: inner loops are unrolled 4x and
/// loop-invariant conditions and offsets are computed before the loop that uses them.
struct KernelBuilder {
    private(set) var lines: [String] = []
    private(set) var needs: Set<PreludeItem> = []
    /// Bytes of arena scratch the kernel receives as its last parameter (`scratch`), 0 for none.
    var scratchBytes = 0
    private var depth = 1
    private var loopNests: [Int] = []

    mutating func line(_ text: String) {
        lines.append(String(repeating: "  ", count: depth) + text)
    }

    /// Writes `header {` and indents until the matching `close()`.
    mutating func open(_ header: String) {
        line(header + " {")
        depth += 1
    }

    mutating func close() {
        depth -= 1
        line("}")
    }

    mutating func use(_ item: PreludeItem) { needs.insert(item) }

    /// A call of the helper or external function `item` (recorded as used) on `arguments`.
    mutating func call(_ item: PreludeItem, _ arguments: String...) -> String {
        use(item)
        return "\(item.functionName)(\(arguments.joined(separator: ", ")))"
    }

    /// `statement(i)` for `i` in `0..<count`, unrolled 4x with a scalar tail; `i` is named `index`.
    mutating func unrolledLoop<E: Error>(_ count: Int, index: String = "i",
                                         _ statement: (inout KernelBuilder, String) throws(E) -> String) throws(E) {
        let main = count - count % 4
        if main > 0 {
            open("for (long \(index) = 0; \(index) < \(main); \(index) += 4)")
            line(try statement(&self, index))
            for k in 1..<4 { line(try statement(&self, "\(index) + \(k)")) }
            close()
        }
        if main < count {
            line("for (long \(index) = \(main); \(index) < \(count); \(index)++) " + (try statement(&self, index)))
        }
    }

    /// `value` into the `count` elements of `dst` (a pointer expression): `memset` when the
    /// value's bytes are all zero, else a loop from a local `v` (so at most once per kernel).
    mutating func fill(_ dst: String, count: Int, value: Scalar, _ dtype: DType) {
        guard count > 0 else { return }
        if isZeroBits(value, dtype) {
            line(call(.memset, dst, "0", "\(count) * sizeof(\(cType(dtype)))") + ";")
        } else {
            line("const \(cType(dtype)) v = \(scalar(value, dtype));")
            unrolledLoop(count) { _, i in "\(dst)[\(i)] = v;" }
        }
    }

    /// `value` as a C expression of `dtype`: a literal, or a bit-pattern helper call for
    /// infinities, NaN and -0.
    mutating func scalar(_ value: Scalar, _ dtype: DType) -> String {
        cLiteral(value, dtype) ?? call(.floatFromBits(dtype), cFloatBits(value.asDouble, dtype))
    }

    /// Opens one `for` loop per axis of `shape` (index `i<level>`) and declares, at each level,
    /// the element offset of every array: `base + sum(i_k * strides[k])`, named `<prefix><level>`.
    /// Returns each array's innermost offset expression. `closeLoops()` ends the nest.
    mutating func openLoops(_ shape: [Int], _ arrays: [(prefix: String, base: Int, strides: [Int])]) -> [String] {
        var offsets = arrays.map { String($0.base) }
        for (level, size) in shape.enumerated() {
            let index = "i\(level)"
            open("for (long \(index) = 0; \(index) < \(size); \(index)++)")
            for (a, array) in arrays.enumerated() where array.strides[level] != 0 {
                let term = array.strides[level] == 1 ? index : "\(index) * \(array.strides[level])"
                let name = "\(array.prefix)\(level)"
                line("long \(name) = \(offsets[a] == "0" ? term : "\(offsets[a]) + \(term)");")
                offsets[a] = name
            }
        }
        loopNests.append(shape.count)
        return offsets
    }

    mutating func closeLoops() {
        for _ in 0..<(loopNests.popLast() ?? 0) { close() }
    }
}

/// Whether `value` stored as `dtype` has all bytes zero (so `memset` can write it).
func isZeroBits(_ value: Scalar, _ dtype: DType) -> Bool {
    dtype.isFloat ? value.asDouble == 0 && value.asDouble.sign == .plus : value.asDouble == 0
}

/// `base + offset` as short C: `x`, `x + 12` or `x + o3`.
func offsetPointer(_ base: String, _ offset: String) -> String {
    offset == "0" ? base : "\(base) + \(offset)"
}

/// `array[offset + index]` as short C.
func element(_ array: String, _ offset: String, _ index: String) -> String {
    if offset == "0" { return "\(array)[\(index)]" }
    return index == "0" ? "\(array)[\(offset)]" : "\(array)[\(offset) + \(index)]"
}

/// Shape and per-array strides with size-1 axes dropped and adjacent axes merged wherever every
/// array steps through them as one (`stride[k] == stride[k+1] * shape[k+1]`). Visits the same
/// elements in the same order with fewer, longer loops. A scalar becomes one axis of size 1.
func collapseAxes(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var outShape: [Int] = []
    var outStrides = strides.map { _ in [Int]() }
    for axis in shape.indices where shape[axis] != 1 {
        if let last = outShape.last,
           strides.indices.allSatisfy({ outStrides[$0][outStrides[$0].count - 1] == strides[$0][axis] * shape[axis] }) {
            outShape[outShape.count - 1] = last * shape[axis]
            for a in strides.indices { outStrides[a][outStrides[a].count - 1] = strides[a][axis] }
        } else {
            outShape.append(shape[axis])
            for a in strides.indices { outStrides[a].append(strides[a][axis]) }
        }
    }
    if outShape.isEmpty { return ([1], strides.map { _ in [0] }) }
    return (outShape, outStrides)
}
