import KilnAutodiff
import KilnIR
import KilnRuntime

extension Tensor {
    /// Reverse-mode autodiff of this scalar through the tape: adds `d self / d p` to `p.grad` for
    /// every trained parameter `p` it depends on (call `zeroGrad()` between steps); nothing is computed
    /// for frozen parameters and buffers.
    public func backward() throws(KilnError) {
        guard type.count == 1, dtype.isFloat else {
            throw KilnError("backward() needs a scalar float loss, got \(type)")
        }
        guard let root = node else { throw KilnError("backward(): this tensor does not depend on any parameter") }
        guard root.needsGradient else { return }  // every parameter it depends on is frozen
        let emitter = EagerEmitter()
        var cotangents: [ObjectIdentifier: HostTensor] = [ObjectIdentifier(root): try emitter.constant(1, type)]
        for node in reverseTopologicalOrder(from: root) {
            guard let ct = cotangents.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            switch node.kind {
            case .parameter(let p):
                p.grad = try accumulate(p.grad, ct, emitter)
            case let .op(op, operands, result):
                var hosts: [HostTensor] = []
                for t in operands { hosts.append(try t.host()) }
                let grads = try pullback(of: op, operands: hosts, result: result, cotangent: ct,
                                         wanted: operands.map { $0.node?.needsGradient == true }, emitter: emitter)
                for (operand, g) in zip(operands, grads) {
                    guard let g, let n = operand.node, n.needsGradient else { continue }
                    let key = ObjectIdentifier(n)
                    cotangents[key] = try accumulate(cotangents[key], g, emitter)
                }
            }
        }
    }
}

/// `sum + g`, or `g` when nothing was accumulated yet.
private func accumulate(_ sum: HostTensor?, _ g: HostTensor, _ emitter: EagerEmitter) throws(KilnError) -> HostTensor {
    guard let sum else { return g }
    return try emitter.add(sum, g)
}

/// The nodes reachable from `root`, every node before the nodes it was computed from.
private func reverseTopologicalOrder(from root: TapeNode) -> [TapeNode] {
    var order: [TapeNode] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(TapeNode, Int)] = [(root, 0)]
    while let (node, next) = stack.popLast() {
        guard case let .op(_, operands, _) = node.kind, next < operands.count else {
            order.append(node)
            continue
        }
        stack.append((node, next + 1))
        if let child = operands[next].node, visited.insert(ObjectIdentifier(child)).inserted {
            stack.append((child, 0))
        }
    }
    return order.reversed()
}

/// The gradient of scalar `f(x)` with respect to the input `x` (saliency maps, adversarial
/// examples), computed eagerly.
public func gradient(at x: Tensor, of f: (Tensor) throws -> Tensor) throws -> Tensor {
    let input = Parameter(try x.host(), name: "input")
    try f(input.tensor).backward()
    guard let g = input.grad else { return Tensor(try HostTensor(zeros: x.type)) }
    return Tensor(g)
}
