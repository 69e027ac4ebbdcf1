import KilnIR

// Elementwise kernels of the kernel library: one operation over `n` contiguous elements,
// `out[i] = op(a[i], b[i])`, which the package's C compiler vectorizes. libtcc's code runs the
// element loop of a fused kernel as blocks of `elementBlock` elements, one library call per
// operation and block (`ElementBlocks`), instead of its own scalar loop, which is 5 to 15 times
// slower. Each kernel applies the scalar expression of the element loop (ElementwiseLowering.swift),
// so both give the same bits.

/// One elementwise operation of the kernel library.
struct ElementKernel: Hashable, Sendable {
    enum Operation: Hashable, Sendable {
        case unary(UnaryOp), binary(BinaryOp), compare(CompareDirection)
        /// `c ? a : b`, and `c ? a : +0` (a ReLU gradient's select).
        case pick, keep
        case convert(from: DType)
        /// Every element set to one value.
        case fill
    }

    let operation: Operation
    /// The operands' dtype for `compare`, the result's for every other operation.
    let dtype: DType

    /// Every kernel of the library: the operations the element loop writes for each dtype
    /// (the ones integer dtypes have, and conversions between any two dtypes).
    static let all: [ElementKernel] = {
        let numeric: [DType] = [.f32, .f64, .i32, .i64]
        var all: [ElementKernel] = []
        for d in numeric {
            let unary = UnaryOp.allCases.filter { $0 != .stopGradient && (d.isFloat || !$0.isFloatOnly) }
            all += unary.map { ElementKernel(operation: .unary($0), dtype: d) }
            all += BinaryOp.allCases.map { ElementKernel(operation: .binary($0), dtype: d) }
            all += CompareDirection.allCases.map { ElementKernel(operation: .compare($0), dtype: d) }
            all.append(ElementKernel(operation: .pick, dtype: d))
            if d.isFloat { all.append(ElementKernel(operation: .keep, dtype: d)) }
        }
        for to in DType.allCases {
            all += DType.allCases.filter { $0 != to }.map { ElementKernel(operation: .convert(from: $0), dtype: to) }
            all.append(ElementKernel(operation: .fill, dtype: to))
        }
        return all
    }()

    /// The kernel computing the elementwise `inst` of `body`, or nil when the library has none
    /// (an operation it leaves out, or f32 math that calls libm under `libmFunctions`).
    /// `stop_gradient` and a conversion to the same dtype copy their operand: no kernel, and
    /// `ElementBlocks` reads the operand's block instead.
    init?(_ inst: Instruction, _ body: Function, libmFunctions: Bool) {
        guard let result = inst.results.first, let first = inst.operands.first else { return nil }
        let dtype = body.type(of: result).dtype
        let operation: Operation
        switch inst.op {
        case .unary(let u):
            if libmFunctions && dtype == .f32 && [.exp, .log, .tanh, .sigmoid].contains(u) { return nil }
            operation = .unary(u)
        case .binary(let b): operation = .binary(b)
        case .compare(let d): operation = .compare(d)
        case .select where inst.operands.count == 3:
            operation = dtype.isFloat && isPositiveZeroSplat(inst.operands[2], body) ? .keep : .pick
        case .convert: operation = .convert(from: body.type(of: first).dtype)
        default: return nil
        }
        self.operation = operation
        if case .compare = operation { self.dtype = body.type(of: first).dtype } else { self.dtype = dtype }
        guard Self.all.contains(self) else { return nil }
    }

    private init(operation: Operation, dtype: DType) {
        (self.operation, self.dtype) = (operation, dtype)
    }

    /// The kernel setting `n` elements of `dtype` to one value.
    static func fill(_ dtype: DType) -> ElementKernel { ElementKernel(operation: .fill, dtype: dtype) }

