import Foundation
import KilnFormats
import KilnIR
import KilnONNX
import KilnRuntime

/// The models `Fixtures/make_fixtures.py` exported with PyTorch, their inputs and PyTorch's outputs.
enum ONNXFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Every exported model (see make_fixtures.py for what each covers).
    static let names = ["mlp", "mlp_opset13", "activations", "cnn_bn", "resblock", "deconv", "grouped", "lstm", "bilstm",
                        "encoder_relu", "encoder_gelu", "encoder_opset21", "embedding", "helper_ops", "helper_windows", "helper_sequences"]

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    static func load(_ name: String) throws -> ImportedModel {
        try ONNXImporter.importModel(path: path(name + ".onnx"))
    }

    /// The model's inputs (`NAME.inK.npy`).
    static func inputs(_ name: String, count: Int) throws -> [HostTensor] {
        try (0..<count).map { try readNPY(path: path("\(name).in\($0).npy")) }
    }

    /// PyTorch's outputs (`NAME.outK.npy`), as many as the files hold.
    static func outputs(_ name: String) throws -> [HostTensor] {
        var out: [HostTensor] = []
        while FileManager.default.fileExists(atPath: path("\(name).out\(out.count).npy")) {
            out.append(try readNPY(path: path("\(name).out\(out.count).npy")))
        }
        return out
    }

    /// The largest `|a - b| / (1 + |b|)` over the elements: infinity when the types differ or an
    /// element of `a` is NaN or infinite (the references hold none).
    static func maxError(_ a: HostTensor, _ b: HostTensor) -> Double {
        guard a.type == b.type else { return .infinity }
        return zip(a.doubles, b.doubles).map { $0.isFinite ? Swift.abs($0 - $1) / (1 + Swift.abs($1)) : .infinity }.max() ?? 0
    }
}
