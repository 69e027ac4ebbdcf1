/// Checks every function of `module` and that function names are distinct.
public func verify(_ module: IRModule) throws(KilnError) {
    var seen: Set<String> = []
    for f in module.functions {
        guard seen.insert(f.name).inserted else {
            throw KilnError("function @\(f.name) is defined twice; rename one", at: f.location)
        }
        try verify(f)
    }
}

/// Checks that `f` is well formed: names valid and unique; SSA (every value defined once, before
/// use); every instruction's operands and attributes valid for its op and its declared result
/// types equal to the inferred ones; the returned values match the signature.
public func verify(_ f: Function) throws(KilnError) {
    func fail(_ message: String, _ location: SourceLocation? = nil) -> KilnError {
        let place = location ?? f.location
        return KilnError(place == nil ? "in @\(f.name): \(message)" : message, at: place)
    }
    guard isValidIdentifier(f.name) else { throw fail("invalid function name '\(f.name)'") }
    var names: Set<String> = []
    names.reserveCapacity(f.values.count)
    for info in f.values {
        guard isValidIdentifier(info.name) else { throw fail("invalid value name '\(info.name)'") }
        guard names.insert(info.name).inserted else { throw fail("value %\(info.name) is defined twice") }
    }
    var defined = [Bool](repeating: false, count: f.values.count)
    func define(_ v: Value, _ location: SourceLocation?) throws(KilnError) {
        guard v.id >= 0, v.id < defined.count else { throw fail("value id \(v.id) has no entry in the value table", location) }
        guard !defined[v.id] else { throw fail("value %\(f.name(of: v)) is defined twice", location) }
        defined[v.id] = true
    }
    func use(_ v: Value, _ location: SourceLocation?) throws(KilnError) {
        guard v.id >= 0, v.id < defined.count else { throw fail("value id \(v.id) has no entry in the value table", location) }
        guard defined[v.id] else { throw fail("value %\(f.name(of: v)) is used before it is defined", location) }
    }
    for p in f.params {
        try define(p, f.location)
        do { try checkLimits(f.type(of: p)) } catch { throw fail("parameter %\(f.name(of: p)): \(error.message)", f.location) }
    }
    for inst in f.body {
        for v in inst.operands { try use(v, inst.location) }
        for v in inst.results { try define(v, inst.location) }
        let declared = inst.results.map { f.values[$0.id].type }
        let inferred: [TensorType]
        do {
            inferred = try inferResultTypes(inst.op, inst.operands.map { f.values[$0.id].type })
        } catch {
            throw fail(error.message, inst.location)
        }
        guard inferred == declared else {
            let lhs = inst.results.map { "%" + f.name(of: $0) }.joined(separator: ", ")
            throw fail("\(lhs) is declared \(declared.map(\.description).joined(separator: ", ")) but '\(inst.op.name)' gives \(inferred.map(\.description).joined(separator: ", "))", inst.location)
        }
    }
    for v in f.results { try use(v, f.location) }
    let returned = f.results.map(f.type(of:))
    guard returned == f.resultTypes else {
        throw fail("return gives (\(returned.map(\.description).joined(separator: ", "))) but the signature declares (\(f.resultTypes.map(\.description).joined(separator: ", ")))", f.location)
    }
}
