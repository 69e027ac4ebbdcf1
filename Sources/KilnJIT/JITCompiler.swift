import CBLAS
import KilnCodegen
import KilnIR
import Synchronization
import KilnSupport

/// Compiles functions to machine code (IR → C → libtcc, and gcc for the optimizing tier),
/// remembering recent results.
///
/// The cache is keyed by the function's `structuralForm` (values renumbered, locations dropped)
/// and the codegen options: functions that print differently never share an entry, and the key
/// is hashed and compared in time linear in the function's size. Compiling the same function
/// again returns the same `CompiledFunction` at once (asking for a higher tier then upgrades it).
/// It holds the `capacity` most recently used functions; an evicted function stays valid for
/// whoever holds it.
public final class JITCompiler: Sendable {
    /// The process-wide compiler.
    public static let shared = JITCompiler()

    private struct CacheKey: Hashable {
        var function: Function
        var options: CodegenOptions
        var extra: String
    }

    private struct Cache {
        var entries: [CacheKey: (function: CompiledFunction, lastUse: Int)] = [:]
        var clock = 0
        var hits = 0
        var misses = 0

        mutating func lookup(_ key: CacheKey) -> CompiledFunction? {
            clock += 1
            guard let entry = entries[key] else {
                misses += 1
                return nil
            }
            hits += 1
            entries[key]?.lastUse = clock
            return entry.function
        }

        mutating func insert(_ function: CompiledFunction, for key: CacheKey, capacity: Int) {
            clock += 1
            entries[key] = (function, clock)
            while entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                entries[oldest] = nil
            }
        }
    }

    private let capacity: Int
    private let cache = Mutex(Cache())
    /// The C compiler of the optimizing tier.
    public let toolchain: NativeToolchain

    /// A compiler whose cache keeps up to `capacity` compiled functions, building optimizing
    /// tiers with `toolchain`.
    public init(capacity: Int = 64, toolchain: NativeToolchain = NativeToolchain()) {
        self.capacity = max(capacity, 0)
        self.toolchain = toolchain
    }

    /// Cache hits and misses so far.
    public var cacheStatistics: (hits: Int, misses: Int) {
        cache.withLock { ($0.hits, $0.misses) }
    }

    /// `f` compiled to machine code; a compile of a function already in the cache is free.
    ///
    /// `extra` is more C compiled in the same unit (e.g. a driver loop calling the entry point,
    /// found with `TierCode.symbol`); `extraSymbols` names the external functions it calls.
    /// `tier` says whether gcc compiles the unit too, now or in the background; when it cannot,
    /// the function keeps libtcc's code and `optimizingTierStatus` says why.
    public func compile(_ f: Function, options: CodegenOptions = CodegenOptions(), tier: JITTier = .baseline,
                        appending extra: String = "", extraSymbols: [String] = []) throws(KilnError) -> CompiledFunction {
        shortenBLASThreadTimeoutOnce
        let compiled = try baseline(f, options: options, appending: extra, extraSymbols: extraSymbols)
        switch tier {
        case .baseline: break
        case .optimizing: compiled.optimize()
        case .adaptive: compiled.optimizeInBackground()
        }
        return compiled
    }

    /// `f` compiled by libtcc, from the cache when it is there.
    private func baseline(_ f: Function, options: CodegenOptions, appending extra: String,
                          extraSymbols: [String]) throws(KilnError) -> CompiledFunction {
        var options = try options.resolvingThreads()
        if options.blasThreads == nil { options.blasThreads = processBLASThreads }
        let key = CacheKey(function: structuralForm(f), options: options, extra: extra)
        if let cached = cache.withLock({ $0.lookup(key) }) { return cached }
        let clock = ContinuousClock()
        let codegenStart = clock.now
        let program = try emitC(f, options: options)
        let arena = try Arena(bytes: program.plan.peakBytes, of: f.name)
        arena.prefaultInBackground()
        let compileStart = clock.now
        let unit = extra.isEmpty ? program.source : program.source + "\n" + extra
        let module: TCCModule
        do {
            let symbols = program.externalSymbols + extraSymbols.filter { !program.externalSymbols.contains($0) }
            module = try TCCModule.compile(source: unit,
                                           fileName: program.fileName, entryName: CProgram.entryName,
                                           symbols: try bindSymbols(symbols))
        } catch {
            throw KilnError.internal("@\(f.name): the generated C does not compile: \(error.message)")
        }
        let end = clock.now
        let timings = CompileTimings(codegenMilliseconds: (compileStart - codegenStart).milliseconds,
                                     compileMilliseconds: (end - compileStart).milliseconds)
        let compiled = CompiledFunction(function: f, program: program, unit: unit, module: module,
                                            arena: arena, toolchain: toolchain, timings: timings)
        cache.withLock { $0.insert(compiled, for: key, capacity: capacity) }
        return compiled
    }
}

/// OpenBLAS's thread count when Kiln first compiles: what a unit whose products its own threads
/// split restores on return (`CodegenOptions.blasThreads`), so that units running at the same
/// time on several threads never leave OpenBLAS on one thread.
private let processBLASThreads: Int = {
    shortenBLASThreadTimeoutOnce
    return Int(openblas_get_num_threads())
}()
