/// Which machine code `JITCompiler.compile` produces.
public enum JITTier: String, Sendable, CaseIterable {
    /// libtcc only: ready in about a millisecond, slower code.
    case baseline
    /// The same C also compiled by gcc -O3 before returning (0.1–2 s more); libtcc's code when
    /// gcc is missing or fails.
    case optimizing
    /// libtcc's code at once; gcc compiles in the background and its code replaces libtcc's
    /// between two calls when ready.
    case adaptive
}

/// Where the optimizing (gcc) tier of a `CompiledFunction` stands.
public enum OptimizingTierStatus: Sendable, Equatable {
    /// Never asked for: the function runs libtcc's code.
    case notRequested
    /// gcc is compiling the unit; libtcc's code runs meanwhile.
    case compiling
    /// gcc's code runs; compiling and loading it took `milliseconds`, or loading it from the code
    /// cache did (`fromCache`, see `CodeCache`).
    case ready(milliseconds: Double, fromCache: Bool)
    /// The optimizing tier could not be built (the reason says why); libtcc's code runs.
    case unavailable(String)
}

/// Machine code of one tier: an entry point and the unit's other global symbols.
protocol LoadedCode: AnyObject, Sendable {
    /// Address of the entry point.
    var entry: UnsafeMutableRawPointer { get }
    /// Address of the global symbol `name`, or nil.
    func symbol(_ name: String) -> UnsafeMutableRawPointer?
}

extension TCCModule: LoadedCode {}

/// Stops the thread pool of a unit (`kiln_threads_stop`, when the unit has one), so that no worker
/// runs in the code once it is unloaded.
func stopThreads(_ stop: UnsafeMutableRawPointer?) {
    guard let stop else { return }
    unsafeBitCast(stop, to: (@convention(c) () -> Void).self)()
}

/// The code one call runs, as `CompiledFunction.withEntryAndArena` hands it: the entry point and
/// the symbols of a single tier, so a driver loop never mixes tiers.
public struct TierCode {
    /// The tier this code comes from: `.baseline` (libtcc) or `.optimizing` (gcc).
    public let tier: JITTier
    /// Address of `kiln_entry`.
    public var entry: UnsafeMutableRawPointer { code.entry }
    let code: any LoadedCode
    /// A word that becomes nonzero once newer code than this is ready (never, for gcc's code):
    /// a driver loop reads it between two calls of the entry point and returns, so that its
    /// caller goes on with the newer code. Valid while the `CompiledFunction` lives.
    public let superseded: UnsafeRawPointer

    /// Address of the global symbol `name` of this tier's code (e.g. a driver loop compiled with
    /// the `appending` C of `JITCompiler.compile`), or nil.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { code.symbol(name) }
}
