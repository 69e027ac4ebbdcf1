import KilnIR

// Reference kernels of the elementwise ops (docs/ir.md, "Elementwise"): f32 is computed in f32
// with the C math library, integers wrap around.

/// `constant`: a splat fills every element, a dense literal gives them in row-major order.
func fillConstant(_ literal: Literal, _ out: HostTensor) {
    switch literal {
    case .splat(let value):
        guard out.count > 0 else { return }
        out[0] = value
        // Broadcast element 0 over the whole tensor.
        copyElements(StridedWalk(shape: [out.count], source: (0, [0]), destination: (0, [1])), from: out, to: out)
    case .dense(let values):
        for i in values.indices { out[i] = values[i] }
    }
}

/// `iota`: each element is its index along `axis`.
func fillIota(axis: Int, _ out: HostTensor) {
    func fill<T: NumericElement>(_: T.Type) {
        let p = out.pointer(T.self)
        let shape = out.type.shape
        let size = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let outer = shape[..<axis].reduce(1, *)
        var i = 0
        for _ in 0..<outer {
            for k in 0..<size {
                let value = T(k)
                for _ in 0..<inner { p[i] = value; i += 1 }
            }
        }
    }
    switch out.type.dtype {
    case .f32: fill(Float.self)
    case .f64: fill(Double.self)
    case .i32: fill(Int32.self)
    case .i64: fill(Int64.self)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

func unaryKernel(_ op: UnaryOp, _ x: HostTensor, _ out: HostTensor) {
    switch x.type.dtype {
    case .f32: floatUnary(op, Float.self, x, out)
    case .f64: floatUnary(op, Double.self, x, out)
    case .i32: intUnary(op, Int32.self, x, out)
    case .i64: intUnary(op, Int64.self, x, out)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

private func floatUnary<T: FloatElement>(_ op: UnaryOp, _: T.Type, _ x: HostTensor, _ out: HostTensor) {
    func apply(_ f: (T) -> T) { mapElements(x, out, f) }
    switch op {
    case .neg: apply { -$0 }
    case .abs: apply { $0.magnitude }  // clears the sign bit, NaN included
    case .sign: apply { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 }  // NaN and signed zeros pass through
    case .relu: apply { $0 > 0 || $0.isNaN ? $0 : 0 }
    case .exp: apply { T.exp($0) }
    case .log: apply { T.log($0) }
    case .sqrt: apply { $0.squareRoot() }
    case .rsqrt: apply { 1 / $0.squareRoot() }
    case .tanh: apply { T.tanh($0) }
    case .sigmoid: apply { 1 / (1 + T.exp(-$0)) }
    case .sin: apply { T.sin($0) }
    case .cos: apply { T.cos($0) }
    case .floor: apply { T.floor($0) }
    case .stopGradient: apply { $0 }
    }
}

private func intUnary<T: IntElement>(_ op: UnaryOp, _: T.Type, _ x: HostTensor, _ out: HostTensor) {
    func apply(_ f: (T) -> T) { mapElements(x, out, f) }
    switch op {
    case .neg: apply { 0 &- $0 }
    case .abs: apply { $0 < 0 ? 0 &- $0 : $0 }  // abs(min) = min
    case .sign: apply { $0.signum() }
    case .relu: apply { $0 > 0 ? $0 : 0 }
    case .stopGradient: apply { $0 }
    case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .sin, .cos, .floor:
        break  // type inference admits these on floats only
    }
}

func binaryKernel(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    switch a.type.dtype {
    case .f32: binary(op, Float.self, a, b, out)
    case .f64: binary(op, Double.self, a, b, out)
    case .i32: binary(op, Int32.self, a, b, out)
    case .i64: binary(op, Int64.self, a, b, out)
    case .bool: break  // type inference admits numeric dtypes only
    }
}

private func binary<T: NumericElement>(_ op: BinaryOp, _: T.Type, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    func apply(_ f: (T, T) -> T) { mapElements(a, b, out, f) }
    switch op {
    case .add: apply(T.add)
    case .sub: apply(T.subtract)
    case .mul: apply(T.multiply)
    case .div: apply(T.divide)
    case .pow: apply(T.power)
    case .max: apply(maxPropagatingNaN)
    case .min: apply(minPropagatingNaN)
    }
}

func compareKernel(_ d: CompareDirection, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    switch a.type.dtype {
    case .f32: compare(d, Float.self, a, b, out)
    case .f64: compare(d, Double.self, a, b, out)
    case .i32: compare(d, Int32.self, a, b, out)
    case .i64: compare(d, Int64.self, a, b, out)
    case .bool: compare(d, Bool.self, a, b, out)
    }
}

/// Every direction is written with `precedes` and `==`, so that any comparison with NaN is
/// false except `ne`.
private func compare<T: Element>(_ d: CompareDirection, _: T.Type, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    func apply(_ f: (T, T) -> Bool) { mapElements(a, b, out, f) }
    switch d {
    case .lt: apply { T.precedes($0, $1) }
    case .le: apply { T.precedes($0, $1) || $0 == $1 }
    case .gt: apply { T.precedes($1, $0) }
    case .ge: apply { T.precedes($1, $0) || $0 == $1 }
    case .eq: apply { $0 == $1 }
    case .ne: apply { $0 != $1 }
    }
}

func selectKernel(_ c: HostTensor, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {
    func select<T>(_: T.Type) {
        let (pc, pa, pb, dst) = (c.pointer(Bool.self), a.pointer(T.self), b.pointer(T.self), out.pointer(T.self))
        for i in 0..<out.count { dst[i] = pc[i] ? pa[i] : pb[i] }
    }
    switch a.type.dtype {
    case .f32: select(Float.self)
    case .f64: select(Double.self)
    case .i32: select(Int32.self)
    case .i64: select(Int64.self)
    case .bool: select(Bool.self)
    }
}

func convertKernel(_ x: HostTensor, _ out: HostTensor) {
    switch x.type.dtype {
    case .f32: convertFloat(Float.self, x, out)
    case .f64: convertFloat(Double.self, x, out)
    case .i32: convertInt(Int32.self, x, out)
    case .i64: convertInt(Int64.self, x, out)
    case .bool: convertBool(x, out)
    }
}

/// Floats round to nearest, truncate toward zero into integers (saturating, NaN gives 0) and
/// are true when nonzero (NaN included).
private func convertFloat<S: FloatElement>(_: S.Type, _ x: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: mapElements(x, out) { (v: S) in Float(v) }
    case .f64: mapElements(x, out) { (v: S) in Double(v) }
    case .i32: mapElements(x, out) { (v: S) in Int32(saturatingTowardZero: Double(v)) }
    case .i64: mapElements(x, out) { (v: S) in Int64(saturatingTowardZero: Double(v)) }
    case .bool: mapElements(x, out) { (v: S) in v != 0 }
    }
}

/// Integers round to the nearest float, wrap around into a narrower integer and are true when nonzero.
private func convertInt<S: IntElement>(_: S.Type, _ x: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: mapElements(x, out) { (v: S) in Float(v) }
    case .f64: mapElements(x, out) { (v: S) in Double(v) }
    case .i32: mapElements(x, out) { (v: S) in Int32(truncatingIfNeeded: v) }
    case .i64: mapElements(x, out) { (v: S) in Int64(truncatingIfNeeded: v) }
    case .bool: mapElements(x, out) { (v: S) in v != 0 }
    }
}

/// Bools become 0 or 1.
private func convertBool(_ x: HostTensor, _ out: HostTensor) {
    switch out.type.dtype {
    case .f32: mapElements(x, out) { (v: Bool) -> Float in v ? 1 : 0 }
    case .f64: mapElements(x, out) { (v: Bool) -> Double in v ? 1 : 0 }
    case .i32: mapElements(x, out) { (v: Bool) -> Int32 in v ? 1 : 0 }
    case .i64: mapElements(x, out) { (v: Bool) -> Int64 in v ? 1 : 0 }
    case .bool: mapElements(x, out) { (v: Bool) in v }
    }
}
