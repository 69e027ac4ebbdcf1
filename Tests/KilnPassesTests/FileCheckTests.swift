import KilnTestSupport
import Testing

@Suite struct FileCheckTests {
    static let output = """
    func @f(%x: f32[2]) -> (f32[2]) {
      %a = neg(%x) : f32[2]
      %b = abs(%a) : f32[2]
      %c = exp(%b) : f32[2]
      return %c
    }
    """

    private func check(_ directives: String) throws(CheckError) {
        try CheckFile(parsing: "# RUN: none\n" + directives).check(Self.output)
    }

    @Test func matchingDirectivesPass() throws {
        try check("""
        # CHECK: func @f
        # CHECK-NEXT: %a = neg(%x)
        # CHECK-NOT: add
        # CHECK: %c = exp
        # CHECK-NEXT: return %c
        # CHECK-NOT: neg
        """)
    }

    @Test(arguments: [
        "# CHECK: sqrt",                                  // absent
        "# CHECK: %c = exp\n# CHECK: %a = neg",           // out of order
        "# CHECK: func\n# CHECK-NEXT: %b = abs",          // not on the next line
        "# CHECK: %a = neg\n# CHECK-NOT: abs\n# CHECK: exp", // forbidden text between two matches
        "# CHECK: %b = abs\n# CHECK-NOT: return",         // forbidden text before the end
        "# CHECK-NEXT: func",                             // CHECK-NEXT without a previous match
        "# CHECK: return\n# CHECK-NEXT: }\n# CHECK-NEXT: x", // runs past the end
        "# CHECK: %a = neg\n# CHECK: %a = neg",           // one line matches one CHECK only
    ])
    func failingDirectivesFail(_ directives: String) {
        #expect(throws: CheckError.self) { try check(directives) }
    }

    static let twoFunctions = """
    func @f(%x: f32[2]) -> (f32[2]) {
      %a = neg(%x) : f32[2]
      return %a
    }
    func @g(%x: f32[2]) -> (f32[2]) {
      %b = abs(%x) : f32[2]
      return %b
    }
    """

    /// Labels cut the output into blocks: a CHECK after a label finds only lines of its block,
    /// and CHECK-NOT looks up to the next label, not beyond.
    @Test func labelsConfineTheDirectivesAfterThem() throws {
        func check(_ directives: String) throws(CheckError) {
            try CheckFile(parsing: "# RUN: none\n" + directives).check(Self.twoFunctions)
        }
        try check("# CHECK-LABEL: func @f\n# CHECK-NEXT: neg\n# CHECK-NOT: abs\n# CHECK-LABEL: func @g\n# CHECK: abs")
        // `abs` is in @g's block, not @f's.
        #expect(throws: CheckError.self) { try check("# CHECK-LABEL: func @f\n# CHECK: abs\n# CHECK-LABEL: func @g\n# CHECK: return") }
        // Labels out of order.
        #expect(throws: CheckError.self) { try check("# CHECK-LABEL: func @g\n# CHECK-LABEL: func @f\n# CHECK: x") }
    }

    /// `# -----` splits a file into cases with their own IR and directives; line numbers stay the
    /// file's, and every case needs a CHECK.
    @Test func splitInputGivesIndependentCases() throws {
        let file = try CheckFile(parsing: "# RUN: emit-c\nfunc @f\n# CHECK: @f\n# -----\nfunc @g\n# CHECK: @g")
        #expect(file.command == .emitC(accumulators: nil))
        #expect(file.cases.count == 2)
        #expect(file.cases[1].input.split(separator: "\n", omittingEmptySubsequences: false).count == 6)
        #expect(file.cases[1].input.hasSuffix("\n\nfunc @g\n# CHECK: @g"))
        #expect(file.cases[1].directives.map(\.line) == [6])
        try file.cases[1].check("func @g")
        #expect(throws: CheckError.self) { try file.cases[0].check("func @g") }
        #expect(throws: CheckError.self) { try CheckFile(parsing: "# RUN: emit-c\n# CHECK: f\n# -----\nfunc @g") }
        #expect(try CheckFile(parsing: "# RUN: emit-c --accumulators 1\n# CHECK: x").command == .emitC(accumulators: 1))
        #expect(try CheckFile(parsing: "# RUN: emit-c --threads 3 --accumulators 1\n# CHECK: x").command
                == .emitC(accumulators: 1, threads: 3))
        #expect(throws: CheckError.self) { try CheckFile(parsing: "# RUN: emit-c --fast\n# CHECK: x") }
        #expect(throws: CheckError.self) { try CheckFile(parsing: "# RUN: emit-c --fast 2\n# CHECK: x") }
    }

    @Test func runLineGivesPassesAndFastMath() throws {
        let plain = try CheckFile(parsing: "# RUN: fold,cse\n# CHECK: x")
        #expect(plain.passes == "fold,cse" && !plain.fastMath)
        let fast = try CheckFile(parsing: "#RUN: simplify --fast-math\n# CHECK: x")
        #expect(fast.passes == "simplify" && fast.fastMath)
        #expect(fast.directives.map(\.line) == [2])
    }

    @Test(arguments: ["# CHECK: x", "# RUN: dce", "# RUN: dce\n# RUN: cse\n# CHECK: x", "# RUN: dce\n# CHECK:", "# RUN: a b\n# CHECK: x"])
    func malformedCheckFilesAreRejected(_ text: String) {
        #expect(throws: CheckError.self) { try CheckFile(parsing: text) }
    }
}
