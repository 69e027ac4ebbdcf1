import Testing
@testable import KilnIR

/// The verifier on functions built in Swift (no source locations): each broken invariant is reported.
@Suite struct VerifierTests {
    private func affine() throws -> Function {
        let b = FunctionBuilder(name: "affine")
        let x = b.parameter("x", TensorType(.f32, [4, 3]))
        let w = b.parameter("w", TensorType(.f32, [3, 2]))
        let y = try b.emit(.matmul(transposeA: false, transposeB: false), [x, w], name: "y")
        let z = try b.emit(.unary(.relu), [y], name: "z")
        return b.finish(returning: [z])
    }

    private func expectError(_ f: Function, _ fragment: String) {
        #expect(throws: KilnError.self) { try verify(f) }
        do { try verify(f) } catch {
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.message.contains("@\(f.name)"), "errors without a location name the function: \(error)")
        }
    }

    @Test func builtFunctionVerifiesAndPrints() throws {
        let f = try affine()
        try verify(f)
        #expect(printFunction(f) == """
        func @affine(%x: f32[4,3], %w: f32[3,2]) -> (f32[4,2]) {
          %y = matmul(%x, %w) : f32[4,2]
          %z = relu(%y) : f32[4,2]
          return %z
        }

        """)
    }

    @Test func builderRejectsBadOperandsWithTheReason() throws {
        let b = FunctionBuilder(name: "bad")
        let x = b.parameter("x", TensorType(.f32, [4, 3]))
        #expect(throws: KilnError("'matmul' contraction sizes differ: f32[4,3] has 3, f32[4,3] has 4")) {
            try b.emit(.matmul(transposeA: false, transposeB: false), [x, x])
        }
    }

    @Test func builderMakesNamesUnique() throws {
        let b = FunctionBuilder(name: "n")
        let x = b.parameter("x", TensorType(.f32, [2]))
        let a = try b.emit(.unary(.neg), [x], name: "x")
        let c = try b.emit(.unary(.neg), [a], name: "bad name!")
        let f = b.finish(returning: [c])
        try verify(f)
        #expect(f.name(of: a) == "x.1")
        #expect(f.name(of: c) == "0")
    }

    @Test func useBeforeDefinition() throws {
        var f = try affine()
        f.body.swapAt(0, 1)
        expectError(f, "%y is used before it is defined")
    }

    @Test func valueDefinedTwice() throws {
        var f = try affine()
        f.body[1].results = f.body[0].results
        expectError(f, "%y is defined twice")
    }

    @Test func duplicateName() throws {
        var f = try affine()
        f.values[3].name = "y"
        expectError(f, "%y is defined twice")
    }

    @Test func invalidName() throws {
        var f = try affine()
        f.values[0].name = "x*/"
        expectError(f, "invalid value name 'x*/'")
    }

    @Test func declaredTypeDiffersFromInferred() throws {
        var f = try affine()
        f.values[3].type = TensorType(.f64, [4, 2])
        f.resultTypes = [TensorType(.f64, [4, 2])]
        expectError(f, "%z is declared f64[4,2] but 'relu' gives f32[4,2]")
    }

    @Test func returnDiffersFromSignature() throws {
        var f = try affine()
        f.resultTypes = [TensorType(.f32, [2, 4])]
        expectError(f, "signature declares (f32[2,4])")
    }

    @Test func operandOutsideTheValueTable() throws {
        var f = try affine()
        f.body[1].operands = [Value(99)]
        expectError(f, "value id 99 has no entry")
    }

    @Test func duplicateFunctionNamesInAModule() throws {
        let f = try affine()
        #expect(throws: KilnError.self) { try verify(IRModule(functions: [f, f])) }
    }
}
