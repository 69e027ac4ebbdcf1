import KilnIR

/// What `kiln grad` prints: a module holding `@function` of `module` (the first function when
/// nil) and its gradient `@<function>_grad` with respect to the parameters `wrt` (see `grad`).
public func gradientModule(_ module: Module, function: String? = nil, wrt: [String]) throws(KilnError) -> Module {
    let chosen = function.map { module.function(named: $0.hasPrefix("@") ? String($0.dropFirst()) : $0) } ?? module.functions.first
    guard let f = chosen else {
        let names = module.functions.map { "@" + $0.name }.joined(separator: ", ")
        throw KilnError(function.map { "no function \($0) in the module; it holds \(names.isEmpty ? "none" : names)" }
                        ?? "the module holds no function to differentiate")
    }
    let result = Module(functions: [f, try grad(f, wrt: wrt)])
    try verify(result)
    return result
}
