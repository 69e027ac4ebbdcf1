import Foundation
import KilnJIT
import KilnTestSupport
import Testing
@testable import Kiln

/// Compiled training on `JITTier.adaptive` starts on libtcc's code and goes on with gcc's between
/// two steps of the epoch loop, carrying parameters, optimizer state and arena over: the losses
/// and values are those of training on either tier alone, bit for bit (both tiers compute the same
/// bits: `OptimizingTierTests`).
@Suite struct TierSwitchTests {
    /// 26 rows of 5 features and 3 classes, in batches of 4: 6 steps an epoch.
    static func loader() throws -> DataLoader {
        let x = try HostTensor(TensorType(.f32, [26, 5]), doubles: (0..<130).map { 2 * unitUniform(31, $0) - 1 })
        let y = try HostTensor(TensorType(.i32, [26]), doubles: (0..<26).map { Double(Int(unitUniform(32, $0) * 3)) })
        return try DataLoader(try Dataset(inputs: x, labels: y), batchSize: 4, seed: 9)
    }

    /// The same fresh model (same seeds every time), its step compiled by `compiler` at `tier`.
    static func compile(_ compiler: JITCompiler, _ tier: JITTier, _ loader: DataLoader) throws -> CompiledTrainingStep {
        let model = Sequential(try Linear(5, 16, seed: 1), Activation(relu), try Linear(16, 3, seed: 2))
        return try CompiledTrainingStep(model: model, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.01), inputType: loader.inputType,
                                        labelType: loader.labelType, compiler: compiler, tier: tier)
    }

    /// Two epochs of `compiled` in the C loop; `observe(step)` hears of every step (counted from 1).
    /// The losses, and the parameters and optimizer state after them.
    static func train(_ compiled: CompiledTrainingStep, _ loader: DataLoader,
                      observe: @escaping (Int) -> Void = { _ in }) throws -> (losses: [Double], carried: [[Double]]) {
        let step = compiled.step
        var carried = step.parameters.map(\.value)
        for p in step.parameters { for _ in 0..<2 { carried.append(try HostTensor(zeros: p.type)) } }
        var spare = try carried.map { try HostTensor(zeros: $0.type) }
        var losses: [Double] = []
        for epoch in 0..<2 {
            let steps = loader.dataset.count / loader.batchSize
            let (done, nonFinite) = try runEpochLoop(compiled, inputs: loader.dataset.inputs, labels: loader.dataset.labels,
                                                     permutation: loader.order(epoch: epoch).map(Int64.init), batchSize: loader.batchSize,
                                                     steps: steps, firstStep: epoch * steps + 1, every: 1, carried: &carried, spare: &spare) {
                losses.append($1)
                observe(epoch * steps + $0)
                return false
            }
            #expect(done == steps && nonFinite == nil)
        }
        return (losses, carried.map(\.doubles))
    }

    @Test func switchesBetweenTwoStepsWithTheSameBits() throws {
        let scratch = try ScratchDirectory()
        let slowGCC = try scratch.script("slow-gcc", "sleep 0.3\nexec gcc \"$@\"")
        let loader = try Self.loader()
        let adaptive = try Self.compile(JITCompiler(capacity: 1, toolchain: NativeToolchain(compiler: slowGCC, temporaryRoot: scratch.path)),
                                        .adaptive, loader)
        #expect(adaptive.compiled.optimizingTierStatus == .compiling && adaptive.tierSwitch == nil)
        // After step 3, wait for gcc: the loop checks before step 4 and goes on with gcc's code.
        var seenAt: [Int: TierSwitch?] = [:]
        let switched = try Self.train(adaptive, loader) { step in
            seenAt[step] = adaptive.tierSwitch
            if step == 3 { #expect(adaptive.compiled.waitForOptimizedTier()) }
        }
        let tierSwitch = try #require(adaptive.tierSwitch)
        // The observer sees the switch from the first step on gcc's code, within the same epoch.
        #expect(seenAt[3] == .some(nil) && seenAt[4] == .some(tierSwitch), "\(seenAt)")
        #expect(tierSwitch.step == 4 && tierSwitch.gccSeconds >= 0.3, "\(tierSwitch)")
        #expect(switched.losses.count == 12)
        for tier in [JITTier.baseline, .optimizing] {
            let alone = try Self.compile(JITCompiler(capacity: 1), tier, loader)
            #expect(alone.compiled.isOptimized == (tier == .optimizing))
            let reference = try Self.train(alone, loader)
            #expect(alone.tierSwitch == nil, "no switch when training starts on one tier and stays there")
            #expect(switched.losses == reference.losses, "\(tier)")
            #expect(switched.carried == reference.carried, "\(tier)")
        }
        #expect(try scratch.contents("").sorted() == ["slow-gcc"])
    }

    /// gcc's code ready between two epochs: the next epoch starts on it, and the switch is at its first step.
    @Test func switchBetweenEpochsIsRecordedAtTheEpochsFirstStep() throws {
        let scratch = try ScratchDirectory()
        let slowGCC = try scratch.script("slow-gcc", "sleep 0.2\nexec gcc \"$@\"")
        let loader = try Self.loader()
        let adaptive = try Self.compile(JITCompiler(capacity: 1, toolchain: NativeToolchain(compiler: slowGCC, temporaryRoot: scratch.path)),
                                        .adaptive, loader)
        _ = try Self.train(adaptive, loader) { if $0 == 6 { #expect(adaptive.compiled.waitForOptimizedTier()) } }
        #expect(adaptive.tierSwitch?.step == 7)
    }
}
