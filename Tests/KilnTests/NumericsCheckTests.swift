import Testing
import KilnIR
import KilnRuntime

/// `interpretCheckingNumerics` finds the first NaN or infinity of a run, instruction by instruction.
@Suite struct NumericsCheckTests {
    static let source = """
    func @f(%x: f32[4], %w: f32[4]) -> (f32[4], f32[]) {
      %a = mul(%x, %w) : f32[4]
      %l = log(%a) : f32[4]
      %e = exp(%l) : f32[4]
      %s = reduce_sum(%e) {axes = [0]} : f32[]
      return %e, %s
    }
    """

    static func function() throws -> Function { try parseModule(source, file: "f.kir").functions[0] }

    @Test("names the first instruction producing NaN or infinity, with its line")
    func firstNonFiniteInstruction() throws {
        let f = try Self.function()
        // log(0) = -inf at element 1 and log(-1) = nan at element 3; exp(-inf) = 0 is finite again.
        let inputs = [try HostTensor([4], floats: [1, 0, 2, -1]), try HostTensor([4], floats: [1, 5, 0.5, 1])]
        guard case .failure(let found) = try interpretCheckingNumerics(f, inputs: inputs) else {
            Issue.record("log(0) went unnoticed")
            return
        }
        #expect(found.instruction == 1 && f.name(of: found.value) == "l")
        #expect(found.location == SourceLocation(file: "f.kir", line: 3, column: 8))
        #expect(found.count == 2 && found.firstIndex == 1 && found.firstValue == -.infinity)
        #expect(found.description == "instruction 2 of @f, 'log', produced -inf at element 1 of %l (2 of 4 elements not finite; " +
                "its operands were finite): %l = log(%a) : f32[4]")
    }

    @Test("a non-finite input is named as such")
    func nonFiniteInput() throws {
        let inputs = [try HostTensor([4], floats: [1, 2, 3, 4]), try HostTensor([4], floats: [1, .infinity, 1, .nan])]
        guard case .failure(let found) = try interpretCheckingNumerics(try Self.function(), inputs: inputs) else {
            Issue.record("an infinite input went unnoticed")
            return
        }
        #expect(found.instruction == nil && found.location == nil)
        #expect(found.description == "the input holds inf at element 1 of %w (2 of 4 elements not finite): input %w: f32[4]")
    }

    @Test("finite runs give the interpreter's results")
    func finiteRun() throws {
        let f = try Self.function()
        let inputs = [try HostTensor([4], floats: [1, 2, 3, 4]), try HostTensor([4], floats: [0.5, 0.25, 2, 1])]
        let checked = try interpretCheckingNumerics(f, inputs: inputs).get()
        #expect(checked.map(\.doubles) == (try interpret(f, inputs: inputs)).map(\.doubles))
        #expect(zip(checked[0].doubles, [0.5, 0.5, 6, 4]).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * $1 })
    }

    @Test("counts non-finite elements of float tensors only")
    func nonFiniteElements() throws {
        let t = try HostTensor(TensorType(.f64, [5]), doubles: [0, -.infinity, 1e308, .nan, .infinity])
        #expect(t.nonFiniteElements?.count == 3 && t.nonFiniteElements?.firstIndex == 1)
        #expect(try HostTensor([2], floats: [.greatestFiniteMagnitude, -0.0]).nonFiniteElements == nil)
        #expect(try HostTensor(TensorType(.i32, [2]), doubles: [1, 2]).nonFiniteElements == nil)
    }

    @Test("nearest parameters: those reached through the fewest instructions")
    func nearest() throws {
        let f = try parseModule("""
        func @g(%x: f32[2], %w: f32[2], %b: f32[2], %c: f32[2]) -> (f32[2]) {
          %t = neg(%w) : f32[2]
          %h = mul(%x, %t) : f32[2]
          %y = add(%h, %b) : f32[2]
          %z = sub(%y, %c) : f32[2]
          return %z
        }
        """, file: "g.kir").functions[0]
        func names(_ i: Int, _ accept: Set<String>) -> [String] {
            nearestParameters(of: i, in: f) { accept.contains(f.name(of: $0)) }.map { f.name(of: $0) }
        }
        #expect(names(3, ["w", "b", "c"]) == ["c"])
        #expect(names(3, ["w", "b"]) == ["b"])
        #expect(names(1, ["x", "w"]) == ["x"])
        #expect(names(1, ["w"]) == ["w"])
        #expect(names(0, ["x"]) == [])
    }
}
