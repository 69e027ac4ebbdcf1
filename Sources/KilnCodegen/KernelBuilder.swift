import KilnIR

/// The body of one kernel (the C function computing one instruction) as it is written: indented
/// lines, the prelude items it uses, and the arena scratch it needs.
///
/// Loops are written for tcc, which does not hoist: loop-invariant conditions and offsets are
/// computed before the loop that uses them. Inner loops are plain (gcc vectorizes them; a manual
/// 4x unroll made gcc's code slower and its compiles longer, and tcc's code no faster).
struct KernelBuilder {
    private(set) var lines: [String] = []
    private(set) var needs: Set<PreludeItem> = []
    /// Bytes of arena scratch the kernel receives as its last parameter (`scratch`), 0 for none.
    var scratchBytes = 0
    /// Threads of the unit's pool and the least work (elements times `elementCost`) a loop needs
    /// to run on them (`CodegenOptions`).
    var threads = 1
    var parallelThreshold = Int.max
    /// True while a lowering writes gcc's loops after libtcc's library call (`poolFromLibrary`).
    var writingInlineAlternative = false
    /// Whether f32 `exp`, `log`, `tanh` and `sigmoid` call libm (`CodegenOptions.libmFunctions`).
    var libmFunctions = false
    /// The loops that run on the pool, each written as its own C function (see `definition`).
    private(set) var regions: [ParallelRegion] = []
    /// Where the body calls each region: line index, indentation, region.
    private var regionCalls: [(line: Int, depth: Int, region: Int)] = []
    /// Locals computed from the parameters alone (pointers into `scratch`), declared again at
    /// the start of every parallel part, which sees the parameters but not the kernel's locals.
    private var partLocals: [String] = []
    private var inRegion = false
    private var depth = 1
    private var loopNests: [Int] = []

    mutating func line(_ text: String) {
        lines.append(String(repeating: "  ", count: depth) + text)
    }

    /// Writes `header {` and indents until the matching `close()`.
    mutating func open(_ header: String) {
        line(header.isEmpty ? "{" : header + " {")
        depth += 1
    }

    mutating func close() {
        depth -= 1
        line("}")
    }

    /// Writes the declaration `text` of a local computed from the parameters alone, which
    /// parallel parts declare too.
    mutating func declareForParts(_ text: String) {
        line(text)
        partLocals.append("  " + text)
    }

    mutating func use(_ item: PreludeItem) { needs.insert(item) }

    /// A call of the helper or external function `item` (recorded as used) on `arguments`.
    mutating func call(_ item: PreludeItem, _ arguments: String...) -> String {
        use(item)
        return "\(item.functionName)(\(arguments.joined(separator: ", ")))"
    }

    /// `body` over the iterations `0..<count`, split among the pool's threads when `work` (the
    /// loop's elements times their `elementCost`) reaches the threshold and there are at least two
    /// chunks of `grain` iterations; on one thread otherwise. `body` writes the iterations
    /// `range.lo ..< range.hi` (C expressions) and may only touch memory those iterations own (and
    /// per-part scratch, indexed by `range.part`); it runs in a function of its own, seeing the
    /// kernel's parameters but not its locals, except the `long` locals named in `passing` (such
    /// as an enclosing loop's index), which each part receives by value.
    mutating func parallelFor<E: Error>(_ count: Int, grain: Int = 1, work: Int, passing: [String] = [],
                                        _ body: (inout KernelBuilder, ParallelRange) throws(E) -> Void) throws(E) {
        guard threads > 1, work >= parallelThreshold, (count + grain - 1) / grain >= 2, !inRegion else {
            return try body(&self, ParallelRange(lo: "0", hi: "\(count)", part: "0", parts: 1))
        }
        let saved = (lines, depth)
        (lines, depth, inRegion) = ([], 1, true)
        defer { inRegion = false }
        try body(&self, ParallelRange(lo: "lo", hi: "hi", part: "t", parts: threads * partsPerThread))
        regions.append(ParallelRegion(lines: lines, count: count, grain: grain, passed: passing))
        (lines, depth) = saved
        use(.threadPool(threads: threads))
        regionCalls.append((lines.count, depth, regions.count - 1))
        lines.append("")
    }

