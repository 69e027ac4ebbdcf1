import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// A user's module: `Linear(10 -> 16)` called on the line `forwardLine`, then a NaN from `pow`.
private final class RootOfLinear: Kiln.Module {
    let inner: Linear
    init() throws { inner = try Linear(10, 16, seed: 1) }
    static let forwardLine = #line + 1
    func forward(_ x: Tensor) throws -> Tensor { try inner(x).minimum(-1).pow(0.5) }
}

/// A user's module adding a bias of the wrong width with `+` (an operator: no call-site argument).
private final class WrongBias: Kiln.Module {
    let bias: Parameter
    init() throws { bias = Parameter(try HostTensor(zeros: TensorType(.f32, [3])), name: "bias") }
    func forward(_ x: Tensor) throws -> Tensor { try x + bias.tensor }
}

/// Errors from inside a module or DSL op name the line of user code that called it, eagerly and
/// traced alike, and traced instructions carry that line.
@Suite struct CallSiteTests {
    private func input(_ dtype: DType, _ shape: [Int]) throws -> Tensor {
        try Tensor(TensorType(dtype, shape), (0..<shape.reduce(1, *)).map { Double($0 % 5) / 5 })
    }

    /// The error `body` throws, or nil.
    private func error(_ body: () throws -> Void) -> KilnError? {
        caughtKilnError { try body() }
    }

    /// Whether `error` names line `line` of this file.
    private func names(_ error: KilnError?, line: Int) -> Bool {
        error?.location?.file == "KilnTests/CallSiteTests.swift" && error?.location?.line == line
            && error?.description.hasPrefix("KilnTests/CallSiteTests.swift:\(line):") == true
    }

    @Test func aWrongInputWidthNamesTheCallerLineEagerlyAndTraced() throws {
        let model = Sequential(try Linear(10, 16, seed: 1), Activation(relu), try Linear(16, 2, seed: 2))
        let x = try input(.f32, [4, 12])
        let eager = error { _ = try model(x) }; let eagerLine = #line
        #expect(names(eager, line: eagerLine), "\(String(describing: eager))")
        #expect(eager?.message == "layers.0: Linear(10 -> 16) got input f32[4,12]: its last axis must be 10")
        let traced = error { _ = try trace(name: "f", inputs: [("x", x.type)]) { [try model($0[0])] } }; let tracedLine = #line
        #expect(names(traced, line: tracedLine), "\(String(describing: traced))")
        #expect(traced?.message == eager?.message)
    }

    @Test func aDtypeMismatchNamesTheCallerLine() throws {
        let model = Sequential(try Linear(3, 2, seed: 1))
        let x = try input(.f64, [2, 3])
        let eager = error { _ = try model(x) }; let line = #line
        #expect(names(eager, line: line), "\(String(describing: eager))")
        #expect(eager?.message.hasPrefix("layers.0: Linear(3 -> 2) got input f64[2,3]: the dtypes differ") == true)
    }

    @Test func anOpErrorInsideALayerNamesTheCallerNotKiln() throws {
        // The width check passes; the bias add inside `WrongBias` fails.
        let model = Sequential(try Linear(4, 5, seed: 1), try WrongBias())
        let x = try input(.f32, [2, 4])
        let eager = error { _ = try model(x) }; let line = #line
        #expect(names(eager, line: line), "\(String(describing: eager))")
        #expect(eager?.message.contains("layers.1: 'add' cannot broadcast f32[2,5] with f32[3]") == true, "\(String(describing: eager))")
        let traced = error { _ = try trace(name: "f", inputs: [("x", x.type)]) { [try model($0[0])] } }; let tracedLine = #line
        #expect(names(traced, line: tracedLine), "\(String(describing: traced))")
    }

    @Test func aNamedOpCalledByTheUserNamesItsOwnLine() throws {
        let a = try input(.f32, [2, 3])
        let traced = error { _ = try trace(name: "f", inputs: [("a", a.type)]) { [try $0[0].matmul(a)] } }; let line = #line
        #expect(names(traced, line: line), "\(String(describing: traced))")
        #expect(traced?.message.contains("'matmul' contraction sizes differ") == true)
    }

    @Test("a user module nesting Linear names the line of its forward", arguments: ExecutionMode.allCases)
    func aNestedLinearNamesTheUserForward(mode: ExecutionMode) throws {
        let model = try RootOfLinear()
        let direct = error { _ = try model(try input(.f32, [4, 12])) }
        #expect(names(direct, line: RootOfLinear.forwardLine), "the innermost user line: \(String(describing: direct))")
        #expect(direct?.message == "Linear(10 -> 16) got input f32[4,12]: its last axis must be 10")
        #expect(direct?.location?.column == 59, "the column of the parenthesis of `inner(x)`")
        let trained = error {
            let trainer = try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.1),
                                      inputType: TensorType(.f32, [4, 12]), labelType: TensorType(.f32, [4, 16]), mode: mode)
            _ = try trainer.step(try input(.f32, [4, 12]).host(), try input(.f32, [4, 16]).host())
        }
        #expect(names(trained, line: RootOfLinear.forwardLine), "\(mode): \(String(describing: trained))")
        #expect(trained?.message == direct?.message)
    }

    @Test func tracedInstructionsCarryTheUserLine() throws {
        let model = Sequential(try Linear(3, 2, seed: 1), Activation(relu))
        let traced = try trace(name: "f", inputs: [("x", TensorType(.f32, [4, 3]))]) { [try model($0[0])] }; let line = #line
        #expect(!traced.function.body.isEmpty)
        for instruction in traced.function.body {
            #expect(instruction.location?.file == "KilnTests/CallSiteTests.swift" && instruction.location?.line == line,
                    "'\(instruction.op.name)' at \(String(describing: instruction.location))")
        }
    }

    @Test func operatorsAndMathFunctionsNameTheModuleCall() throws {
        let model = Activation { try log($0 * 2) }
        let traced = try trace(name: "f", inputs: [("x", TensorType(.f32, [3]))]) { [try model($0[0])] }; let line = #line
        let ops = traced.function.body.map { ($0.op.name, $0.location?.line) }
        #expect(ops.contains { $0 == ("mul", line) } && ops.contains { $0 == ("log", line) }, "\(ops)")
    }

    @Test("check numerics names the line of the user's forward", arguments: ExecutionMode.allCases)
    func checkNumericsNamesTheUserLine(mode: ExecutionMode) throws {
        let model = try RootOfLinear()
        let trainer = try Trainer(model: model, loss: { try mse($0, $1) }, optimizer: SGD(lr: 0.1),
                                  inputType: TensorType(.f32, [4, 10]), labelType: TensorType(.f32, [4, 16]), mode: mode,
                                  checkNumerics: true)
        let failed = error { _ = try trainer.step(try input(.f32, [4, 10]).host(), try input(.f32, [4, 16]).host()) }
        let message = failed?.message ?? ""
        #expect(message.contains("'pow', produced nan"), "\(message)")
        #expect(message.contains("\n  traced at KilnTests/CallSiteTests.swift:\(RootOfLinear.forwardLine):"), "\(message)")
    }
}
