import Dispatch
import KilnCodegen
import KilnIR
import KilnRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
import KilnSupport
#endif

/// How long producing a compiled function took.
public struct CompileTimings: Hashable, Sendable {
    /// Lowering the IR to C (verification and memory planning included).
    public var codegenMilliseconds: Double
    /// libtcc compiling and relocating the C.
    public var compileMilliseconds: Double
}

/// Background gcc compiles run one at a time, so tiering up never floods the machine.
private let tierUpQueue = DispatchQueue(label: "kiln.jit.tier-up")

/// A function compiled to machine code, ready to run on host tensors.
///
/// It owns its code and its arena; calls are serialized, since every call uses the same arena.
/// Inputs are checked against the signature before the code runs: a fault inside compiled code
/// would end the process.
///
/// The code has up to two tiers: libtcc's, always, and gcc's once the optimizing tier is ready
/// (see `JITTier`). Each call runs the newest tier ready when it starts, so the switch happens
/// between calls; both tiers share the arena's memory plan, and both stay loaded as long as the
/// function lives.
public final class CompiledFunction: @unchecked Sendable {
    private typealias Entry = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<CChar>?) -> Void

    /// The function's name, without `@`.
    public let name: String
    public let parameterTypes: [TensorType]
    public let parameterNames: [String]
    public let resultTypes: [TensorType]
    /// The generated translation unit and its memory plan.
    public let program: CProgram
    public let timings: CompileTimings

    private let baseline: TCCModule
    private let arena: Arena
    private let callLock = Mutex<Void>(())
    /// The whole translation unit (with the `appending` C) and how to compile it with gcc.
    private let unit: String
    private let toolchain: NativeToolchain
    private let optimizing = Mutex<(status: OptimizingTierStatus, code: SharedObjectModule?)>((.notRequested, nil))
    /// Entered while gcc compiles.
    private let tierUp = DispatchGroup()
    /// Set to 1 once gcc's code is installed (libtcc's `TierCode.superseded`), and a word that
    /// stays 0 (gcc's).
    private let supersededWords: UnsafeMutablePointer<Atomic<Int32>>
    /// Signalled once the first call of the code has finished (`noteCallFinished`): a background
    /// gcc compile waits for it, at most `firstCallGrace`, so that gcc does not take a core from
    /// the first call.
    private let firstCallDone = DispatchSemaphore(value: 0)
    private let firstCallNoted = Atomic<Bool>(false)

    /// The longest a background gcc compile waits for the first call to finish.
    public static let firstCallGrace: DispatchTimeInterval = .milliseconds(250)

    /// The generated C source.
    public var cSource: String { program.source }
    /// Bytes of the arena holding every intermediate value.
    public var arenaPeakBytes: Int { program.plan.peakBytes }

    init(function f: Function, program: CProgram, unit: String, module: TCCModule, arena: Arena, toolchain: NativeToolchain,
         timings: CompileTimings) {
        self.name = f.name
        self.parameterTypes = f.paramTypes
        self.parameterNames = f.params.map { f.name(of: $0) }
        self.resultTypes = f.resultTypes
        self.program = program
        self.timings = timings
        self.baseline = module
        self.unit = unit
        self.toolchain = toolchain
        self.arena = arena
        supersededWords = .allocate(capacity: 2)
        supersededWords.initialize(to: Atomic(0))
        (supersededWords + 1).initialize(to: Atomic(0))
    }

    deinit {
        supersededWords.deinitialize(count: 2)
        supersededWords.deallocate()
    }

    /// Whether calls now run gcc's code.
    public var isOptimized: Bool { optimizing.withLock { $0.code != nil } }

    /// Whether gcc's code came from the code cache (`CodeCache`) instead of a compile.
    public var isFromCodeCache: Bool {
        if case .ready(_, fromCache: true) = optimizingTierStatus { return true }
        return false
    }

    /// Where the optimizing tier stands (why it is unavailable, when it is).
    public var optimizingTierStatus: OptimizingTierStatus { optimizing.withLock { $0.status } }

    /// Milliseconds gcc took to compile and load the optimizing tier, once it is ready.
    public var optimizingCompileMilliseconds: Double? {
        if case .ready(let milliseconds, _) = optimizingTierStatus { return milliseconds }
        return nil
    }

    /// Waits until a gcc compile under way (from `JITTier.adaptive`) has finished; returns
    /// `isOptimized`. Returns at once when no compile is under way.
    @discardableResult
    public func waitForOptimizedTier() -> Bool {
        tierUp.wait()
        return isOptimized
    }

    /// The code of the newest tier ready.
    private var current: TierCode {
        optimizing.withLock { $0.code }.map { TierCode(tier: .optimizing, code: $0, superseded: UnsafeRawPointer(supersededWords + 1)) }
            ?? TierCode(tier: .baseline, code: baseline, superseded: UnsafeRawPointer(supersededWords))
    }

    /// The address of another global symbol of the unit (from the `appending` C of
    /// `JITCompiler.compile`) in the newest tier's code, valid while this object lives. A caller
    /// that calls it should get it inside `withEntryAndArena` instead, from the same tier as the
    /// entry point.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { current.symbol(name) }

    /// Runs `body` with the newest tier's code (entry point and symbols) and the arena, holding
    /// the call lock: for driver code that calls the entry point itself. The caller must pass
    /// valid arguments.
    public func withEntryAndArena<R>(_ body: (TierCode, UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        defer { noteCallFinished() }
        return try callLock.withLock { _ in try body(current, arena.memory) }
    }

    /// Tells the function that a call of its code has finished (a driver loop says so after its
    /// first step): a background gcc compile (`JITTier.adaptive`) waiting for the first call
    /// starts now.
    public func noteCallFinished() {
        // A plain load first: the training loop calls this after every step.
        guard !firstCallNoted.load(ordering: .relaxed) else { return }
        if !firstCallNoted.exchange(true, ordering: .relaxed) { firstCallDone.signal() }
    }

    /// Compiles the optimizing tier now, unless it was asked for before (then waits for that).
    func optimize() {
        guard claimTierUp() else { return tierUp.wait() }
        install(Self.cachedTier(unit: unit, toolchain: toolchain) ?? Self.buildOptimized(unit: unit, toolchain: toolchain))
        tierUp.leave()
    }

    /// Installs the optimizing tier from the code cache at once, or else compiles it in the
    /// background once the first call has finished (or `firstCallGrace` has passed), unless it
    /// was asked for before. The compile holds the function weakly: if the function is freed
    /// first, the code is dropped.
    func optimizeInBackground() {
        guard claimTierUp() else { return }
        if let cached = Self.cachedTier(unit: unit, toolchain: toolchain) {
            install(cached)
            return tierUp.leave()
        }
        let (unit, toolchain, group, firstCall) = (unit, toolchain, tierUp, firstCallDone)
        DispatchQueue.global().async { [weak self] in
            _ = firstCall.wait(timeout: .now() + Self.firstCallGrace)
            tierUpQueue.async { [weak self] in
                let built = Self.buildOptimized(unit: unit, toolchain: toolchain)
                self?.install(built)
                group.leave()
            }
        }
    }

    /// Marks the optimizing tier as compiling if nobody asked for it yet; true when this caller must compile it.
    private func claimTierUp() -> Bool {
        optimizing.withLock { state in
            guard state.status == .notRequested else { return false }
            state.status = .compiling
            tierUp.enter()
            return true
        }
    }

    /// gcc's code for `unit` from the toolchain's cache and its status, or nil when not cached.
    private static func cachedTier(unit: String, toolchain: NativeToolchain) -> (status: OptimizingTierStatus, code: SharedObjectModule?)? {
        let clock = ContinuousClock()
        let start = clock.now
        guard let code = toolchain.cached(source: unit, entryName: CProgram.entryName) else { return nil }
        return (.ready(milliseconds: (clock.now - start).milliseconds, fromCache: true), code)
    }

    /// gcc's code for `unit` and the resulting status (how long it took, or why it failed).
    private static func buildOptimized(unit: String, toolchain: NativeToolchain) -> (status: OptimizingTierStatus, code: SharedObjectModule?) {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let code = try toolchain.load(source: unit, entryName: CProgram.entryName)
            return (.ready(milliseconds: (clock.now - start).milliseconds, fromCache: false), code)
        } catch {
            return (.unavailable(error.message), nil)
        }
    }

    /// Makes `built` the tier of the calls that start from now on.
    private func install(_ built: (status: OptimizingTierStatus, code: SharedObjectModule?)) {
        optimizing.withLock { $0 = built }
        if built.code != nil { supersededWords.pointee.store(1, ordering: .releasing) }
    }

    /// Runs the compiled code on `inputs` (one per parameter, of the parameter's type) and
    /// returns new tensors holding the results.
    public func run(_ inputs: [HostTensor]) throws(KilnError) -> [HostTensor] {
        guard inputs.count == parameterTypes.count else {
            throw KilnError("@\(name) takes \(parameterTypes.count) inputs, got \(inputs.count)")
        }
        for (i, input) in inputs.enumerated() where input.type != parameterTypes[i] {
            throw KilnError("input %\(parameterNames[i]) of @\(name) must be \(parameterTypes[i]), got \(input.type)")
        }
        var outputs: [HostTensor] = []
        for type in resultTypes { outputs.append(try HostTensor(zeros: type)) }
        var args: [UnsafeMutableRawPointer?] = inputs.map(\.data) + outputs.map(\.data)
        withEntryAndArena { code, arena in
            let entry = unsafeBitCast(code.entry, to: Entry.self)
            args.withUnsafeMutableBufferPointer { entry($0.baseAddress, arena.assumingMemoryBound(to: CChar.self)) }
        }
        withExtendedLifetime(inputs) {}
        return outputs
    }
}
