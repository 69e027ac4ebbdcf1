import KilnFormats
import KilnIR
import KilnRuntime
import Testing

/// Two functions that only move their inputs, so their results are known exactly.
private let program = """
    # passes its inputs through
    func @pass(%x: f32[2,3],%n : i32[4]) -> (f32[3,2], i32[4]) {
      %y = reshape( %x ) {shape=[3, 2]} : f32[3,2]   # row-major order kept
      return %y, %n
    }
    func @flags(%b: bool[5], %d: f64[]) -> (bool[5], f64[]) {
      return %b, %d
    }

    """

private let canonicalProgram = """
    func @pass(%x: f32[2,3], %n: i32[4]) -> (f32[3,2], i32[4]) {
      %y = reshape(%x) {shape = [3,2]} : f32[3,2]
      return %y, %n
    }

    func @flags(%b: bool[5], %d: f64[]) -> (bool[5], f64[]) {
      return %b, %d
    }

    """

@Suite("kiln command line")
struct CLITests {
    @Test("verify counts the functions")
    func verifyCounts() throws {
        let w = try Workspace()
        let two = try w.kiln("verify", try w.write("two.kir", program))
        #expect(two.status == 0)
        #expect(two.stdout == "ok: 2 functions\n")
        #expect(two.stderr.isEmpty)
        let one = try w.kiln("verify", try w.write("one.kir", "func @f(%a: f32[]) -> (f32[]) {\n  return %a\n}\n"))
        #expect(one.status == 0)
        #expect(one.stdout == "ok: 1 function\n")
    }

    @Test("print gives the canonical text, which prints to itself")
    func printCanonical() throws {
        let w = try Workspace()
        let printed = try w.kiln("print", try w.write("p.kir", program))
        #expect(printed.status == 0)
        #expect(printed.stdout == canonicalProgram)
        let again = try w.kiln("print", try w.write("q.kir", printed.stdout))
        #expect(again.stdout == canonicalProgram)
    }

