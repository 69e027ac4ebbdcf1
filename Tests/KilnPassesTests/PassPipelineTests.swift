import KilnIR
import KilnPasses
import Testing

@Suite struct PassPipelineTests {
    static func parse(_ text: String) throws -> Function {
        let module = try parseModule(text, file: "test.kir")
        try verify(module)
        return try #require(module.functions.first)
    }

    /// sub(n, n) simplifies to a constant only after fold has run, so folding abs of it needs a
    /// second round.
    static let twoRounds = """
    func @f(%n: i32[2]) -> (i32[2]) {
      %d = sub(%n, %n) : i32[2]
      %e = abs(%d) : i32[2]
      return %e
    }
    """

    @Test func parsesPassLists() throws {
        #expect(try PassPipeline(parsing: "fold,cse,dce,simplify").passes.map(\.name) == ["fold", "cse", "dce", "simplify"])
        #expect(try PassPipeline(parsing: " dce , cse ").passes.map(\.name) == ["dce", "cse"])
        #expect(try PassPipeline(parsing: "none").passes.isEmpty)
        let standard = try PassPipeline(parsing: "default")
        #expect(standard.passes.map(\.name) == ["fold", "simplify", "cse", "dce", "fuse"] && standard.fixedPoint)
        #expect(PassPipeline.defaultList == "fold,simplify,cse,dce,fuse")
    }

    @Test(arguments: ["fodl", "fold,,dce", "", "none,dce", "fold,tile"])
    func rejectsUnknownNamesListingTheKnownOnes(_ list: String) {
        #expect {
            try PassPipeline(parsing: list)
        } throws: { error in
            (error as? KilnError)?.message.contains("known passes: fold, simplify, cse, dce, fuse") == true
        }
    }

    @Test func acceptsPassesBeyondTheBuiltinOnes() throws {
        let tile = PassDescriptor(name: "tile", summary: "stand-in") { _ in DeadCodeElimination() }
        let pipeline = try PassPipeline(parsing: "fold,tile", available: PassDescriptor.builtin + [tile])
        #expect(pipeline.passes.map(\.name) == ["fold", "dce"])
    }

    @Test func fixedPointRunsUntilNothingChanges() throws {
        var once = try Self.parse(Self.twoRounds)
        _ = try PassPipeline(passes: [ConstantFolding(), AlgebraicSimplification()]).run(on: &once)
        #expect(once.body.map(\.op.name) == ["constant", "abs"])

        var fixed = try Self.parse(Self.twoRounds)
        let report = try PassPipeline(passes: [ConstantFolding(), AlgebraicSimplification()], fixedPoint: true).run(on: &fixed)
        #expect(fixed.body.map(\.op.name) == ["constant", "constant"])
        #expect(report.rounds == 3)  // round 2 folds abs, round 3 finds nothing
        #expect(report.passes.map(\.runs) == [3, 3])
        #expect(report.passes.map(\.changes) == [1, 1])
    }

    /// Reports a change every time, without changing anything.
    struct Restless: Pass {
        let name = "restless"
        func run(on f: inout Function) throws(KilnError) -> Bool { true }
    }

    @Test func fixedPointIsBounded() throws {
        var f = try Self.parse(Self.twoRounds)
        let report = try PassPipeline(passes: [Restless()], fixedPoint: true, maxRounds: 5).run(on: &f)
        #expect(report.rounds == 5 && report.passes[0].runs == 5)
    }

    /// Returns a value whose type disagrees with the signature.
    struct Breaking: Pass {
        let name = "breaking"
        func run(on f: inout Function) throws(KilnError) -> Bool {
            f.resultTypes = [TensorType(.f64, [7])]
            return true
        }
    }

    @Test func verifyEachNamesThePassThatBrokeTheIR() throws {
        var f = try Self.parse(Self.twoRounds)
        #expect {
            _ = try PassPipeline(passes: [DeadCodeElimination(), Breaking()], verifyEach: true).run(on: &f)
        } throws: { error in
            guard let error = error as? KilnError else { return false }
            return error.kind == .internal && error.message.hasPrefix("pass 'breaking' produced invalid IR for @f")
        }
    }

    @Test func printAfterAllShowsTheInputThenADiffPerChangingPass() throws {
        var f = try Self.parse("""
        func @f(%x: f32[2]) -> (f32[2]) {
          %a = exp(%x) : f32[2]
          %b = exp(%x) : f32[2]
          %c = add(%a, %b) : f32[2]
          return %c
        }
        """)
        var pipeline = try PassPipeline(parsing: "dce,cse,dce")
        pipeline.printAfterAll = true
        let log = try pipeline.run(on: &f).log
        #expect(log == """
        # IR before the passes: @f
        func @f(%x: f32[2]) -> (f32[2]) {
          %a = exp(%x) : f32[2]
          %b = exp(%x) : f32[2]
          %c = add(%a, %b) : f32[2]
          return %c
        }
        # after cse (round 1): @f
        --- @f before cse
        +++ @f after cse
        @@ -1,6 +1,5 @@
         func @f(%x: f32[2]) -> (f32[2]) {
           %a = exp(%x) : f32[2]
        -  %b = exp(%x) : f32[2]
        -  %c = add(%a, %b) : f32[2]
        +  %c = add(%a, %a) : f32[2]
           return %c
         }

        """)
    }

    @Test func statisticsCountInstructionsAndTakeExtraMeasures() throws {
        var module = try parseModule("""
        func @f(%x: f32[2]) -> (f32[2]) {
          %a = exp(%x) : f32[2]
          %b = exp(%x) : f32[2]
          %c = add(%a, %b) : f32[2]
          return %c
        }
        func @g(%x: f32[2]) -> (f32[2]) {
          %unused = neg(%x) : f32[2]
          return %x
        }
        """, file: "m.kir")
        var pipeline = try PassPipeline(parsing: "cse,dce")
        pipeline.measures.append(Measure(name: "exp count") { f in f.body.filter { $0.op == .unary(.exp) }.count })
        let report = try pipeline.run(on: &module)
        #expect(report.totals.map(\.name) == ["instructions", "exp count"])
        #expect(report.totals.map(\.before) == [4, 2] && report.totals.map(\.after) == [2, 1])
        #expect(report.statisticsTable() == """
        pass  runs  changed  removed
        cse      2        1        1
        dce      2        1        1
        rounds: 1
        instructions: 4 -> 2
        exp count: 2 -> 1

        """)
    }
}
