// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Kiln",
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
        .library(name: "KilnIR", targets: ["KilnIR"]),
        .library(name: "KilnRuntime", targets: ["KilnRuntime"]),
        .library(name: "KilnAutodiff", targets: ["KilnAutodiff"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CTCC", path: "Sources/CTCC"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "KilnIR"),
        .target(name: "KilnRuntime", dependencies: ["KilnIR", "CBLAS"]),
        .target(name: "KilnTestSupport", dependencies: ["KilnIR", "KilnRuntime"]),
        .target(name: "KilnAutodiff", dependencies: ["KilnIR"]),
        .target(name: "Kiln", dependencies: ["KilnIR", "KilnRuntime", "KilnAutodiff", "CZlib"]),
        .executableTarget(name: "kiln", dependencies: [
            "KilnIR", "KilnRuntime", "KilnAutodiff",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "KilnIRTests", dependencies: ["KilnIR", "KilnTestSupport"]),
        .testTarget(name: "KilnRuntimeTests", dependencies: ["KilnIR", "KilnRuntime", "KilnTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "KilnCLITests", dependencies: ["kiln"]),
        .testTarget(name: "KilnTests", dependencies: ["Kiln", "KilnIR", "KilnRuntime"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnAutodiffTests", dependencies: ["KilnAutodiff", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
    ]
)
