import KilnAutodiff
import KilnIR
import KilnJIT
import KilnRuntime
import Testing

/// Two ranks whose peer holds the same values as this process: `all_reduce` sum doubles the
/// operand and mean keeps it, which shows the op reaches the communicator from interpreted and
/// compiled code alike. (Real ranks are exercised by DistributedTrainingTests under mpirun.)
private final class MirroredPeer: Communicator, @unchecked Sendable {
    let rank = 0, size = 2
    private(set) var calls = 0
    func allReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) {
        calls += 1
        switch dtype {
        case .f32: let p = data.assumingMemoryBound(to: Float.self); for i in 0..<count { p[i] += p[i] }
        case .f64: let p = data.assumingMemoryBound(to: Double.self); for i in 0..<count { p[i] += p[i] }
        case .i32, .i64, .bool: throw KilnError("unexpected \(dtype)")
        }
    }
    func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError) {}
    func abort(_ error: KilnError) -> Never { fatalError(error.message) }
}

/// `all_reduce` on one process (the identity, bit-exact, interpreted and compiled), through a
/// communicator, in the text form, and its gradient.
@Suite struct AllReduceJITTests {
    @Test(arguments: [DType.f32, .f64], AllReduceOp.allCases)
    func isTheIdentityOnOneProcess(dtype: DType, reduction: AllReduceOp) throws {
        let f = try singleOp(.allReduce(reduction), [TensorType(dtype, [3, 5])])
        let inputs = try testInputs(f)
        let outputs = try expectMatchesInterpreter(f, inputs)
        #expect(outputs[0].doubles.map(\.bitPattern) == inputs[0].doubles.map(\.bitPattern))
    }

    @Test(arguments: [DType.f32, .f64])
    func reachesTheCommunicatorFromCompiledCode(dtype: DType) throws {
        let f = try parseFunction("""
            func @f(%x: \(dtype)[7]) -> (\(dtype)[7], \(dtype)[7]) {
              %s = all_reduce(%x) {reduction = "sum"} : \(dtype)[7]
              %m = all_reduce(%x) {reduction = "mean"} : \(dtype)[7]
              return %s, %m
            }
            """)
        let x = try HostTensor(TensorType(dtype, [7]), doubles: [1, -2, 0.5, 3, 1e-3, -0.0, 7])
        let peer = MirroredPeer()
        let (interpreted, compiled) = try CommunicatorScope.$current.withValue(peer) {
            (try interpret(f, inputs: [x]), try JITCompiler.shared.compile(f).run([x]))
        }
        #expect(peer.calls == 4)
        for results in [interpreted, compiled] {
            #expect(results[0].doubles == x.doubles.map { $0 * 2 })
            #expect(results[1].doubles == x.doubles)
        }
    }

    @Test func printsAndParsesItsReduction() throws {
        let text = """
            func @f(%x: f32[2]) -> (f32[2]) {
              %y = all_reduce(%x) {reduction = "mean"} : f32[2]
              return %y
            }

            """
        #expect(printFunction(try parseFunction(text)) == text)
        #expect(throws: KilnError.self) { try parseFunction(text.replacingOccurrences(of: "\"mean\"", with: "\"max\"")) }
        do {
            _ = try parseFunction(text.replacingOccurrences(of: "\"mean\"", with: "\"max\""))
        } catch let error as KilnError {
            #expect(error.description.contains("test.kir:2:") && error.description.contains("reduction \"max\"")
                    && error.description.contains("sum, mean"))
        }
        #expect(throws: KilnError.self) { try parseFunction(text.replacingOccurrences(of: "f32", with: "i32")) }
    }

    /// The cotangent of x is the all-reduce of the result's cotangent: `w` on one process, `2w`
    /// summed over the mirrored pair.
    @Test func gradientIsTheAllReduceOfTheCotangent() throws {
        let f = try parseFunction("""
            func @loss(%x: f64[3], %w: f64[3]) -> (f64[]) {
              %r = all_reduce(%x) {reduction = "sum"} : f64[3]
              %p = mul(%r, %w) : f64[3]
              %l = reduce_sum(%p) {axes = [0]} : f64[]
              return %l
            }
            """)
        let g = try grad(f, wrt: ["x"])
        #expect(g.body.filter { $0.op == .allReduce(.sum) }.count == 2)
        let x = try HostTensor(TensorType(.f64, [3]), doubles: [1, 2, 3])
        let w = try HostTensor(TensorType(.f64, [3]), doubles: [0.5, -1, 4])
        let single = try interpret(g, inputs: [x, w])
        #expect(single.last?.doubles == w.doubles)
        // Finite differences of the loss (identity on one process) agree.
        let h = 1e-6
        for i in 0..<3 {
            var up = x.doubles, down = x.doubles
            up[i] += h; down[i] -= h
            let lu = try interpret(f, inputs: [try HostTensor(x.type, doubles: up), w])[0][0].asDouble
            let ld = try interpret(f, inputs: [try HostTensor(x.type, doubles: down), w])[0][0].asDouble
            #expect(abs((lu - ld) / (2 * h) - w.doubles[i]) < 1e-6)
        }
        let mirrored = try CommunicatorScope.$current.withValue(MirroredPeer()) { try interpret(g, inputs: [x, w]) }
        #expect(mirrored.last?.doubles == w.doubles.map { $0 * 2 })
    }
}