    @Test("parse and verification errors name FILE:LINE:COL and exit 1")
    func sourceErrors() throws {
        let w = try Workspace()
        let syntax = try w.write("syntax.kir", "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = add(%x %x) : f32[2]\n  return %y\n}\n")
        for command in ["verify", "print", "run"] {
            let outcome = try w.kiln(command, syntax)
            #expect(outcome.status == 1, "\(command)")
            #expect(outcome.stdout.isEmpty, "\(command)")
            #expect(outcome.stderr.hasPrefix("\(syntax):2:15: error: "), "\(command): \(outcome.stderr)")
        }
        let typed = try w.write("typed.kir", "func @f(%x: f32[2]) -> (f32[2]) {\n  %y = add(%x, %x) : f32[3]\n  return %y\n}\n")
        let outcome = try w.kiln("print", typed)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("\(typed):2:"))
        #expect(outcome.stderr.contains("f32[3]") && outcome.stderr.contains("f32[2]"))
        let missing = try w.kiln("verify", w.path("absent.kir"))
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot open"))
    }

    @Test("run prints one summary line per result and writes them with --out")
    func runWithInputs() throws {
        let w = try Workspace()
        let file = try w.write("p.kir", program)
        let x = try w.write("x.npy", try HostTensor([2, 3], floats: [1, 2, 3, 4, 5, -3]))
        let n = try w.write("n.npy", try HostTensor(TensorType(.i32, [4]), scalars: [-2, 0, 7, 3].map { .int($0) }))
        let run = try w.kiln("run", file, "--input", "n=\(n)", "--input", "x=\(x)", "--out", "results/a")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "out0: f32[3,2] min=-3.0 max=5.0 mean=2.0\nout1: i32[4] min=-2 max=7 mean=2.0\n")
        let out0 = try readNPY(path: w.path("results/a/out0.npy"))
        #expect(out0.type == TensorType(.f32, [3, 2]))
        #expect(out0.doubles == [1, 2, 3, 4, 5, -3])
        let out1 = try readNPY(path: w.path("results/a/out1.npy"))
        #expect(out1.type == TensorType(.i32, [4]))
        #expect(out1.doubles == [-2, 0, 7, 3])

        let b = try w.write("b.npy", try HostTensor(TensorType(.bool, [5]), scalars: [true, false, true, true, false].map { .bool($0) }))
        let d = try w.write("d.npy", try HostTensor(.scalar(.f64), doubles: [0.25]))
        let flags = try w.kiln("run", file, "--func", "flags", "--input", "b=\(b)", "--input", "d=\(d)")
        #expect(flags.status == 0, "\(flags.stderr)")
        #expect(flags.stdout == "out0: bool[5] min=0 max=1 mean=0.6\nout1: f64[] min=0.25 max=0.25 mean=0.25\n")
    }

    @Test("input mistakes are errors naming the parameter")
    func inputErrors() throws {
        let w = try Workspace()
        let file = try w.write("p.kir", program)
        let x = try w.write("x.npy", try HostTensor([2, 3], floats: [1, 2, 3, 4, 5, 6]))
        let wrongShape = try w.write("w.npy", try HostTensor([3, 2], floats: [1, 2, 3, 4, 5, 6]))
        let cases: [([String], [String])] = [
            (["--input", "x=\(x)"], ["%n (i32[4])", "--input n=PATH.npy", "--random-inputs"]),
            (["--input", "x=\(wrongShape)", "--input", "n=\(x)"], ["parameter %x", "f32[3,2]", "f32[2,3]"]),
            (["--input", "x=\(x)", "--input", "n=\(x)"], ["parameter %n", "f32[2,3]", "i32[4]"]),
            (["--input", "y=\(x)"], ["no parameter %y", "x, n"]),
            (["--input", "x=\(x)", "--input", "x=\(x)"], ["--input x is given twice"]),
            (["--input", "x"], ["must be NAME=PATH.npy"]),
            (["--input", "x=\(w.path("absent.npy"))", "--input", "n=\(x)"], ["cannot open", "absent.npy"]),
            (["--input", "x=\(file)", "--input", "n=\(x)"], ["not a .npy file"]),
            (["--func", "nope"], ["no function @nope", "@pass, @flags"]),
            (["--random-inputs", "--backend", "gpu"], ["--backend", "jit", "interp"]),
        ]
        for (arguments, expected) in cases {
            let outcome = try w.kiln(["run", file] + arguments)
            #expect(outcome.status == 1, "\(arguments)")
            #expect(outcome.stdout.isEmpty, "\(arguments)")
            for text in expected { #expect(outcome.stderr.contains(text), "\(arguments): \(outcome.stderr)") }
        }
    }

    @Test("bad command lines exit 1 with usage; --help exits 0")
    func commandLineErrors() throws {
        let w = try Workspace()
        let file = try w.write("p.kir", program)
        let cases: [([String], String)] = [
            (["run", file, "--bogus"], "Unknown option '--bogus'"),
            (["run", file, "--backend", "gpu"], "'gpu' is invalid for '--backend"),
            (["run", file, "--seed", "many"], "'many' is invalid for '--seed"),
            (["run", file, "--random-inputs", "--out", ""], "--out needs a directory name"),
            (["run"], "Missing expected argument '<file>'"),
            (["frobnicate"], "Unexpected argument 'frobnicate'"),
            ([], "choose a subcommand"),
        ]
        for (arguments, expected) in cases {
            let outcome = try w.kiln(arguments)
            #expect(outcome.status == 1, "\(arguments)")
            #expect(outcome.stderr.contains(expected), "\(arguments): \(outcome.stderr)")
            #expect(outcome.stderr.contains("Usage: kiln"), "\(arguments): \(outcome.stderr)")
        }
        let help = try w.kiln("run", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: kiln run <file>"))
        #expect(help.stderr.isEmpty)
    }

    @Test("--random-inputs follows the documented generator and is reproducible by seed")
    func randomInputs() throws {
        let w = try Workspace()
        let file = try w.write("r.kir", "func @r(%f: f32[64], %i: i64[64], %b: bool[64]) -> (f32[64], i64[64], bool[64]) {\n  return %f, %i, %b\n}\n")
        let first = try w.kiln(["run", file, "--random-inputs", "--seed", "7", "--out", "a"])
        let second = try w.kiln(["run", file, "--random-inputs", "--seed", "7", "--out", "b"])
        let other = try w.kiln(["run", file, "--random-inputs", "--seed", "8", "--out", "c"])
        let negative = try w.kiln(["run", file, "--random-inputs", "--seed", "-3", "--out", "d"])
        #expect(first.status == 0 && second.status == 0 && other.status == 0 && negative.status == 0)
        #expect(first.stdout == second.stdout)
        #expect(first.stdout != other.stdout)
        // Parameter k draws u from rng_uniform {seed} with key k: u's bits are
        // mix64(stream + j * 0xD1B54A32D192ED03), the top 24 bits for f32, 53 for f64.
        func bits(_ seed: Int64, key: Int64, _ j: Int) -> UInt64 {
            mix64(rngStream(seed: seed, key: key) &+ UInt64(j) &* 0xD1B5_4A32_D192_ED03)
        }
        for (directory, seed) in [("a", Int64(7)), ("b", 7), ("c", 8), ("d", -3)] {
            let f = try readNPY(path: w.path("\(directory)/out0.npy"))
            let i = try readNPY(path: w.path("\(directory)/out1.npy"))
            let b = try readNPY(path: w.path("\(directory)/out2.npy"))
            for j in 0..<64 {
                let u32 = Double(bits(seed, key: 0, j) >> 40) / Double(1 << 24)
                #expect(f[j] == .float(2 * u32 - 1))
                let u64i = Double(bits(seed, key: 1, j) >> 11) / Double(1 << 53)
                #expect(i[j] == .int(Int64((u64i * 8).rounded(.down))))
                let u64b = Double(bits(seed, key: 2, j) >> 11) / Double(1 << 53)
                #expect(b[j] == .bool(u64b < 0.5))
            }
            #expect(f.doubles.allSatisfy { $0 >= -1 && $0 < 1 })
            #expect(i.doubles.allSatisfy { $0 >= 0 && $0 < 8 } && Set(i.doubles).count > 4)
            #expect(Set(b.doubles) == [0, 1])
        }
    }
}