    /// The kernel's C: a function per parallel region (`<name>_part<k>`, taking the kernel's
    /// parameters through an array of pointers), then `static void <name>(<parameters>)`.
    func definition(name: String, parameters: [(type: String, name: String)], comment: String) -> String {
        var text: [String] = []
        for (k, region) in regions.enumerated() {
            let unpack = parameters.enumerated().map { "  \($1.type)\($1.name) = (\($1.type))ctx[\($0)];" }
                + region.passed.enumerated().map { "  long \($1) = (long)ctx[\(parameters.count + $0)];" }
            text.append((["/* \(name), parallel loop \(k): iterations lo..<hi, part t */",
                          "static void \(name)_part\(k)(void **ctx, long lo, long hi, long t) {"] + unpack + partLocals + region.lines + ["}"])
                .joined(separator: "\n"))
        }
        var body = lines
        for call in regionCalls {
            let region = regions[call.region], indent = String(repeating: "  ", count: call.depth)
            let pointers = (parameters.map(\.name) + region.passed).enumerated().map { "ctx[\($0)] = (void *)\($1);" }.joined(separator: " ")
            body[call.line] = indent + "{ void *ctx[\(max(parameters.count + region.passed.count, 1))]; \(pointers) kiln_parallel_for(\(name)_part\(call.region), ctx, \(region.count), \(region.grain)); }"
        }
        let signature = parameters.map { $0.type + $0.name }.joined(separator: ", ")
        text.append(([comment, "static void \(name)(\(signature)) {"] + body + ["}"]).joined(separator: "\n"))
        return text.joined(separator: "\n\n")
    }

    /// `for` loop of `statement(i)` over `i` in `range.lo ..< range.hi`; `i` is named `index`.
    mutating func indexLoop<E: Error>(_ range: ParallelRange, index: String = "i",
                                      _ statement: (inout KernelBuilder, String) throws(E) -> String) throws(E) {
        line("for (long \(index) = \(range.lo); \(index) < \(range.hi); \(index)++) " + (try statement(&self, index)))
    }

    /// `for` loop of `statement(i)` over `i` in `0..<count` (nothing for 0); `i` is named `index`.
    mutating func indexLoop<E: Error>(_ count: Int, index: String = "i",
                                      _ statement: (inout KernelBuilder, String) throws(E) -> String) throws(E) {
        guard count > 0 else { return }
        try indexLoop(ParallelRange(lo: "0", hi: "\(count)", part: "0", parts: 1), index: index, statement)
    }

    /// `value` into the `count` elements of `dst` (a pointer expression): `memset` when the
    /// value's bytes are all zero, else a loop from a local `v` (so at most once per kernel).
    mutating func fill(_ dst: String, count: Int, value: Scalar, _ dtype: DType) {
        guard count > 0 else { return }
        if isZeroBits(value, dtype) {
            line(call(.memset, dst, "0", "\(count) * sizeof(\(cType(dtype)))") + ";")
        } else {
            line("const \(cType(dtype)) v = \(scalar(value, dtype));")
            indexLoop(count) { _, i in "\(dst)[\(i)] = v;" }
        }
    }

    /// `value` as a C expression of `dtype`: a literal, or a bit-pattern helper call for
    /// infinities, NaN and -0.
    mutating func scalar(_ value: Scalar, _ dtype: DType) -> String {
        cLiteral(value, dtype) ?? call(.floatFromBits(dtype), cFloatBits(value.asDouble, dtype))
    }

    /// Opens one `for` loop per axis of `shape` (index `i<level>`) and declares, at each level,
    /// the element offset of every array: `base + sum(i_k * strides[k])`, named `<prefix><level>`.
    /// Returns each array's innermost offset expression. `closeLoops()` ends the nest. With
    /// `range`, the loop at `range.level` runs `range.lo ..< range.hi` only (a parallel part).
    mutating func openLoops(_ shape: [Int], _ arrays: [(prefix: String, base: Int, strides: [Int])],
                            range: (level: Int, ParallelRange)? = nil) -> [String] {
        var offsets = arrays.map { String($0.base) }
        for (level, size) in shape.enumerated() {
            let index = "i\(level)"
            let (lo, hi) = range.map { $0.level == level ? ($0.1.lo, $0.1.hi) : ("0", "\(size)") } ?? ("0", "\(size)")
            open("for (long \(index) = \(lo); \(index) < \(hi); \(index)++)")
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

/// The iterations one part of a parallel loop runs, as C expressions: `lo ..< hi`, part `part` of
/// `parts` (`"0"`, `"<count>"`, `"0"`, 1 when the loop runs on one thread). Parts run in any order
/// on any thread, at most one at a time per thread.
struct ParallelRange {
    var lo: String
    var hi: String
    var part: String
    var parts: Int
}

/// A loop of a kernel run by the pool: its body (over `lo..<hi` on thread `t`), its iteration
/// count, the grain of its partition and the `long` locals passed to its parts.
struct ParallelRegion {
    var lines: [String]
    var count: Int
    var grain: Int
    var passed: [String] = []
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
