import KilnIR
import KilnRuntime

/// The sizes `fold` works within.
public struct FoldLimits: Sendable, Hashable {
    /// Largest `evaluationWork` (operand and result elements, plus the multiply-adds of
    /// contractions and pool windows) of an op `fold` evaluates.
    public var maxEvaluationWork: Int
    /// Largest element count of a folded constant whose elements are not all equal (a `dense`
    /// literal, written out in the IR). Results whose elements are all equal become a splat
    /// whatever their size.
    public var maxDenseElements: Int

    public init(maxEvaluationWork: Int = 1 << 22, maxDenseElements: Int = 1024) {
        self.maxEvaluationWork = maxEvaluationWork
        self.maxDenseElements = maxDenseElements
    }
}

/// `fold`: an instruction whose operands are all constants (ops without operands, `iota` and
/// random ops without a key, included) is evaluated at compile time with the reference kernels
/// (`evaluate`), so a folded value is bit for bit what the interpreter computes, and replaced by a
/// `constant` with the same result name: a splat when all elements are equal, dense otherwise.
/// A dense constant whose elements are all equal is rewritten as a splat, and an instruction
/// whose result has no elements becomes an empty constant, whatever its operands.
///
/// Sizes: splat operands of elementwise ops are evaluated on one element, and layout ops that only
/// move elements (`broadcast_in_dim`, `reshape`, `transpose`, `reverse`, `slice`) keep a splat
/// operand's value, at any size. Otherwise an op is folded only when its `evaluationWork` is at
/// most `maxEvaluationWork`, and the folded constant is kept only when it is a splat or has at
/// most `maxDenseElements` elements.
public struct ConstantFolding: Pass {
    public let name = "fold"
    public var limits: FoldLimits

    public init(limits: FoldLimits = FoldLimits()) { self.limits = limits }

    public func run(on f: inout Function) throws(KilnError) -> Bool {
        try f.rewriteInstructions(pass: name) { (inst, context) throws(KilnError) -> Rewrite? in
            if case .fused = inst.op { return nil }
            if inst.op.family == .collective { return nil }  // its value is known only at run time
            let type = context.type(of: inst.results[0])
            if case let .constant(.dense(elements), _) = inst.op {
                guard let first = elements.first, elements.allSatisfy({ $0 == first }) else { return nil }
                return .update(.constant(.splat(first), type), [])
            }
            if case .constant = inst.op { return nil }
            if type.count == 0 { return .update(.constant(.dense([]), type), []) }
            var operands: [(Literal, TensorType)] = []
            for v in inst.operands {
                guard let c = context.constant(v) else { return nil }
                operands.append(c)
            }
            guard let literal = try fold(inst.op, operands, type) else { return nil }
            return .update(.constant(literal, type), [])
        }
    }

    /// The value of `op` on constant operands, or nil when it is beyond the limits.
    private func fold(_ op: Op, _ operands: [(Literal, TensorType)], _ type: TensorType) throws(KilnError) -> Literal? {
        if let s = try splatResult(op, operands) { return .splat(s) }
        guard evaluationWork(op, operands.map(\.1), type) <= limits.maxEvaluationWork else { return nil }
        var tensors: [HostTensor] = []
        for (literal, operandType) in operands {
            tensors.append(try evaluate(.constant(literal, operandType), []))
        }
        let result = try evaluate(op, tensors)
        let elements = (0..<result.count).map { result[$0] }
        if let first = elements.first, elements.allSatisfy({ $0 == first }) { return .splat(first) }
        return elements.count <= limits.maxDenseElements ? .dense(elements) : nil
    }

    /// The result's single value when every operand is a splat and the op computes each element
    /// from the operands' elements at the same position, or only moves elements.
    private func splatResult(_ op: Op, _ operands: [(Literal, TensorType)]) throws(KilnError) -> Scalar? {
        var scalars: [Scalar] = []
        for (literal, _) in operands {
            guard case .splat(let s) = literal else { return nil }
            scalars.append(s)
        }
        switch op {
        case _ where op.family == .elementwise:
            var elements: [HostTensor] = []
            for (s, (_, operandType)) in zip(scalars, operands) {
                elements.append(try evaluate(.constant(.splat(s), .scalar(operandType.dtype)), []))
            }
            return try evaluate(op, elements)[0]
        case .broadcastInDim, .reshape, .transpose, .reverse, .slice:
            return scalars[0]
        default:
            return nil
        }
    }
}
