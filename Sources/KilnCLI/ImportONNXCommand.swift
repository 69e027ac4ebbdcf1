import ArgumentParser
import KilnIR
import KilnSupport
import KilnONNX

/// `kiln import-onnx MODEL.onnx -o MODEL.kir`: an ONNX model as a Kiln function and its weights.
struct ImportONNXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-onnx",
        abstract: "Import an ONNX model (opsets 13-21) as a .kir function whose weights are parameters, with their values in a .safetensors file.")

    @Argument(help: "The .onnx file.")
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The .kir file to write (default: the model's name with .kir).", valueName: "file.kir"))
    var output: String?

    @Option(help: ArgumentHelp("The weights file to write (default: the .kir file's name with .safetensors).", valueName: "file.safetensors"))
    var weights: String?

    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("A static shape for an input with symbolic dimensions, e.g. x=1,3,224,224. Repeat per input.", valueName: "name=d0,d1,..."))
    var inputShapes: [String] = []

    func run() throws {
        var shapes: [String: [Int]] = [:]
        for spec in inputShapes {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let dims = parts.count == 2 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int($0) } : []
            guard parts.count == 2, !parts[0].isEmpty, !dims.isEmpty, dims.allSatisfy({ $0.map { $0 >= 0 } ?? false }) else {
                throw ValidationError("--input-shape '\(spec)' must be NAME=D0,D1,... with sizes >= 0, e.g. --input-shape x=1,3,224,224")
            }
            guard shapes.updateValue(dims.compactMap { $0 }, forKey: parts[0]) == nil else {
                throw ValidationError("--input-shape \(parts[0]) is given twice")
            }
        }
        let kir = output ?? replacingExtension(of: model, with: ".kir")
        let weightsPath = weights ?? replacingExtension(of: kir, with: ".safetensors")
        guard kir != model, weightsPath != model, weightsPath != kir else {
            throw ValidationError("the .kir file, the weights file and the model must be three different files; pass -o and --weights")
        }
        let imported = try ONNXImporter.importModel(path: model, inputShapes: shapes)
        try writeFileAtomically(Array(printFunction(imported.function).utf8), path: kir)
        try imported.writeWeights(path: weightsPath)
        let f = imported.function
        let values = imported.weights.map { $0.1.count }.reduce(0, +)
        print("imported @\(f.name) (opset \(imported.opset)): \(imported.inputCount) input(s), \(imported.weights.count) weights (\(values) values), \(f.body.count) instructions")
        print("wrote \(kir) and \(weightsPath); run it with: kiln run \(kir) --weights \(weightsPath) "
              + f.params.prefix(imported.inputCount).map { "--input \(f.name(of: $0))=\(f.name(of: $0)).npy" }.joined(separator: " "))
    }
}

/// `path` with its extension (after the last `.` of the file name) replaced by `ext`, or `ext` appended.
private func replacingExtension(of path: String, with ext: String) -> String {
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    guard let dot = path[slash...].lastIndex(of: "."), dot != slash else { return path + ext }
    return String(path[..<dot]) + ext
}
