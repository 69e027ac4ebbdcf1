import KilnIR
import KilnRuntime

// A training checkpoint is one safetensors file: the model's parameters under `model.<path>`, the
// optimizer state under `optimizer.<path>.<k>`, and the step count and the frozen parameters
// (`frozen`, comma-separated paths) in the metadata, so training resumes exactly where it stopped.

extension Trainer {
    /// Saves parameters, optimizer state and step count to `path`, atomically; NaN or infinity in
    /// any of them is an error (and nothing is written) unless `allowNonFinite`.
    public func saveCheckpoint(to path: String, metadata: [String: String] = [:], allowNonFinite: Bool = false) throws(KilnError) {
        var tensors: [(String, HostTensor)] = []
        let names = Dictionary(model.namedParameters.map { (ObjectIdentifier($0.1), $0.0) }, uniquingKeysWith: { a, _ in a })
        for (name, p) in model.namedParameters { tensors.append(("model." + name, p.value)) }
        for (p, slots) in zip(parameters, states) {
            guard let name = names[ObjectIdentifier(p)] else { continue }
            for (k, t) in slots.enumerated() { tensors.append(("optimizer.\(name).\(k)", t)) }
        }
        var meta = metadata
        meta["step"] = String(stepCount)
        meta[frozenKey] = untrainedNames.joined(separator: ",")
        try Kiln.saveCheckpoint(tensors, metadata: meta, path: path, allowNonFinite: allowNonFinite)
    }

    /// Loads what `saveCheckpoint(to:)` wrote: parameters, optimizer state and step count. Returns
    /// the metadata. Each key of `expecting` the metadata has must have that value (e.g. the
    /// model's name); NaN or infinity is an error unless `allowNonFinite`. On any mismatch nothing
    /// is changed and the error lists the problems.
    @discardableResult
    public func loadCheckpoint(from path: String, expecting: [String: String] = [:], allowNonFinite: Bool = false) throws(KilnError) -> [String: String] {
        let (tensors, metadata) = try Kiln.loadCheckpoint(path: path, allowNonFinite: allowNonFinite)
        for (key, value) in expecting.sorted(by: { $0.key < $1.key }) {
            if let saved = metadata[key], saved != value {
                throw KilnError("checkpoint '\(path)' has \(key) = \"\(saved)\" in its metadata, but this run has \(key) = \"\(value)\"; resume it with \(key) \(saved), or from another checkpoint")
            }
        }
        guard let text = metadata["step"] else {
            throw KilnError("checkpoint '\(path)' has no training step count; it was not written by a Trainer (load it with Module.load)")
        }
        guard let step = Int(text), (0...Self.maximumStepCount).contains(step) else {
            throw KilnError("checkpoint '\(path)' has step \"\(text)\" in its metadata; a step count is a whole number in 0...\(Self.maximumStepCount)")
        }
        if let saved = metadata[frozenKey], saved != untrainedNames.joined(separator: ",") {
            let names = saved.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ", ")
            throw KilnError("checkpoint '\(path)' was trained with [\(names)] frozen, but this trainer does not train [\(untrainedNames.joined(separator: ", "))]; call model.freeze([\(names)]) (and unfreeze the others) before creating the Trainer")
        }
        var modelTensors: [String: HostTensor] = [:]
        for (name, t) in tensors where name.hasPrefix("model.") { modelTensors[String(name.dropFirst(6))] = t }
        try model.checkFits(modelTensors, source: "checkpoint '\(path)'")
        let names = Dictionary(model.namedParameters.map { (ObjectIdentifier($0.1), $0.0) }, uniquingKeysWith: { a, _ in a })
        var saved: [[HostTensor]] = []
        for (p, slots) in zip(parameters, states) {
            var restored: [HostTensor] = []
            for (k, current) in slots.enumerated() {
                let key = "optimizer.\(names[ObjectIdentifier(p)] ?? p.name).\(k)"
                guard let t = tensors[key], t.type == current.type else {
                    throw KilnError("checkpoint '\(path)' lacks optimizer state \(key) (\(current.type)) for this optimizer; was it saved with another one?")
                }
                restored.append(t)
            }
            saved.append(restored)
        }
        try model.assign(modelTensors, source: "checkpoint '\(path)'")
        try restore(states: saved, stepCount: step)
        return metadata
    }

    /// The paths of the model's trainable parameters this trainer does not train (frozen, or left
    /// out of its `trainable:` selection).
    var untrainedNames: [String] {
        let trained = Set(parameters.map(ObjectIdentifier.init))
        return model.namedParameters.filter { $0.1.trainable && !trained.contains(ObjectIdentifier($0.1)) }.map(\.0)
    }
}

/// The metadata key listing a checkpoint's frozen parameters.
let frozenKey = "frozen"
