import KilnAutodiff
import KilnCodegen
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

/// A peer of a pair holding the same values as this process whose non-blocking reduction doubles
/// the data only when it is waited on, so compiled code that read a result before waiting would
/// see the operand; it logs the collectives in order.
private final class DeferredPeer: Communicator, @unchecked Sendable {
    let rank = 0, size = 2
    var events: [String] = []

    func allReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) {
        events.append("reduce \(count)")
        try MirroredPeer().allReduceSum(data, count: count, dtype: dtype)
    }

    func startAllReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) -> (any ReductionRequest)? {
        events.append("start \(count)")
        return Request(peer: self, data: data, count: count, dtype: dtype)
    }

    func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError) {}
    func abort(_ error: KilnError) -> Never { fatalError(error.message) }

    final class Request: ReductionRequest {
        let peer: DeferredPeer, data: UnsafeMutableRawPointer, count: Int, dtype: DType
        init(peer: DeferredPeer, data: UnsafeMutableRawPointer, count: Int, dtype: DType) {
            (self.peer, self.data, self.count, self.dtype) = (peer, data, count, dtype)
        }
        func test() throws(KilnError) -> Bool {
            peer.events.append("test \(count)")
            return false
        }
        func wait() throws(KilnError) {
            peer.events.append("wait \(count)")
            try MirroredPeer().allReduceSum(data, count: count, dtype: dtype)
        }
    }
}

