import Foundation
import Testing
import KilnRuntime

@Suite("kiln run --check-numerics and escaped error text")
struct NumericsAndEscapingTests {
    static let program = """
    func @f(%x: f32[3]) -> (f32[3]) {
      %a = abs(%x) : f32[3]
      %y = log(%a) : f32[3]
      return %y
    }

    """

    @Test("--check-numerics names the first instruction producing NaN or infinity and exits 1")
    func checkNumerics() throws {
        let w = try Workspace()
        let file = try w.write("log.kir", Self.program)
        let input = try w.write("x.npy", try HostTensor([3], floats: [2, 0, -1]))
        for backend in ["jit", "interp"] {
            let silent = try w.kiln("run", file, "--input", "x=\(input)", "--backend", backend)
            #expect(silent.status == 0 && silent.stdout.contains("min=-inf"), "\(silent.stdout)")
            let checked = try w.kiln("run", file, "--input", "x=\(input)", "--backend", backend, "--check-numerics")
            #expect(checked.status == 1)
            #expect(checked.stderr == "\(file):3:8: error: --check-numerics: instruction 2 of @f, 'log', produced -inf at element 1 of %y " +
                    "(1 of 3 elements not finite; its operands were finite): %y = log(%a) : f32[3]\n", "\(checked.stderr)")
            #expect(checked.stdout.isEmpty)
        }
        let finite = try w.write("ok.npy", try HostTensor([3], floats: [1, 2, -4]))
        let fine = try w.kiln("run", file, "--input", "x=\(finite)", "--check-numerics", "--timings")
        #expect(fine.status == 0 && fine.stdout.hasPrefix("out0: f32[3] min=0.0 max=1.3862944") && fine.stdout.contains("time check numerics: "),
                "\(fine.stdout) \(fine.stderr)")
    }

    @Test("control characters in echoed user text are escaped")
    func escaping() throws {
        let w = try Workspace()
        let name = "evil\u{1B}]0;owned\u{07}\u{1B}[2J\r\u{9B}31m.kir"
        let missing = try w.kiln("verify", name)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: cannot open 'evil\\u{1B}]0;owned\\u{7}\\u{1B}[2J\\u{D}\\u{9B}31m.kir'"), "\(missing.stderr)")
        let flag = try w.kiln("train", "--model", "\u{1B}[31mred")
        #expect(flag.status == 1 && flag.stderr.contains("'\\u{1B}[31mred'"), "\(flag.stderr)")
        for outcome in [missing, flag] {
            #expect(!outcome.stderr.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" })
        }
    }
}
