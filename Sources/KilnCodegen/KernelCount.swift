import KilnIR

/// How many C functions code generation writes for `f`: one per instruction, except dense
/// constants (static data) and the `reshape`s that share their operand's storage.
public func kernelCount(of f: Function) -> Int {
    let plan = planMemory(f)
    return f.body.count { inst in
        if case .constant(.dense, _) = inst.op { return false }
        return !inst.results.contains(where: plan.aliases.contains)
    }
}