    /// The C name: `kiln_lib_e_<operation>_<dtype>`.
    var name: String {
        let operation: String
        switch self.operation {
        case .unary(let u): operation = u.rawValue
        case .binary(let b): operation = b.rawValue
        case .compare(let d): operation = d.rawValue
        case .pick: operation = "pick"
        case .keep: operation = "keep"
        case .convert(let from): operation = "from_\(from.rawValue)"
        case .fill: operation = "fill"
        }
        return "kiln_lib_e_\(operation)_\(dtype.rawValue)"
    }

    /// The operands' C declarations (then `long n`), and the expression of element `i`.
    private func signature(_ k: inout KernelBuilder) -> (operands: [String], expression: String) {
        let t = cType(dtype)
        switch operation {
        case .unary(let u):
            // `unaryExpression` throws only for float-only operations on integers, which `all` leaves out.
            return (["const \(t) *a"], (try? unaryExpression(u, dtype, "a[i]", &k)) ?? "a[i]")
        case .binary(let b): return (["const \(t) *a", "const \(t) *b"], binaryExpression(b, dtype, "a[i]", "b[i]", &k))
        case .compare(let d): return (["const \(t) *a", "const \(t) *b"], "a[i] \(compareOperator(d)) b[i]")
        case .pick:
            return (["const unsigned char *c", "const \(t) *a", "const \(t) *b"], selectExpression(dtype, "c[i]", "a[i]", "b[i]", &k))
        case .keep:
            return (["const unsigned char *c", "const \(t) *a"], selectExpression(dtype, "c[i]", "a[i]", "0", positiveZeroB: true, &k))
        case .convert(let from): return (["const \(cType(from)) *a"], convertExpression("a[i]", from: from, to: dtype, &k))
        case .fill: return (["\(t) v"], "v")
        }
    }

    /// The result's dtype.
    private var resultType: DType {
        if case .compare = operation { return .bool }
        return dtype
    }

    /// The prototype generated units and the library's header declare.
    var parameters: String {
        var k = KernelBuilder()
        return (["\(cType(resultType)) *out"] + signature(&k).operands + ["long n"]).joined(separator: ", ")
    }

    /// The definition in the library's source.
    var definition: String {
        var k = KernelBuilder()
        return "void \(name)(\(parameters)) { for (long i = 0; i < n; i++) out[i] = \(signature(&k).expression); }"
    }

    /// The prelude helpers the library's elementwise kernels call.
    static let helpers: Set<PreludeItem> = all.reduce(into: []) { needs, e in
        var k = KernelBuilder()
        _ = e.signature(&k)
        needs.formUnion(k.needs)
    }

    /// `kiln_lib_element_kernel(name)`: the address of the elementwise kernel `name`, or null;
    /// the JIT binds the kernels a unit calls through it.
    static var lookupDefinition: String {
        let table = all.map { "  { \"\($0.name)\", (const void *)\($0.name) }," }
        return """
        static const struct { const char *name; const void *address; } kiln_element_kernels[] = {
        \(table.joined(separator: "\n"))
        };
        \(lookupPrototype) {
          for (unsigned long k = 0; k < sizeof kiln_element_kernels / sizeof kiln_element_kernels[0]; k++) {
            if (strcmp(kiln_element_kernels[k].name, name) == 0) return kiln_element_kernels[k].address;
          }
          return 0;
        }
        """
    }

    /// The declaration of the library's lookup of an elementwise kernel by name.
    static let lookupPrototype = "const void *kiln_lib_element_kernel(const char *name)"
}

/// The elements one call of an elementwise kernel handles in libtcc's blocked loops.
let elementBlock = 256

/// Whether `v` is a splat constant of +0 in `body` (a ReLU gradient's `select(x > 0, g, 0)`).
func isPositiveZeroSplat(_ v: Value, _ body: Function) -> Bool {
    guard let inst = body.body.first(where: { $0.results.contains(v) }), case .constant(.splat(let value), _) = inst.op else {
        return false
    }
    return body.type(of: v).dtype.isFloat && value.asDouble.bitPattern == 0
}
