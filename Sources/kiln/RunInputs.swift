import KilnIR
import KilnRuntime

/// The inputs of `f`, one per parameter, from `--input NAME=PATH.npy` specs; parameters without
/// a spec are generated from `random` (the seed) when it is given, and are an error otherwise.
func bindInputs(of f: Function, specs: [String], random seed: Int64?) throws(KilnError) -> [HostTensor] {
    let names = f.params.map { f.name(of: $0) }
    let listed = names.isEmpty ? "it takes no parameters" : "its parameters are " + names.joined(separator: ", ")
    var paths = [String?](repeating: nil, count: names.count)
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
        let missing = f.params.indices.filter { paths[$0] == nil }
        guard missing.isEmpty else {
            let what = missing.map { "%\(names[$0]) (\(f.paramTypes[$0]))" }.joined(separator: ", ")
            let flags = missing.map { "--input \(names[$0])=PATH.npy" }.joined(separator: " ")
            throw KilnError("@\(f.name) needs an input for \(what); pass \(flags), or --random-inputs")
        }
    }
    var inputs: [HostTensor] = []
    for (index, type) in f.paramTypes.enumerated() {
        guard let path = paths[index] else {
            inputs.append(try randomInput(type, seed: seed ?? 0, index: index))
            continue
        }
        let tensor = try readNPY(path: path)
        guard tensor.type == type else {
            throw KilnError("input \(names[index]) ('\(path)') is \(tensor.type) but parameter %\(names[index]) of @\(f.name) is \(type); pass an array of that dtype and shape")
        }
        inputs.append(tensor)
    }
    return inputs
}

/// Parameter `index`'s random input: from `u = rng_uniform {seed} (key = index)` (the counter-based
/// generator of the IR, so runs are reproducible), floats are `2u - 1` in [-1, 1), integers
/// `floor(8u)` in [0, 8), bools `u < 0.5`.
func randomInput(_ type: TensorType, seed: Int64, index: Int) throws(KilnError) -> HostTensor {
    let key = try HostTensor(.scalar(.i64), scalars: [.int(Int64(index))])
    let uniform = try evaluate(.rngUniform(seed: seed, type.with(dtype: type.dtype == .f32 ? .f32 : .f64)), [key])
    let out = try HostTensor(zeros: type)
    for i in 0..<out.count {
        let u = uniform[i].asDouble
        switch type.dtype {
        case .f32, .f64: out[i] = .float(2 * u - 1)
        case .i32, .i64: out[i] = .int(Int64(8 * u))
        case .bool: out[i] = .bool(u < 0.5)
        }
    }
    return out
}
