import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

/// The interpreter runs every random function and returns values of the declared types, finite
/// when the generator guards the numerics.
@Suite struct GeneratedInterpreterTests {
    @Test func randomFunctionsRunWithTheDeclaredResultTypes() {
        for seed in randomSeeds(countVariable: "KILN_RANDOM_INTERP_CASES", defaultCount: 200) {
            let f = variedRandomFunction(seed: seed)
            do {
                let outputs = try interpret(f, inputs: try randomInputs(for: f, seed: seed))
                guard outputs.map(\.type) == f.resultTypes else {
                    Issue.record("seed \(seed): results \(outputs.map(\.type)), declared \(f.resultTypes), in:\n\(printFunction(f))")
                    return
                }
                if variedConfiguration(seed: seed).guardsNumerics,
                   let bad = outputs.first(where: { $0.type.dtype.isFloat && $0.doubles.contains { !$0.isFinite } }) {
                    Issue.record("seed \(seed): guarded function gives \(bad), in:\n\(printFunction(f))")
                    return
                }
            } catch {
                Issue.record("seed \(seed): \(error) in:\n\(printFunction(f))")
                return
            }
        }
    }

    @Test func randomInputsHaveTheParameterTypesAndDocumentedRanges() throws {
        let b = FunctionBuilder(name: "f")
        let types = [TensorType(.f32, [40, 25]), TensorType(.f64, [1000]), TensorType(.i32, [3, 300]),
                     TensorType(.i64, [900]), TensorType(.bool, [500]), TensorType(.f32, [])]
        for t in types { _ = b.parameter("p", t) }
        let f = b.finish(returning: [Value(0)])
        let inputs = try randomInputs(for: f, seed: 5)
        #expect(inputs.map(\.type) == types)
        for input in inputs.prefix(5) {
            let values = input.doubles
            switch input.type.dtype {
            case .f32, .f64:
                #expect(values.allSatisfy { $0 >= -1 && $0 < 1 })
                #expect((values.min() ?? 0) < -0.9 && (values.max() ?? 0) > 0.9)
            case .i32, .i64:
                #expect(Set(values) == [0, 1, 2, 3, 4, 5])
            case .bool:
                #expect(Set(values) == [0, 1])
            }
        }
        #expect(try randomInputs(for: f, seed: 5).map(\.doubles) == inputs.map(\.doubles))
        #expect(try randomInputs(for: f, seed: 6)[0].doubles != inputs[0].doubles)
    }
}
