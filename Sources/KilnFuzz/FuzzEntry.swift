#if canImport(Glibc)
import Glibc
#endif

private typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
private typealias RunDriver = @convention(c) (UnsafeMutablePointer<Int32>,
    UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>, TestOneInput) -> Int32

/// The entry point (SwiftPM links executables with `--defsym main=KilnFuzz_main`). libFuzzer's
/// driver is found at run time, so the target also links in a build without `-sanitize=fuzzer`.
@_cdecl("KilnFuzz_main")
public func kilnFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "LLVMFuzzerRunDriver") else {
        report("""
            KilnFuzz: libFuzzer is not linked in. Build it for fuzzing with
              swift build -c release -Xswiftc -sanitize=fuzzer,address --product KilnFuzz
            or run scripts/fuzz.sh (see docs/fuzzing.md).
            """)
        return 1
    }
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    let driver = unsafeBitCast(symbol, to: RunDriver.self)
    return driver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
