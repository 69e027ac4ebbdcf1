import KilnIR

/// One IR-to-IR transformation of a function.
///
/// A pass returns whether it changed the function; its output must verify whenever its input does.
public protocol Pass: Sendable {
    /// The name used in pipeline lists (`"fold,cse,dce"`).
    var name: String { get }
    /// Transforms `f` in place and returns true when anything changed.
    func run(on f: inout Function) throws(KilnError) -> Bool
}

/// Settings shared by the passes a pipeline builds.
public struct PassOptions: Sendable, Hashable {
    /// Lets `simplify` apply rules that are not exact in IEEE arithmetic (see docs/passes.md).
    public var fastMath = false
    /// How large the constants `fold` evaluates and writes may be.
    public var foldLimits = FoldLimits()

    public init(fastMath: Bool = false, foldLimits: FoldLimits = FoldLimits()) {
        self.fastMath = fastMath
        self.foldLimits = foldLimits
    }
}

/// A pass a pipeline list can name: its name, a one-line summary and how to build it.
public struct PassDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var make: @Sendable (PassOptions) -> any Pass

    public init(name: String, summary: String, make: @escaping @Sendable (PassOptions) -> any Pass) {
        self.name = name
        self.summary = summary
        self.make = make
    }

    /// The passes of this module.
    public static let builtin: [PassDescriptor] = [
        PassDescriptor(name: "fold", summary: "evaluate instructions whose operands are all constants") {
            ConstantFolding(limits: $0.foldLimits)
        },
        PassDescriptor(name: "simplify", summary: "algebraic simplification (exact in IEEE arithmetic unless fast-math)") {
            AlgebraicSimplification(fastMath: $0.fastMath)
        },
        PassDescriptor(name: "cse", summary: "reuse the result of an identical earlier instruction") { _ in
            CommonSubexpressionElimination()
        },
        PassDescriptor(name: "dce", summary: "remove instructions whose results are unused") { _ in
            DeadCodeElimination()
        },
        PassDescriptor(name: "fuse", summary: "group elementwise chains, last-axis reductions and matmul and conv2d epilogues into fused kernels") { _ in
            Fusion()
        },
    ]
}
