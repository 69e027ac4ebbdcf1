import KilnIR

/// What `kiln grad` prints: a module holding `@function` of `module` (the first function when
/// nil; a leading `@` is accepted) and its gradient `@<function>_grad` with respect to the
/// parameters `wrt` (see `grad`).
public func gradientModule(_ module: IRModule, function: String? = nil, wrt: [String]) throws(KilnError) -> IRModule {
    let f: Function
    if let function {
        let name = function.hasPrefix("@") ? String(function.dropFirst()) : function
        guard let named = module.function(named: name) else {
            let names = module.functions.map { "@" + $0.name }.joined(separator: ", ")
            throw KilnError("no function @\(name) in the module; it holds \(names.isEmpty ? "none" : names)")
        }
        f = named
    } else {
        guard let first = module.functions.first else { throw KilnError("the module holds no function to differentiate") }
        f = first
    }
    let result = IRModule(functions: [f, try grad(f, wrt: wrt)])
    try verify(result)
    return result
}
