import Foundation

/// The repository's `ir-examples/` folder and the `.kir` files in it, for tests.
public enum IRExamples {
    /// `ir-examples/` at the root of the repository.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // KilnTestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()
        .appendingPathComponent("ir-examples")

    /// `ir-examples/<subfolder>` (the root itself for "").
    public static func directory(_ subfolder: String = "") -> URL {
        subfolder.isEmpty ? root : root.appendingPathComponent(subfolder)
    }

    /// The names of the `.kir` files directly in `ir-examples/<subfolder>`, sorted.
    public static func files(in subfolder: String = "") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory(subfolder).path)) ?? []
        return names.filter { $0.hasSuffix(".kir") }.sorted()
    }
}
