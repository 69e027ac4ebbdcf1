import KilnIR

/// `simplify`: rewrites instructions by the algebraic rules of `SimplifyRule.all` (listed with
/// their exactness in docs/passes.md). Results keep their names; an instruction that simplifies to
/// an existing value is dropped and its uses read that value.
///
/// Without `fastMath` every rule is exact: the simplified function computes the same bits as the
/// original in IEEE arithmetic (NaN payloads and the sign of zero included), except
/// `matmul-transpose`, which hands a transpose to BLAS, whose summation order may depend on it.
/// `fastMath` adds rules that ignore signed zeros, NaN and infinities (such as `x * 0 → 0`).
public struct AlgebraicSimplification: Pass {
    public let name = "simplify"
    public var fastMath: Bool

    public init(fastMath: Bool = false) { self.fastMath = fastMath }

    public func run(on f: inout Function) throws(KilnError) -> Bool {
        let fastMath = fastMath
        return try f.rewriteInstructions(pass: name) { (inst, context) throws(KilnError) -> Rewrite? in
            for rule in SimplifyRule.all {
                if let rewrite = try rule.apply(inst, &context, fastMath) { return rewrite }
            }
            return nil
        }
    }
}

/// One rewrite rule of `simplify`. A rule checks its own exactness: rules that hold only for
/// integers, or only without NaN, infinities and signed zeros, look at `fastMath` and the dtype.
struct SimplifyRule: Sendable {
    typealias Apply = @Sendable (Instruction, inout RewriteContext, _ fastMath: Bool) throws(KilnError) -> Rewrite?

    /// The name docs/passes.md lists the rule under.
    var name: String
    var apply: Apply

    init(_ name: String, _ apply: @escaping Apply) {
        self.name = name
        self.apply = apply
    }

    /// Every rule, tried in this order on each instruction.
    static let all: [SimplifyRule] = arithmetic + layout
}
