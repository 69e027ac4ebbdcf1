import KilnCodegen
import KilnIR
import KilnRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How long producing a compiled function took.
public struct CompileTimings: Hashable, Sendable {
    /// Lowering the IR to C (verification and memory planning included).
    public var codegenMilliseconds: Double
    /// libtcc compiling and relocating the C.
    public var compileMilliseconds: Double
}

/// A function compiled to machine code, ready to run on host tensors.
///
/// It owns the code (through its libtcc module) and its arena; calls are serialized, since every
/// call uses the same arena. Inputs are checked against the signature before the code runs:
/// a fault inside compiled code would end the process.
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

    private let module: TCCModule
    private let entry: Entry
    private let arena: UnsafeMutableRawPointer
    private let callLock = Mutex<Void>(())

    /// The generated C source.
    public var cSource: String { program.source }
    /// Bytes of the arena holding every intermediate value.
    public var arenaPeakBytes: Int { program.plan.peakBytes }

    init(function f: Function, program: CProgram, module: TCCModule, timings: CompileTimings) throws(KilnError) {
        guard program.plan.peakBytes <= HostTensor.maxBytes else {
            throw KilnError("@\(f.name) needs an arena of \(program.plan.peakBytes) bytes for its intermediates, more than the \(HostTensor.maxBytes >> 30) GiB limit; use smaller shapes")
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, MemoryPlan.alignment, max(program.plan.peakBytes, 1)) == 0, let raw else {
            throw KilnError("out of memory allocating the \(program.plan.peakBytes)-byte arena of @\(f.name)")
        }
        self.name = f.name
        self.parameterTypes = f.paramTypes
        self.parameterNames = f.params.map { f.name(of: $0) }
        self.resultTypes = f.resultTypes
        self.program = program
        self.timings = timings
        self.module = module
        self.entry = unsafeBitCast(module.entry, to: Entry.self)
        self.arena = raw
    }

    deinit { free(arena) }

    /// The address of another global symbol of the unit (from the `appending` C of
    /// `JITCompiler.compile`), valid while this object lives.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { module.symbol(name) }

    /// Runs `body` with the entry point's address and the arena, holding the call lock: for driver
    /// code that calls the entry point itself. The caller must pass valid arguments.
    public func withEntryAndArena<R>(_ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        try callLock.withLock { _ in try body(module.entry, arena) }
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
        callLock.withLock { _ in
            args.withUnsafeMutableBufferPointer { entry($0.baseAddress, arena.assumingMemoryBound(to: CChar.self)) }
        }
        withExtendedLifetime((inputs, module)) {}
        return outputs
    }
}
