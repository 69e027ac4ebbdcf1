import KilnIR

// Layers check their arguments when built and their input when called, so that an error names the
// layer (`Linear(10 -> 16) got input f32[4,12]: ...`) instead of an op inside Kiln; `Sequential`
// adds the layer's path (`layers.0: ...`) and `Module.callAsFunction` the user's call site.

/// Throws "`layer`: `name` must be positive, got v" for the first of `sizes` that is not (or
/// "... must be 0 or more" for the first of `nonNegative`).
func requirePositive(_ layer: String, _ sizes: KeyValuePairs<String, Int>,
                     nonNegative: KeyValuePairs<String, Int> = [:]) throws(KilnError) {
    for (name, value) in sizes where value <= 0 {
        throw KilnError("\(layer): \(name) must be positive, got \(value)")
    }
    for (name, value) in nonNegative where value < 0 {
        throw KilnError("\(layer): \(name) must be 0 or more, got \(value)")
    }
}

/// Throws "`signature` got input T: `problem`" unless `fits`; the dtype is checked first
/// (`dtype`: the layer's weights' dtype).
func requireInput(_ x: Tensor, of signature: @autoclosure () -> String, dtype: DType, _ fits: Bool,
                  _ problem: @autoclosure () -> String) throws(KilnError) {
    guard x.dtype == dtype else {
        throw KilnError("\(signature()) got input \(x.type): the dtypes differ, its weights are \(dtype.rawValue); convert the input with .converted(to: .\(dtype.rawValue))")
    }
    guard fits else { throw KilnError("\(signature()) got input \(x.type): \(problem())") }
}

/// `error` with `path` (a layer's path in its model, e.g. `layers.0`) before its message.
func prefixed(_ error: any Error, path: String) -> any Error {
    guard let e = error as? KilnError else { return error }
    let nested = e.message.hasPrefix("layers.")  // from a nested Sequential: join the paths
    return e.rephrased { path + (nested ? "." : ": ") + $0 }
}
