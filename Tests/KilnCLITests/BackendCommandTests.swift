import Foundation
import KilnFormats
import Testing
import KilnRuntime

/// `kiln run` on both backends, `--timings`, `--passes`, and `kiln emit-c`.
@Suite("kiln run backends and emit-c")
struct BackendCommandTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ir-examples")

    @Test("jit and interp give the same results on the MLP example, with and without passes")
    func backendsAgree() throws {
        let w = try Workspace()
        let file = Self.examples.appendingPathComponent("mlp_softmax_xent.kir").path
        var outputs: [[Double]] = []
        for (backend, passes) in [("interp", "none"), ("jit", "none"), ("jit", "default")] {
            let dir = w.path("\(backend)-\(passes)")
            let outcome = try w.kiln(["run", file, "--random-inputs", "--seed", "3", "--backend", backend, "--passes", passes, "--out", dir])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            outputs.append(try readNPY(path: dir + "/out0.npy").doubles + readNPY(path: dir + "/out1.npy").doubles)
        }
        // The loss reduces with 4 accumulators on jit (see docs/codegen.md): equal within 1e-6.
        for other in outputs.dropFirst() {
            #expect(zip(outputs[0], other).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * (1 + Swift.abs($0)) })
        }
    }

    @Test("--timings lists every stage and the arena")
    func timings() throws {
        let w = try Workspace()
        let file = Self.examples.appendingPathComponent("conv_relu_maxpool.kir").path
        let outcome = try w.kiln(["run", file, "--random-inputs", "--timings"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for stage in ["parse", "verify", "passes", "codegen", "tcc compile", "run"] {
            #expect(outcome.stdout.contains("time \(stage): "), "\(stage): \(outcome.stdout)")
        }
        #expect(outcome.stdout.contains("arena peak: "))
    }

    @Test("emit-c shows sgemm calls and one commented function per instruction")
    func emitC() throws {
        let w = try Workspace()
        let file = Self.examples.appendingPathComponent("mlp_softmax_xent.kir").path
        let outcome = try w.kiln(["emit-c", file, "--passes", "none"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("cblas_sgemm(101, 111, 111,"))
        #expect(outcome.stdout.contains("/* %xw = matmul(%x, %w1) : f32[6,8] */"))
        #expect(!outcome.stdout.contains("#include"))
        let bad = try w.kiln(["emit-c", file, "--passes", "nope"])
        #expect(bad.status == 1 && bad.stderr.contains("unknown pass 'nope'"))
    }

    @Test("KILN_NUM_THREADS sets the threads of parallel loops; a bad value is an error naming it")
    func threadCount() throws {
        let w = try Workspace()
        let file = try w.write("big.kir", """
        func @f(%x: f32[512,512]) -> (f32[512,512]) {
          %e = exp(%x) : f32[512,512]
          return %e
        }
        """)
        let three = try w.kiln(["emit-c", file], environment: ["KILN_NUM_THREADS": "3"])
        #expect(three.status == 0, "\(three.stderr)")
        #expect(three.stdout.contains("unsigned long workers[2];"))
        let one = try w.kiln(["emit-c", file], environment: ["KILN_NUM_THREADS": "1"])
        #expect(one.status == 0 && !one.stdout.contains("kiln_parallel_for"))
        let run = try w.kiln(["run", file, "--random-inputs"], environment: ["KILN_NUM_THREADS": "2"])
        #expect(run.status == 0 && run.stdout.contains("out0: f32[512,512]"), "\(run.stderr)")
        for bad in ["0", "65", "two"] {
            let outcome = try w.kiln(["emit-c", file], environment: ["KILN_NUM_THREADS": bad])
            #expect(outcome.status == 1 && outcome.stderr.contains("KILN_NUM_THREADS='\(bad)' is not a thread count"), "\(outcome.stderr)")
        }
    }
}
