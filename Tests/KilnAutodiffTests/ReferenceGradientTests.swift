import Foundation
import KilnAutodiff
import KilnFormats
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

// `grad` of the example losses of ir-examples/, interpreted on the committed inputs, against the
// gradients ir-examples/generate_grads.py derived by hand-written backpropagation in NumPy
// (float64, checked there against central differences, rounded to f32).

private let examplesDirectory = IRExamples.root

/// An example function whose first result is a scalar loss, with reference gradients for all
/// its float parameters.
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    let stem: String
    let function: String

    var testDescription: String { "\(stem).kir @\(function)" }

    /// `ir-examples/data/<stem>/<function>/<file>`.
    func dataPath(_ file: String) -> String {
        examplesDirectory.appendingPathComponent("data").appendingPathComponent(stem)
            .appendingPathComponent(function).appendingPathComponent(file).path
    }

    func load() throws -> Function {
        let module = try loadModule(path: examplesDirectory.appendingPathComponent(stem + ".kir").path)
        return try #require(module.function(named: function), "\(stem).kir has no @\(function)")
    }
}

private let mlp = ReferenceCase(stem: "mlp_softmax_xent", function: "loss")
private let convNet = ReferenceCase(stem: "conv_net_loss", function: "loss")
private let linearRegression = ReferenceCase(stem: "linear_regression_mse", function: "mse_loss")

private func floatParameters(_ f: Function) -> [String] {
    f.params.filter { f.type(of: $0).dtype.isFloat }.map(f.name(of:))
}

/// The worst element of `actual` outside |a - b| <= 1e-5 + 1e-4 |b| of the reference `expected`,
/// or nil when all are within.
///
/// The reference is the exact gradient (float64) rounded once to f32; the interpreter runs the
/// forward and backward passes in f32, rounding every op. The largest cancellations are in the
/// softmax cross-entropy gradient (softmax - onehot, entries near 1 minus 1) and in the matmuls
/// and bias sums that accumulate up to 64 terms of mixed sign, so an element's error is a
/// few f32 ulps (6e-8) of the magnitudes it was summed from (below 1): 1.2e-7 absolute at most
/// on these examples. atol = 1e-5 keeps a wide margin for elements that cancel towards 0 and
/// rtol = 1e-4 (about 1700 ulps) for the rest, while a wrong rule misses by far more: dropping
/// one term of a sum, a wrong transpose or a wrong scale changes elements by 1e-2 or more.
private func mismatch(_ actual: HostTensor, _ expected: HostTensor) -> String? {
    guard actual.type == expected.type else { return "got \(actual.type), expected \(expected.type)" }
    let excess = zip(actual.doubles, expected.doubles).map { a, b in
        let e = abs(a - b) - (1e-5 + 1e-4 * abs(b))
        return e.isNaN ? .infinity : e
    }
    guard let worst = excess.indices.max(by: { excess[$0] < excess[$1] }), excess[worst] > 0 else { return nil }
    return "element \(worst): got \(actual[worst].asDouble), expected \(expected[worst].asDouble)"
}

@Suite struct ReferenceGradientTests {
    @Test("grad with respect to every float parameter matches the NumPy reference gradients",
          arguments: [mlp, convNet, linearRegression])
    func matchesReference(_ example: ReferenceCase) throws {
        let f = try example.load()
        let wrt = floatParameters(f)
        let referenceFiles = try FileManager.default.contentsOfDirectory(atPath: example.dataPath(""))
            .filter { $0.hasPrefix("grad_") }
        #expect(Set(referenceFiles) == Set(wrt.map { "grad_\($0).npy" }),
                "run python3 ir-examples/generate_grads.py for the float parameters \(wrt)")
        let g = try grad(f, wrt: wrt)
        let inputs = try f.params.map { try readNPY(path: example.dataPath("in_\(f.name(of: $0)).npy")) }
        let outputs = try interpret(g, inputs: inputs)
        let forward = try interpret(f, inputs: inputs)
        #expect(outputs.count == forward.count + wrt.count)
        #expect(zip(forward, outputs).allSatisfy { $0.doubles == $1.doubles }, "the gradient function changes the results")
        for (name, actual) in zip(wrt, outputs.dropFirst(forward.count)) {
            let expected = try readNPY(path: example.dataPath("grad_\(name).npy"))
            #expect(expected.doubles.contains { $0 != 0 }, "the reference d loss / d \(name) is all zeros")
            if let problem = mismatch(actual, expected) { Issue.record("d loss / d \(name): \(problem)") }
        }
    }

    @Test("the gradient function is the forward body followed by the backward pass; sizes are logged",
          arguments: [mlp, convNet])
    func instructionCounts(_ example: ReferenceCase) throws {
        let f = try example.load()
        let wrt = floatParameters(f)
        let g = try grad(f, wrt: wrt)
        print("\(example.testDescription): forward \(f.body.count) instructions, @\(g.name) "
              + "\(g.body.count) (w.r.t. \(wrt.joined(separator: ", ")))")
        #expect(g.body.count > f.body.count)
        let copied = g.body.prefix(f.body.count).map { ($0.op, $0.results.map(g.name(of:))) }
        let original = f.body.map { ($0.op, $0.results.map(f.name(of:))) }
        #expect(copied.elementsEqual(original) { $0.0 == $1.0 && $0.1 == $1.1 })
        #expect(g.results.suffix(wrt.count).map(g.name(of:)) == wrt.map { "d_" + $0 })
    }
}
