// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Kiln",
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
        .library(name: "KilnIR", targets: ["KilnIR"]),
        .library(name: "KilnRuntime", targets: ["KilnRuntime"]),
        .library(name: "KilnCodegen", targets: ["KilnCodegen"]),
        .library(name: "KilnJIT", targets: ["KilnJIT"]),
        .library(name: "KilnAutodiff", targets: ["KilnAutodiff"]),
        .library(name: "KilnPasses", targets: ["KilnPasses"]),
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
        .target(name: "KilnCodegen", dependencies: ["KilnIR"]),
        .target(name: "KilnJIT", dependencies: ["CTCC", "CBLAS", "KilnIR", "KilnCodegen", "KilnRuntime"]),
        .target(name: "KilnTestSupport", dependencies: ["KilnIR", "KilnRuntime"]),
        .target(name: "KilnAutodiff", dependencies: ["KilnIR"]),
        .target(name: "KilnPasses", dependencies: ["KilnIR", "KilnRuntime"]),
        .target(name: "Kiln", dependencies: ["KilnIR", "KilnRuntime", "KilnAutodiff", "KilnPasses", "KilnCodegen", "KilnJIT", "CZlib"]),
        .target(name: "KilnBench", dependencies: ["Kiln", "KilnIR", "KilnRuntime", "KilnPasses"], path: "Benchmarks/KilnBench"),
        .executableTarget(name: "kiln", dependencies: [
            "KilnIR", "KilnRuntime", "KilnAutodiff", "KilnPasses", "KilnCodegen", "KilnJIT", "Kiln", "KilnBench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "KilnFuzz", dependencies: ["KilnIR", "KilnTestSupport"], exclude: ["kir.dict"]),
        .testTarget(name: "KilnIRTests", dependencies: ["KilnIR", "KilnTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnJITTests", dependencies: ["KilnJIT", "KilnTestSupport", "KilnRuntime", "KilnIR", "KilnAutodiff", "KilnPasses"]),
        .testTarget(name: "KilnRuntimeTests", dependencies: ["KilnIR", "KilnRuntime", "KilnTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "KilnCLITests", dependencies: ["kiln"]),
        .testTarget(name: "KilnTests", dependencies: ["Kiln", "KilnIR", "KilnRuntime", "KilnCodegen", "KilnPasses"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnAutodiffTests", dependencies: ["KilnAutodiff", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
        .testTarget(name: "KilnPassesTests", dependencies: ["KilnPasses", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
    ]
)
