import Foundation
import KilnFormats
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

// The programs of ir-examples/ run by the interpreter and compared with the outputs that
// ir-examples/generate.py computed independently with NumPy (committed in ir-examples/data).

private let examplesDirectory = IRExamples.root

/// The names of `ir-examples/*.kir` without the extension, sorted.
private let exampleStems: [String] = IRExamples.files().map { String($0.dropLast(4)) }

private func examplePath(_ stem: String) -> String {
    examplesDirectory.appendingPathComponent(stem + ".kir").path
}

/// `ir-examples/data/<stem>/<function>/<file>`.
private func dataPath(_ stem: String, _ function: String, _ file: String) -> String {
    examplesDirectory.appendingPathComponent("data").appendingPathComponent(stem)
        .appendingPathComponent(function).appendingPathComponent(file).path
}

/// Float results must satisfy |actual - expected| <= atol + rtol * |expected|.
///
/// The NumPy reference rounds each op's exact result once (f32 transcendentals, matmul,
/// convolutions and pools are computed in f64 and rounded), while the interpreter computes in
/// the operand's precision with libm and BLAS: each op may differ by a few ulps, and the
/// examples are built so that no step amplifies that much. rtol = 1e-5 (about 80 f32 ulps) with
/// atol = 1e-6 for f32; rtol = atol = 1e-12 for f64. Integers and bools must match exactly, and
/// NaN matches only NaN.
private func tolerance(_ dtype: DType) -> (rtol: Double, atol: Double) {
    dtype == .f32 ? (1e-5, 1e-6) : (1e-12, 1e-12)
}

/// The row-major multi-index of flat element `i` of `shape`.
private func multiIndex(_ i: Int, _ shape: [Int]) -> [Int] {
    zip(rowMajorStrides(shape), shape).map { stride, dim in (i / stride) % max(dim, 1) }
}

/// How far element `i` of `actual` is from `expected` beyond the tolerance (> 0 is a failure).
private func excess(_ actual: HostTensor, _ expected: HostTensor, _ i: Int) -> Double {
    let dtype = expected.type.dtype
    guard dtype.isFloat else {
        let (a, b) = (actual[i].asInt64, expected[i].asInt64)
        return a == b ? 0 : abs(Double(a) - Double(b))
    }
    let (a, b) = (actual[i].asDouble, expected[i].asDouble)
    if a == b || (a.isNaN && b.isNaN) { return 0 }
    if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite { return .infinity }
    let (rtol, atol) = tolerance(dtype)
    return abs(a - b) - (atol + rtol * abs(b))
}

/// A description of the worst element where `actual` differs from `expected`, or nil when
/// they agree (see `tolerance`).
private func mismatch(_ actual: HostTensor, _ expected: HostTensor) -> String? {
    guard actual.type == expected.type else { return "got \(actual.type), expected \(expected.type)" }
    var worst: (index: Int, excess: Double)?
    for i in 0..<expected.count {
        let e = excess(actual, expected, i)
        if e > 0, e > worst?.excess ?? 0 { worst = (i, e) }
    }
    guard let worst else { return nil }
    let at = multiIndex(worst.index, expected.type.shape)
    return "worst element \(at): got \(actual[worst.index]), expected \(expected[worst.index])"
}

/// The canonical text of a file: its lines without comments and blank lines.
private func significantLines(_ text: String) -> [Substring] {
    text.split(separator: "\n").filter {
        let line = $0.drop { $0 == " " }
        return !line.isEmpty && !line.hasPrefix("#")
    }
}

@Suite("Examples")
struct ExampleTests {
    @Test("each example function's interpreter outputs match the NumPy reference", arguments: exampleStems)
    func matchesReference(stem: String) throws {
        let module = try loadModule(path: examplePath(stem))
        for f in module.functions {
            let place = "\(stem).kir @\(f.name)"
            guard FileManager.default.fileExists(atPath: dataPath(stem, f.name, "out0.npy")) else {
                Issue.record("\(place) has no data; run python3 ir-examples/generate.py")
                continue
            }
            let inputs = try f.params.map { p in try readNPY(path: dataPath(stem, f.name, "in_\(f.name(of: p)).npy")) }
            let outputs = try interpret(f, inputs: inputs)
            for (k, actual) in outputs.enumerated() {
                let expected = try readNPY(path: dataPath(stem, f.name, "out\(k).npy"))
                if let problem = mismatch(actual, expected) {
                    Issue.record("\(place) output \(k): \(problem)")
                }
            }
            #expect(!FileManager.default.fileExists(atPath: dataPath(stem, f.name, "out\(outputs.count).npy")),
                    "\(place) has more expected outputs than results")
        }
    }

    @Test("each example is written in canonical form", arguments: exampleStems)
    func canonicalForm(stem: String) throws {
        let text = try String(contentsOfFile: examplePath(stem), encoding: .utf8)
        let printed = significantLines(printModule(try loadModule(path: examplePath(stem))))
        let written = significantLines(text)
        let firstDifference = zip(written, printed).first { $0 != $1 }
        #expect(written.count == printed.count && firstDifference == nil,
                "\(stem).kir: wrote \(firstDifference?.0 ?? "-"), canonical \(firstDifference?.1 ?? "-")")
    }

    @Test("the comparison accepts the tolerance and nothing beyond it")
    func comparison() throws {
        let expected = try HostTensor([4], floats: [1, .nan, -.infinity, 0])
        func compared(_ values: [Float]) throws -> String? { mismatch(try HostTensor([4], floats: values), expected) }
        #expect(try compared([1, .nan, -.infinity, 0]) == nil)
        #expect(try compared([1 + 9e-6, .nan, -.infinity, 9e-7]) == nil)
        #expect(try compared([1 + 2e-5, .nan, -.infinity, 0]) == "worst element [0]: got 1.0000200271606445, expected 1.0")
        #expect(try compared([1, 0, -.infinity, 0]) == "worst element [1]: got 0.0, expected nan")
        #expect(try compared([1, .nan, .infinity, 1]) == "worst element [2]: got inf, expected -inf")
        #expect(try compared([1, .nan, -.infinity, 2e-6]) == "worst element [3]: got 1.9999999949504854e-06, expected 0.0")
        let ints = try HostTensor(TensorType(.i64, [2, 2]), scalars: [.int(1), .int(2), .int(3), .int(Int64.min)])
        let other = try HostTensor(TensorType(.i64, [2, 2]), scalars: [.int(1), .int(3), .int(3), .int(Int64.max)])
        #expect(mismatch(other, ints) == "worst element [1, 1]: got 9223372036854775807, expected -9223372036854775808")
        #expect(mismatch(ints, try HostTensor(zeros: TensorType(.i32, [2, 2]))) == "got i64[2,2], expected i32[2,2]")
    }

    @Test("the examples use every op and every dtype")
    func coverage() throws {
        #expect(exampleStems.count >= 28, "found \(exampleStems.count) examples in \(examplesDirectory.path)")
        var ops: Set<String> = []
        var dtypes: Set<DType> = []
        for stem in exampleStems {
            for f in try loadModule(path: examplePath(stem)).functions {
                ops.formUnion(f.body.map(\.op.name))
                dtypes.formUnion(f.values.map(\.type.dtype))
            }
        }
        // `fused` kernels are what the fuse pass makes; ir-examples/passes/fuse_*.kir show them.
        #expect(Set(Op.allNames).subtracting(ops).sorted() == ["fused"])
        #expect(Set(DType.allCases).subtracting(dtypes).map(\.rawValue).sorted() == [])
    }
}
