import Foundation
import KilnAutodiff
import KilnCodegen
import KilnIR
import KilnJIT
import KilnPasses
import KilnRuntime
import Testing

/// Gradient functions (`grad` of every ir-example function whose first result is a scalar float,
/// with respect to every float parameter) compiled vs interpreted, with and without the default
/// pass pipeline: bit-exact with one accumulator per reduction.
@Suite struct GradientJITTests {
    static let differentiable: [String] = ExampleJITTests.examples.filter { file in
        guard let module = try? loadModule(path: ExampleJITTests.directory.appendingPathComponent(file).path) else { return false }
        return module.functions.contains(where: isDifferentiable)
    }

    @Test func someExamplesAreDifferentiable() {
        #expect(Self.differentiable.count >= 3)
    }

    @Test(arguments: differentiable)
    func gradientsAgree(file: String) throws {
        for (f, inputs) in try exampleFunctions(file) where isDifferentiable(f) {
            let wrt = f.params.filter { f.type(of: $0).dtype.isFloat }.map { f.name(of: $0) }
            var g = try grad(f, wrt: wrt)
            try expectMatchesInterpreter(g, inputs, .exact, options: exactOptions)
            _ = try PassPipeline.standard().run(on: &g)
            try expectMatchesInterpreter(g, inputs, .exact, options: exactOptions)
        }
    }
}

private func isDifferentiable(_ f: Function) -> Bool {
    guard let first = f.resultTypes.first else { return false }
    return first.rank == 0 && first.dtype.isFloat && f.paramTypes.contains { $0.dtype.isFloat }
}
