import Foundation
import KilnFormats
import KilnRuntime
import Testing

/// `kiln import-onnx` and `kiln run --weights` on a model PyTorch exported.
@Suite("kiln import-onnx")
struct ImportONNXCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KilnONNXTests/Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test("import, then run compiled with the weights, gives PyTorch's outputs")
    func importAndRun() throws {
        let w = try Workspace()
        let kir = w.path("lstm.kir")
        let imported = try w.kiln(["import-onnx", Self.fixture("lstm.onnx"), "-o", kir])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported @main_graph (opset 17): 1 input(s), 5 weights (309 values)"), "\(imported.stdout)")
        #expect(FileManager.default.fileExists(atPath: w.path("lstm.safetensors")))
        let verified = try w.kiln(["verify", kir])
        #expect(verified.status == 0, "\(verified.stderr)")
        let run = try w.kiln(["run", kir, "--weights", w.path("lstm.safetensors"), "--input", "input=" + Self.fixture("lstm.in0.npy"),
                              "--out", w.path("out")])
        #expect(run.status == 0, "\(run.stderr)")
        for k in 0..<2 {
            let got = try readNPY(path: w.path("out/out\(k).npy")), want = try readNPY(path: Self.fixture("lstm.out\(k).npy"))
            #expect(got.type == want.type)
            #expect(zip(got.doubles, want.doubles).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * (1 + Swift.abs($1)) })
        }
    }

    @Test("errors: an unsupported op, a missing file, weights of another model, a bad --input-shape")
    func errors() throws {
        let w = try Workspace()
        let missing = try w.kiln(["import-onnx", w.path("nope.onnx")])
        #expect(missing.status == 1 && missing.stderr.contains("nope.onnx"), "\(missing.stderr)")
        let notONNX = try w.kiln(["import-onnx", try w.write("bad.onnx", "not a model"), "-o", w.path("bad.kir")])
        #expect(notONNX.status == 1 && notONNX.stderr.contains("bad.onnx: not a valid ONNX model"), "\(notONNX.stderr)")
        let shape = try w.kiln(["import-onnx", Self.fixture("mlp.onnx"), "--input-shape", "x=2,a"])
        #expect(shape.status != 0 && shape.stderr.contains("--input-shape 'x=2,a' must be NAME=D0,D1,..."), "\(shape.stderr)")

        #expect(try w.kiln(["import-onnx", Self.fixture("mlp.onnx"), "-o", w.path("mlp.kir")]).status == 0)
        #expect(try w.kiln(["import-onnx", Self.fixture("deconv.onnx"), "-o", w.path("deconv.kir")]).status == 0)
        let wrong = try w.kiln(["run", w.path("mlp.kir"), "--weights", w.path("deconv.safetensors"), "--random-inputs"])
        #expect(wrong.status == 1 && wrong.stderr.contains("which @main_graph has no parameter for"), "\(wrong.stderr)")
    }
}
