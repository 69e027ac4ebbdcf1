import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// libtcc's fused element loops run in blocks of library calls (ElementBlocks.swift): every
/// elementwise kernel of the library, on rows of 300 elements (a full block of 256 and a partial
/// one) with a broadcast column (a filled buffer), and a flat loop of 900 split among threads,
/// gives the interpreter's results.
@Suite struct ElementBlockJITTests {
    /// A function of four fused kernels over `dtype[3,300]`: every unary operation, every binary
    /// one against a broadcast column, every comparison with the selects and conversions, and a
    /// flat one. Returns it with the library kernels each kernel's blocked loops must call.
    static func kernels(_ dtype: DType) throws -> (Function, [[String]]) {
        let t = dtype.rawValue, type = "\(t)[3,300]"
        var kernels: [(params: [String], lines: [String], yields: [(String, String)])] = []
        var expected: [[String]] = []
        func kernel(_ params: [String], _ body: [(name: String, text: String, type: String, kernel: String?)]) {
            kernels.append((params, body.map { "      %\($0.name) = \($0.text) : \($0.type)" }, body.map { ($0.name, $0.type) }))
            expected.append(body.compactMap(\.kernel))
        }
        let unary = UnaryOp.allCases.filter { dtype.isFloat || !$0.isFloatOnly }
        kernel(["x"], unary.map { u in
            ("u_\(u.rawValue)", "\(u.rawValue)(%x)", type, u == .stopGradient ? nil : "kiln_lib_e_\(u.rawValue)_\(t)")
        })
        kernel(["x", "col"], [("cb", "broadcast_in_dim(%col) {shape = [3,300], dims = [0]}", type, nil)] + BinaryOp.allCases.map { b in
            ("b_\(b.rawValue)", "\(b.rawValue)(%x, %cb)", type, "kiln_lib_e_\(b.rawValue)_\(t)")
        })
        var chosen: [(name: String, text: String, type: String, kernel: String?)] = CompareDirection.allCases.map { d in
            ("c_\(d.rawValue)", "compare(%x, %y) {direction = \"\(d.rawValue)\"}", "bool[3,300]", "kiln_lib_e_\(d.rawValue)_\(t)")
        }
        chosen.append(("pick", "select(%c_gt, %x, %y)", type, "kiln_lib_e_pick_\(t)"))
        if dtype.isFloat {
            chosen.append(("zero", "constant() {value = 0.0}", type, nil))
            chosen.append(("keep", "select(%c_lt, %y, %zero)", type, "kiln_lib_e_keep_\(t)"))
        }
        for to in DType.allCases where to != dtype {
            chosen.append(("to_\(to.rawValue)", "convert(%x) {dtype = \"\(to.rawValue)\"}", "\(to.rawValue)[3,300]", "kiln_lib_e_from_\(t)_\(to.rawValue)"))
        }
        chosen.append(("from_bool", "convert(%c) {dtype = \"\(t)\"}", type, "kiln_lib_e_from_bool_\(t)"))
        kernel(["x", "y", "c"], chosen)
        kernel(["x", "y"], [("f_mul", "mul(%x, %y)", type, "kiln_lib_e_mul_\(t)"), ("f_sub", "sub(%f_mul, %x)", type, "kiln_lib_e_sub_\(t)")])

        let paramTypes = ["x": type, "y": type, "col": "\(t)[3]", "c": "bool[3,300]"]
        var text = "func @f(%x: \(type), %y: \(type), %col: \(t)[3], %c: bool[3,300]) -> ("
        text += kernels.flatMap { $0.yields.map(\.1) }.joined(separator: ", ") + ") {\n"
        for kernel in kernels {
            let results = kernel.yields.map { "%\($0.0)" }.joined(separator: ", ")
            let params = kernel.params.map { "%\($0): \(paramTypes[$0]!)" }.joined(separator: ", ")
            text += "  (\(results)) = fused(\(kernel.params.map { "%" + $0 }.joined(separator: ", "))) {\n"
            text += "    ^(\(params)):\n" + kernel.lines.joined(separator: "\n") + "\n      yield \(results)\n"
            text += "  } : (\(kernel.yields.map(\.1).joined(separator: ", ")))\n"
        }
        text += "  return " + kernels.flatMap { $0.yields.map { "%\($0.0)" } }.joined(separator: ", ") + "\n}\n"
        return (try parseFunction(text), expected)
    }

    @Test(arguments: [DType.f32, .f64, .i32, .i64], [1, 2])
    func blockedLoopsMatchTheInterpreter(_ dtype: DType, threads: Int) throws {
        let (f, expected) = try Self.kernels(dtype)
        let inputs = try testInputs(f, seed: 11)
        for libm in [true, false] {
            let options = CodegenOptions(reductionAccumulators: 1, threads: threads, parallelThreshold: 0, libmFunctions: libm)
            let source = try JITCompiler.shared.compile(f, options: options).cSource
            // With libm, the f32 unary kernel keeps its scalar loop: the library's exp does not call libm.
            for name in (libm && dtype == .f32 ? expected.dropFirst() : expected[...]).joined() {
                #expect(source.contains("\(name)("), "libtcc's code calls \(name)")
            }
            #expect(source.contains("kiln_lib_e_exp_f32(") == (dtype == .f32 && !libm))
            try expectMatchesInterpreter(f, inputs, interpreterTolerance(options), options: options)
        }
    }
}
