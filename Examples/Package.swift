// swift-tools-version:6.1
import PackageDescription

/// One executable per model, each written against Kiln's public API (`import Kiln`) plus
/// `ExampleSupport` (flags, PNG output, the RESULT line the tests read).
let examples = ["linear-regression", "mlp", "fashion-mnist", "cnn", "char-lstm", "distillation",
                "transfer-learning", "saliency", "transformer", "optimizers", "gan", "vae"]

let package = Package(
    name: "KilnExamples",
    dependencies: [.package(name: "Kiln", path: "..")],
    targets: [
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "ExampleSupport", dependencies: ["CPNG", .product(name: "Kiln", package: "Kiln")]),
        .testTarget(name: "ExamplesTests", dependencies: ["ExampleSupport"]),
    ] + examples.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "Kiln", package: "Kiln"), "ExampleSupport"])
    }
)
