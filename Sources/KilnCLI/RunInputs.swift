import KilnFormats
import KilnIR
import KilnRuntime

/// The inputs of `f`, one per parameter, from `--input NAME=PATH.npy` specs, then from `weights`
/// (tensors by parameter name, e.g. from `--weights FILE.safetensors`); parameters without either
/// are generated from `random` (the seed) when it is given, and are an error otherwise.
func bindInputs(of f: Function, specs: [String], weights: [String: HostTensor] = [:], weightsSource: String = "",
                random seed: Int64?) throws(KilnError) -> [HostTensor] {
    let names = f.params.map { f.name(of: $0) }
    let listed = names.isEmpty ? "it takes no parameters" : "its parameters are " + names.joined(separator: ", ")
    var paths = [String?](repeating: nil, count: names.count)
    let unknown = weights.keys.filter { !names.contains($0) }.sorted()
    guard unknown.isEmpty else {
        throw KilnError("--weights '\(weightsSource)' holds \(unknown.joined(separator: ", ")), which @\(f.name) has no parameter for; \(listed)")
    }
    for spec in specs {
        guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex, spec.index(after: equals) != spec.endIndex else {
            throw KilnError("--input '\(spec)' must be NAME=PATH.npy, e.g. --input x=x.npy")
        }
        let name = String(spec[..<equals])
        guard let index = names.firstIndex(of: name) else {
            throw KilnError("--input \(name): @\(f.name) has no parameter %\(name); \(listed)")
        }
        guard paths[index] == nil else { throw KilnError("--input \(name) is given twice; pass each parameter once") }
        paths[index] = String(spec[spec.index(after: equals)...])
    }
    if seed == nil {
        let missing = f.params.indices.filter { paths[$0] == nil && weights[names[$0]] == nil }
        guard missing.isEmpty else {
            let what = missing.map { "%\(names[$0]) (\(f.paramTypes[$0]))" }.joined(separator: ", ")
            let flags = missing.map { "--input \(names[$0])=PATH.npy" }.joined(separator: " ")
            throw KilnError("@\(f.name) needs an input for \(what); pass \(flags), or --random-inputs")
        }
    }
    var inputs: [HostTensor] = []
    for (index, type) in f.paramTypes.enumerated() {
        guard let path = paths[index] else {
            if let weight = weights[names[index]] {
                guard weight.type == type else {
                    throw KilnError("weight \(names[index]) in '\(weightsSource)' is \(weight.type) but parameter %\(names[index]) of @\(f.name) is \(type); are these the weights of this model?")
                }
                inputs.append(weight)
                continue
            }
            inputs.append(try randomInput(type, seed: seed ?? 0, index: index))
            continue
        }
        // The header alone is read before the type is checked, so a wrong file costs no memory.
        let file = try NPYFile(path: path)
        guard file.type == type else {
            throw KilnError("input \(names[index]) ('\(path)') is \(file.type) but parameter %\(names[index]) of @\(f.name) is \(type); pass an array of that dtype and shape")
        }
        inputs.append(try file.read())
    }
    return inputs
}

/// Parameter `index`'s random input: from `u = rng_uniform {seed} (key = index)` (the counter-based
/// generator of the IR, so runs are reproducible), floats are `2u - 1` in [-1, 1), integers
/// `floor(8u)` in [0, 8), bools `u < 0.5` (`u` in f64 for all but f32). Each element is written
/// in place, so the tensor is the only memory used.
func randomInput(_ type: TensorType, seed: Int64, index: Int) throws(KilnError) -> HostTensor {
    // Element i of rng_uniform in f64 is rngUnit(stream, i).
    let stream = rngStream(seed: seed, key: Int64(index))
    func filled<T>(_ value: (Int) -> T) throws(KilnError) -> HostTensor {
        let out = try HostTensor(uninitialized: type)
        let p = out.pointer(T.self)
        for i in 0..<out.count { p[i] = value(i) }
        return out
    }
    switch type.dtype {
    case .f32:
        let key = try HostTensor(.scalar(.i64), scalars: [.int(Int64(index))])
        let out = try evaluate(.rngUniform(seed: seed, type), [key])
        let p = out.pointer(Float.self)
        for i in 0..<out.count { p[i] = 2 * p[i] - 1 }  // exact: u has 24 significant bits
        return out
    case .f64: return try filled { 2 * rngUnit(stream, $0) - 1 }
    case .i32: return try filled { Int32(8 * rngUnit(stream, $0)) }
    case .i64: return try filled { Int64(8 * rngUnit(stream, $0)) }
    case .bool: return try filled { rngUnit(stream, $0) < 0.5 }
    }
}