/// A gradient `%g` complete early, two products after it, and its all-reduce written last, as
/// `DataParallel` emits it after the backward pass.
private let lateReduction = """
    func @f(%a: f32[64], %b: f32[64,64]) -> (f32[64], f32[64,64]) {
      %g = mul(%a, %a) : f32[64]
      %h = matmul(%b, %b) : f32[64,64]
      %k = matmul(%h, %b) : f32[64,64]
      %r = all_reduce(%g) {reduction = "sum"} : f32[64]
      %s = add(%r, %a) : f32[64]
      return %s, %k
    }
    """

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

    /// Compiled code starts the reduction right after its operand is computed, lets it progress
    /// after each kernel in between, and waits just before its reader, which then sees the sum.
    @Test func startsEarlyAndWaitsBeforeTheFirstReader() throws {
        let f = try parseFunction(lateReduction)
        let entry = try #require(try emitC(f).source.components(separatedBy: "void kiln_entry(").last)
        let calls = entry.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("  /*") }
        func line(_ text: String) -> Int { calls.firstIndex { $0.contains(text) } ?? -1 }
        let start = line("kiln_all_reduce_start("), wait = line("kiln_all_reduce_wait(")
        let (g, h, k, s) = (line("_g("), line("_h("), line("_k("), line("_s("))
        #expect(g >= 0 && h >= 0 && k >= 0 && s >= 0, "\(calls)")
        #expect(g < start && start < h && h < k && k < wait && wait == s - 1, "\(calls)")
        #expect(calls[start..<wait].filter { $0.contains("kiln_all_reduce_test(") }.count == 2, "\(calls)")

        let inputs = try testInputs(f, edges: false)
        let peer = DeferredPeer()
        let (interpreted, compiled) = try CommunicatorScope.$current.withValue(peer) {
            (try interpret(f, inputs: inputs), try JITCompiler.shared.compile(f, options: exactOptions).run(inputs))
        }
        #expect(peer.events == ["reduce 64", "start 64", "test 64", "test 64", "wait 64"])
        let expected = zip(inputs[0].doubles, inputs[0].doubles).map { Double(Float($0 * $1) * 2 + Float($0)) }
        for results in [interpreted, compiled] {
            #expect(results[0].doubles == expected)
            #expect(results[1].doubles == interpreted[1].doubles)
        }
    }

    /// Buckets reduced in the order they become ready (the last gradient first), each waited on
    /// just before its slices are read; the results match the interpreter's.
    @Test func bucketsStartInTheOrderTheirGradientsComplete() throws {
        let f = try parseFunction("""
            func @f(%a: f64[8], %b: f64[4]) -> (f64[4], f64[8]) {
              %ga = mul(%a, %a) : f64[8]
              %gb = add(%b, %b) : f64[4]
              %x = exp(%a) : f64[8]
              %fa = reshape(%ga) {shape = [8]} : f64[8]
              %ra = all_reduce(%fa) {reduction = "mean"} : f64[8]
              %rb = all_reduce(%gb) {reduction = "mean"} : f64[4]
              %ua = add(%ra, %x) : f64[8]
              %ub = mul(%rb, %b) : f64[4]
              return %ub, %ua
            }
            """)
        let peer = DeferredPeer()
        let inputs = try testInputs(f, edges: false)
        let (interpreted, compiled) = try CommunicatorScope.$current.withValue(peer) {
            (try interpret(f, inputs: inputs), try JITCompiler.shared.compile(f, options: exactOptions).run(inputs))
        }
        #expect(peer.events == ["reduce 8", "reduce 4", "start 8", "test 8", "test 8", "start 4", "test 8", "wait 8", "test 4", "wait 4"])
        for (c, i) in zip(compiled, interpreted) { #expect(c.doubles.map(\.bitPattern) == i.doubles.map(\.bitPattern)) }
    }

    /// The arena never lends a reduction's buffer to another value before the wait: a result read
    /// late stays live to its reader (through a reshape), one never read to the end of the body.
    @Test func theArenaKeepsAReductionsBufferUntilTheWait() throws {
        let f = try parseFunction("""
            func @f(%a: f32[256]) -> (f32[256]) {
              %r = all_reduce(%a) {reduction = "sum"} : f32[256]
              %unread = all_reduce(%a) {reduction = "sum"} : f32[256]
              %t = exp(%a) : f32[256]
              %u = add(%t, %a) : f32[256]
              %q = reshape(%r) {shape = [256]} : f32[256]
              %v = mul(%u, %t) : f32[256]
              %w = add(%q, %v) : f32[256]
              return %w
            }
            """)
        let plan = planMemory(f)
        #expect(planProblems(f, plan).isEmpty, "\(planProblems(f, plan))")
        let (r, unread) = (f.body[0].results[0], f.body[1].results[0])
        #expect(plan.reductionWaits == [r: 6, unread: f.body.count])
        let buffers = plan.buffers.filter { if case .value(let v) = $0.content { return v == r || v == unread }; return false }
        #expect(buffers.map(\.last).sorted() == [6, f.body.count])
        // Compiled, the unread reduction is waited on at the end; the read one before %w.
        let peer = DeferredPeer()
        let inputs = try testInputs(f, edges: false)
        let (interpreted, compiled) = try CommunicatorScope.$current.withValue(peer) {
            (try interpret(f, inputs: inputs), try JITCompiler.shared.compile(f, options: exactOptions).run(inputs))
        }
        #expect(peer.events == ["reduce 256", "reduce 256", "start 256", "test 256", "start 256", "test 256", "test 256", "test 256",
                                 "wait 256", "test 256", "wait 256"])
        #expect(compiled[0].doubles.map(\.bitPattern) == interpreted[0].doubles.map(\.bitPattern))
    }

    /// A communicator without non-blocking collectives reduces at the start, blocking.
    @Test func aBlockingCommunicatorReducesAtTheStart() throws {
        let f = try parseFunction(lateReduction)
        let peer = MirroredPeer()
        let inputs = try testInputs(f, edges: false)
        let (interpreted, compiled) = try CommunicatorScope.$current.withValue(peer) {
            (try interpret(f, inputs: inputs), try JITCompiler.shared.compile(f, options: exactOptions).run(inputs))
        }
        #expect(peer.calls == 2)
        for (c, i) in zip(compiled, interpreted) { #expect(c.doubles.map(\.bitPattern) == i.doubles.map(\.bitPattern)) }
    }
}
