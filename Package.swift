// swift-tools-version:6.1
import PackageDescription

/// Programs that run gcc-compiled code export their symbols, so that the shared objects of the
/// optimizing tier resolve the runtime's entry points (`kiln_all_reduce`) against the process, as
/// they do libm's and OpenBLAS's.
let exportedRuntimeSymbols: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--export-dynamic"])]

let package = Package(
    name: "Kiln",
    products: [
        .executable(name: "kiln", targets: ["KilnCLI"]),
        .library(name: "KilnIR", targets: ["KilnIR"]),
        .library(name: "KilnRuntime", targets: ["KilnRuntime"]),
        .library(name: "KilnCodegen", targets: ["KilnCodegen"]),
        .library(name: "KilnJIT", targets: ["KilnJIT"]),
        .library(name: "KilnAutodiff", targets: ["KilnAutodiff"]),
        .library(name: "KilnPasses", targets: ["KilnPasses"]),
        .library(name: "KilnFormats", targets: ["KilnFormats"]),
        .library(name: "KilnData", targets: ["KilnData"]),
        .library(name: "Kiln", targets: ["Kiln"]),
        .library(name: "KilnONNX", targets: ["KilnONNX"]),
        .library(name: "KilnDistributed", targets: ["KilnDistributed"]),
        .library(name: "KilnTensorBoard", targets: ["KilnTensorBoard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CTCC", path: "Sources/CTCC"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CKilnKernels", path: "Sources/CKilnKernels"),
        .target(name: "KilnSupport"),
        .target(name: "KilnIR", dependencies: ["KilnSupport"]),
        .target(name: "KilnRuntime", dependencies: ["KilnIR", "CBLAS"]),
        .target(name: "KilnCodegen", dependencies: ["KilnIR"]),
        .target(name: "KilnJIT", dependencies: ["KilnSupport", "CTCC", "CBLAS", "CKilnKernels", "KilnIR", "KilnCodegen", "KilnRuntime"]),
        .target(name: "KilnTestSupport", dependencies: ["KilnIR", "KilnRuntime"]),
        .target(name: "KilnAutodiff", dependencies: ["KilnIR", "KilnRuntime"]),
        .target(name: "KilnDistributed", dependencies: ["KilnSupport", "KilnIR", "KilnRuntime"]),
        .target(name: "KilnPasses", dependencies: ["KilnSupport", "KilnIR", "KilnRuntime"]),
        .target(name: "KilnFormats", dependencies: ["KilnSupport", "KilnIR", "KilnRuntime", "CZlib"]),
        .target(name: "KilnData", dependencies: ["KilnIR", "KilnRuntime", "KilnFormats"]),
        .target(name: "Kiln", dependencies: ["KilnSupport", "KilnIR", "KilnRuntime", "KilnAutodiff", "KilnPasses", "KilnCodegen", "KilnJIT",
                                             "KilnFormats", "KilnData"]),
        .target(name: "KilnONNX", dependencies: ["KilnSupport", "KilnIR", "KilnRuntime", "KilnFormats", "KilnPasses",
                                                 .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "KilnTensorBoard", dependencies: ["KilnSupport", "KilnIR", "Kiln", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["tensorboard_event.proto"]),
        .target(name: "KilnBench", dependencies: ["KilnSupport", "Kiln", "KilnIR", "KilnRuntime", "KilnPasses"], path: "Benchmarks/KilnBench"),
        .executableTarget(name: "KilnCLI", dependencies: [
            "KilnSupport", "KilnIR", "KilnRuntime", "KilnAutodiff", "KilnPasses", "KilnCodegen", "KilnJIT", "KilnFormats", "KilnData", "Kiln", "KilnBench", "KilnONNX", "KilnDistributed", "KilnTensorBoard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: exportedRuntimeSymbols),
        .executableTarget(name: "KilnFuzz", dependencies: ["KilnIR", "KilnTestSupport"], exclude: ["kir.dict"]),
        .testTarget(name: "KilnIRTests", dependencies: ["KilnSupport", "KilnIR", "KilnTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnJITTests", dependencies: ["KilnJIT", "KilnTestSupport", "KilnRuntime", "KilnFormats", "KilnIR", "KilnAutodiff", "KilnPasses"],
                    linkerSettings: exportedRuntimeSymbols),
        .testTarget(name: "KilnRuntimeTests", dependencies: ["KilnIR", "KilnRuntime", "KilnFormats", "KilnTestSupport"]),
        .testTarget(name: "KilnFormatsTests", dependencies: ["KilnFormats", "KilnIR", "KilnRuntime", "KilnTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnCLITests", dependencies: ["KilnCLI", "KilnFormats", "KilnTestSupport"]),
        .testTarget(name: "KilnTests", dependencies: ["KilnSupport", "Kiln", "KilnIR", "KilnRuntime", "KilnFormats", "KilnData", "KilnCodegen", "KilnPasses",
                                                    "KilnJIT", "KilnTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnAutodiffTests", dependencies: ["KilnAutodiff", "KilnIR", "KilnRuntime", "KilnFormats", "KilnTestSupport"]),
        .testTarget(name: "KilnONNXTests", dependencies: ["KilnONNX", "Kiln", "KilnIR", "KilnRuntime", "KilnFormats", "KilnJIT", "KilnPasses", "KilnTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "KilnTensorBoardTests", dependencies: ["KilnTensorBoard", "Kiln", "KilnTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KilnPassesTests", dependencies: ["KilnSupport", "KilnPasses", "KilnIR", "KilnRuntime", "KilnTestSupport"]),
    ]
)
