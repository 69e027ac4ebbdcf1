import KilnIR

// Freezing: parameters that keep their values while the rest of a model trains (transfer
// learning, a GAN's generator while its discriminator steps). A frozen parameter gets no gradient
// computation, no optimizer state and no update; checkpoints record which ones are frozen.

extension Module {
    /// Freezes every parameter of this module and its submodules, e.g. `model.encoder.freeze()`.
    public func freeze() { for p in parameters { p.frozen = true } }

    /// Unfreezes every parameter of this module and its submodules.
    public func unfreeze() { for p in parameters { p.frozen = false } }

    /// Freezes the parameters named by `paths`: a parameter's `namedParameters` path, or a
    /// submodule's path freezing everything under it (`"layers.0"`). An unknown path is an error
    /// and nothing changes.
    public func freeze(_ paths: [String]) throws(KilnError) {
        for (_, p) in try parameters(under: paths) { p.frozen = true }
    }

    /// Unfreezes the parameters named by `paths` (as in `freeze(_:)`).
    public func unfreeze(_ paths: [String]) throws(KilnError) {
        for (_, p) in try parameters(under: paths) { p.frozen = false }
    }

    /// The paths of the frozen parameters, in `namedParameters` order.
    public var frozenParameterNames: [String] { namedParameters.filter { $0.1.frozen }.map(\.0) }

    /// The named parameters at or under each of `paths`; throws naming the first path that matches
    /// none, with the model's top-level names.
    func parameters(under paths: [String]) throws(KilnError) -> [(String, Parameter)] {
        let named = namedParameters
        func isUnder(_ name: String, _ path: String) -> Bool { name == path || name.hasPrefix(path + ".") }
        for path in paths where !named.contains(where: { isUnder($0.0, path) }) {
            let tops = named.map { String($0.0.prefix { $0 != "." }) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            throw KilnError("no parameter of the model is named '\(path)' or lies under it; its parameters are under: \(tops.joined(separator: ", ")) (see namedParameters)")
        }
        return named.filter { n in paths.contains { isUnder(n.0, $0) } }
    }

    /// The parameters a trainer updates: trainable, not frozen and, when `selection` is given, at
    /// or under one of its paths.
    func trainedParameters(selection: [String]?) throws(KilnError) -> [Parameter] {
        var candidates = namedParameters
        if let selection { candidates = try parameters(under: selection) }
        return candidates.map(\.1).filter { $0.trainable && !$0.frozen }
    }
}
