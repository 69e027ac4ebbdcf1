import Foundation
import KilnCodegen
import KilnIR
import KilnJIT
import KilnRuntime
import KilnTestSupport
import Testing

/// The code cache: gcc's code for a unit compiled once loads in another compiler without gcc,
/// runs bit for bit as the compiled one; a damaged entry is a miss that the next compile
/// repairs; the least recently used entries go first; nothing others may write is loaded.
@Suite struct CodeCacheTests {
    /// A toolchain whose cache and temporary directories are in `scratch`.
    static func toolchain(_ scratch: ScratchDirectory, capacity: Int = 256) throws -> NativeToolchain {
        _ = try scratch.makeSubdirectory("tmp")
        return NativeToolchain(temporaryRoot: scratch.path + "/tmp",
                               cache: CodeCache(directory: scratch.path + "/cache", capacity: capacity))
    }

    /// `f` compiled by a new compiler at `tier`, waiting for gcc's code.
    static func compile(_ f: Function, _ toolchain: NativeToolchain, tier: JITTier = .optimizing) throws -> CompiledFunction {
        let compiled = try JITCompiler(capacity: 0, toolchain: toolchain).compile(f, tier: tier)
        compiled.waitForOptimizedTier()
        return compiled
    }

    @Test func aUnitCompiledOnceLoadsInAnotherCompiler() throws {
        let scratch = try ScratchDirectory()
        let toolchain = try Self.toolchain(scratch)
        let f = try parseFunction(OptimizingTierTests.edges(.f32))
        let inputs = try testInputs(f)
        let first = try Self.compile(f, toolchain)
        #expect(first.isOptimized && !first.isFromCodeCache)
        #expect(try scratch.contents("cache").count == 2)
        // Adaptive: gcc's code is there on return, before any call.
        let second = try JITCompiler(capacity: 0, toolchain: toolchain).compile(f, tier: .adaptive)
        #expect(second.isOptimized && second.isFromCodeCache)
        if let problem = mismatch(try second.run(inputs), try first.run(inputs), .exact) { Issue.record("\(problem)") }
        #expect(try scratch.contents("tmp").isEmpty)
    }

    @Test func aDamagedEntryIsAMissThatTheNextCompileRepairs() throws {
        let scratch = try ScratchDirectory()
        let toolchain = try Self.toolchain(scratch)
        let f = try parseFunction(OptimizingTierTests.edges(.f32))
        let inputs = try testInputs(f)
        let reference = try interpret(f, inputs: inputs)
        _ = try Self.compile(f, toolchain)
        let files = try scratch.contents("cache")
        let key = try #require(files.first { $0.hasSuffix(".key") }), object = try #require(files.first { $0.hasSuffix(".so") })
        for (damaged, bytes) in [(key, "another unit"), (object, "not an ELF object")] {
            try Data(bytes.utf8).write(to: URL(fileURLWithPath: scratch.path + "/cache/" + damaged))
            let recompiled = try Self.compile(f, toolchain)
            #expect(recompiled.isOptimized && !recompiled.isFromCodeCache, "\(damaged)")
            if let problem = mismatch(try recompiled.run(inputs), reference, interpreterTolerance(CodegenOptions())) {
                Issue.record("\(damaged): \(problem)")
            }
            #expect(try Self.compile(f, toolchain).isFromCodeCache, "\(damaged) is stored again")
        }
    }

    @Test func theLeastRecentlyUsedEntriesGoFirst() throws {
        let scratch = try ScratchDirectory()
        let toolchain = try Self.toolchain(scratch, capacity: 2)
        let units = try [1, 2, 3].map { n in
            try parseFunction("func @f(%x: f32[\(n)]) -> (f32[\(n)]) {\n  %y = exp(%x) : f32[\(n)]\n  return %y\n}")
        }
        _ = try Self.compile(units[0], toolchain)
        _ = try Self.compile(units[1], toolchain)
        #expect(try Self.compile(units[0], toolchain).isFromCodeCache)  // now the most recently used
        _ = try Self.compile(units[2], toolchain)
        #expect(try scratch.contents("cache").count == 4)
        #expect(try Self.compile(units[0], toolchain).isFromCodeCache)
        #expect(try Self.compile(units[2], toolchain).isFromCodeCache)
        #expect(try !Self.compile(units[1], toolchain).isFromCodeCache)
    }

    /// The objects are loaded as code: a cache directory or entry that others may write is not used.
    @Test func entriesOthersMayWriteAreNotUsed() throws {
        let scratch = try ScratchDirectory()
        let toolchain = try Self.toolchain(scratch)
        let f = try parseFunction(OptimizingTierTests.edges(.f32))
        _ = try Self.compile(f, toolchain)
        let cache = scratch.path + "/cache"
        var info = stat()
        #expect(stat(cache, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let object = try #require(try scratch.contents("cache").first { $0.hasSuffix(".so") })
        #expect(chmod(cache + "/" + object, 0o666) == 0)
        #expect(try !Self.compile(f, toolchain).isFromCodeCache, "a world-writable object")
        #expect(try Self.compile(f, toolchain).isFromCodeCache, "rewritten privately")
        #expect(chmod(cache, 0o777) == 0)
        #expect(try !Self.compile(f, toolchain).isFromCodeCache, "a world-writable directory")
        #expect(try !Self.compile(f, toolchain).isFromCodeCache, "nothing is stored there either")
    }
}
