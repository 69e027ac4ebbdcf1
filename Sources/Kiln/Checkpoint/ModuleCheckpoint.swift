import KilnIR
import KilnRuntime

extension Module {
    /// Saves every parameter, named by its `namedParameters` path (e.g. `layers.0.weight`), to a
    /// safetensors file at `path`, atomically, with the frozen ones' paths (if any) in the metadata
    /// (`frozen`); NaN or infinity is an error unless `allowNonFinite`.
    public func save(to path: String, metadata: [String: String] = [:], allowNonFinite: Bool = false) throws(KilnError) {
        var meta = metadata
        if !frozenParameterNames.isEmpty { meta[frozenKey] = frozenParameterNames.joined(separator: ",") }
        try saveCheckpoint(namedParameters.map { ($0.0, $0.1.value) }, metadata: meta, path: path, allowNonFinite: allowNonFinite)
    }

    /// Loads the parameters saved by `save(to:)` (or any safetensors file with the same names,
    /// dtypes and shapes) into this module's parameter storage, and returns the file's metadata.
    /// When the file records frozen parameters (`save(to:)` does), exactly those are frozen after.
    ///
    /// Every parameter must be in the file with its dtype and shape, and the file must hold no
    /// other tensor nor (unless `allowNonFinite`) NaN or infinity; otherwise the error lists every
    /// mismatch and no parameter is modified.
    @discardableResult
    public func load(from path: String, allowNonFinite: Bool = false) throws(KilnError) -> [String: String] {
        let (tensors, metadata) = try loadCheckpoint(path: path, allowNonFinite: allowNonFinite)
        var frozen: [(String, Parameter)]? = nil
        if let names = metadata[frozenKey] { frozen = try parameters(under: names.split(separator: ",").map(String.init)) }
        try assign(tensors, source: "checkpoint '\(path)'")
        if let frozen {
            unfreeze()
            for (_, p) in frozen { p.frozen = true }
        }
        return metadata
    }

    /// Copies `tensors` (by `namedParameters` name) into the parameters. Every parameter must be
    /// there with its dtype and shape and nothing else may be; otherwise the error lists every
    /// mismatch and no parameter is modified.
    func assign(_ tensors: [String: HostTensor], source: String) throws(KilnError) {
        try checkFits(tensors, source: source)
        for (name, p) in namedParameters {
            if let t = tensors[name] { try copy(t, into: p.value) }
        }
    }

    /// Throws, listing every mismatch, unless `tensors` holds exactly the parameters' names, dtypes and shapes.
    func checkFits(_ tensors: [String: HostTensor], source: String) throws(KilnError) {
        let named = namedParameters
        var problems: [String] = []
        for (name, p) in named {
            guard let t = tensors[name] else {
                problems.append("missing \(name) (\(p.type))")
                continue
            }
            if t.type != p.type { problems.append("\(name): the file has \(t.type), the model needs \(p.type)") }
        }
        let expected = Set(named.map(\.0))
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) where !expected.contains(name) {
            problems.append("unexpected \(name) (\(t.type)), which the model does not have")
        }
        guard problems.isEmpty else {
            throw KilnError("\(source) does not fit the model (nothing was loaded):\n  " + problems.joined(separator: "\n  "))
        }
    }
}
