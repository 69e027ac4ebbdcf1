import Foundation
import Testing
import KilnIR
import KilnRuntime
@testable import Kiln

/// Custom training steps: several models, losses and optimizers traced into one step function,
/// run compiled (in the C epoch loop) and interpreted; checked against the classic trainer, the
/// interpreter and an eager reference of alternating updates.
@Suite struct CustomStepTests {
    static let batch = 8

    private func points(_ rows: Int, seed: UInt64) throws -> HostTensor {
        try HostTensor(TensorType(.f32, [rows, 2]), doubles: (0..<rows * 2).map { i in
            (i % 2 == 0 ? 1.5 : -0.5) + 0.3 * (2 * unitUniform(seed, i) - 1)
        })
    }

    private func constant(_ value: Double) throws -> Tensor {
        try Tensor(TensorType(.f32, [Self.batch, 1]), Array(repeating: value, count: Self.batch))
    }

    /// A GAN on 2-D points: generator 4 -> 8 -> 2, discriminator 2 -> 8 -> 1, each with its own
    /// optimizer; the discriminator step comes first, the generator's loss reads its update.
    private struct GAN {
        let generator: Sequential, discriminator: Sequential
        let step: CustomTrainingStep
    }

    private func gan(_ dOptimizer: any Optimizer = Adam(lr: 0.01), _ gOptimizer: any Optimizer = Adam(lr: 0.01),
                     freezeFirstGeneratorLayer: Bool = false, prep: Linear? = nil) throws -> GAN {
        let generator = Sequential(try Linear(4, 8, seed: 1), Activation(relu), try Linear(8, 2, seed: 2))
        let discriminator = Sequential(try Linear(2, 8, seed: 3), Activation(relu), try Linear(8, 1, seed: 4))
        if freezeFirstGeneratorLayer { generator.layers[0].freeze() }
        let ones = try constant(1), zeros = try constant(0)
        let step = try CustomTrainingStep(inputType: TensorType(.f32, [Self.batch, 2]), labelType: TensorType(.i32, [Self.batch])) { s, x, _ in
            let fake = try generator(randomNormal([Self.batch, 4], like: x))
            let d = { (t: Tensor) throws -> Tensor in try discriminator(prep.map { try $0(t) } ?? t) }
            let dLoss = try binaryCrossEntropy(logits: d(x), targets: ones) + binaryCrossEntropy(logits: d(fake.detached()), targets: zeros)
            try s.minimize(dLoss, over: discriminator, with: dOptimizer)
            let gLoss = try binaryCrossEntropy(logits: d(fake), targets: ones)
            try s.minimize(gLoss, over: generator, with: gOptimizer)
            try s.report("generator_loss", gLoss)
            return dLoss
        }
        return GAN(generator: generator, discriminator: discriminator, step: step)
    }

    private func labels() throws -> HostTensor { try HostTensor(zeros: TensorType(.i32, [Self.batch])) }

    @Test func oneModelLossAndOptimizerEqualsTheClassicTrainerBitForBit() throws {
        let make = { Sequential(try Linear(6, 8, seed: 1), Activation(relu), try Linear(8, 3, seed: 2)) }
        let a = try make(), b = try make()
        let x = try HostTensor(TensorType(.f32, [8, 6]), doubles: (0..<48).map { 2 * unitUniform(3, $0) - 1 })
        let y = try HostTensor(TensorType(.i32, [8]), doubles: (0..<8).map { Double($0 % 3) })
        let classic = try Trainer(model: a, loss: { try crossEntropy(logits: $0, labels: $1) }, optimizer: Adam(lr: 0.05),
                                  inputType: x.type, labelType: y.type)
        let adam = Adam(lr: 0.05)
        let step = try CustomTrainingStep(inputType: x.type, labelType: y.type) { s, x, y in
            let loss = try crossEntropy(logits: b(x), labels: y)
            try s.minimize(loss, over: b, with: adam)
            return loss
        }
        let custom = try Trainer(step: step)
        for _ in 0..<3 { #expect(try classic.step(x, y) == custom.step(x, y)) }
        for (p, q) in zip(a.parameters, b.parameters) { #expect(p.value.doubles == q.value.doubles) }
        // The gradient inlines a copy of the forward pass; CSE merges it, so the optimized step
        // has exactly the classic step's instructions (no forward work twice).
        // (Source locations differ: the custom step's instructions name this file's lines.)
        let classicOps = try #require(classic.compiledStep).optimized.body.map { withoutLocations($0.op) }
        let customOps = try #require(custom.compiledStep).optimized.body.map { withoutLocations($0.op) }
        #expect(customOps == classicOps)
        #expect(custom.tracedStep?.labelClasses == 3)
    }

    /// Four GAN steps compiled and interpreted: the compiled code reassociates reductions, so they
    /// agree within 1e-5 (relative, as `worstTrainingDifference` measures), like a model's step.
    @Test func ganCompiledMatchesInterpreted() throws {
        let a = try gan(), b = try gan()
        let compiled = try Trainer(step: a.step), interpreted = try Trainer(step: b.step, mode: .interpreted)
        #expect(compiled.parameters.count == 8 && compiled.states.map(\.count) == Array(repeating: 2, count: 8))
        let worst = try worstTrainingDifference(compiled, compiled.model, interpreted, interpreted.model, try points(Self.batch, seed: 5), try labels())
        #expect(worst <= 1e-5, "\(worst)")
        let reported = try #require(compiled.lastReport["generator_loss"]), reference = try #require(interpreted.lastReport["generator_loss"])
        #expect(Swift.abs(reported - reference) <= 1e-5 * (1 + Swift.abs(reference)))
    }

    /// One interpreted step against an eager reference written out by hand: the discriminator's
    /// Adam step on its loss, then the generator's on a loss that reads the updated discriminator.
    /// The same reference kernels run in both, so 1e-6 (relative) bounds the difference; the frozen
    /// generator layer and the unlisted `prep` layer stay bit-identical.
    @Test func alternatingUpdatesMatchAnEagerReference() throws {
        let prep = try Linear(2, 2, seed: 9), refPrep = try Linear(2, 2, seed: 9)
        let custom = try gan(freezeFirstGeneratorLayer: true, prep: prep)
        let reference = try gan(freezeFirstGeneratorLayer: true)
        let trainer = try Trainer(step: custom.step, mode: .interpreted)
        #expect(Set(trainer.buffers.map(ObjectIdentifier.init)) == Set((prep.parameters + custom.generator.layers[0].parameters).map(ObjectIdentifier.init)))
        let before = (prep.parameters + custom.generator.layers[0].parameters).map(\.value.doubles)
        let x = try points(Self.batch, seed: 5)
        try trainer.step(x, try labels())

        let (g, d) = (reference.generator, reference.discriminator)
        let z = try withEagerRandomStep(1) { try randomNormal([Self.batch, 4], like: Tensor(x)) }
        func adamStep(_ loss: Tensor, _ parameters: [Parameter]) throws {
            for p in g.parameters + d.parameters + refPrep.parameters { p.grad = nil }
            try loss.backward()
            let states = try parameters.map { p in try (0..<2).map { _ in Tensor(try HostTensor(zeros: p.type)) } }
            let grads = try parameters.map { Tensor(try $0.grad ?? HostTensor(zeros: $0.type)) }
            let updated = try Adam(lr: 0.01).applyUpdates(parameters: parameters.map(\.tensor), grads: grads, states: states,
                                                         step: try Tensor(scalar: 1))
            for (p, new) in zip(parameters, updated.parameters) { p.value = try new.host() }
        }
        let fake = try g(z)
        let dLoss = try binaryCrossEntropy(logits: d(refPrep(Tensor(x))), targets: constant(1))
            + binaryCrossEntropy(logits: d(refPrep(fake.detached())), targets: constant(0))
        try adamStep(dLoss, d.parameters)
        try adamStep(try binaryCrossEntropy(logits: d(refPrep(fake)), targets: constant(1)), g.layers[2].parameters)

        for (p, q) in zip(custom.discriminator.parameters + custom.generator.parameters, d.parameters + g.parameters) {
            for (u, v) in zip(p.value.doubles, q.value.doubles) { #expect(Swift.abs(u - v) <= 1e-6 * (1 + Swift.abs(v)), "\(p.name)") }
        }
        let untrained = try gan().discriminator
        #expect(custom.discriminator.parameters[0].value.doubles != untrained.parameters[0].value.doubles, "the step trained D")
        #expect((prep.parameters + custom.generator.layers[0].parameters).map(\.value.doubles) == before)
    }

    /// A VAE: encoder to mean and log-variance, reparameterized with in-graph noise, decoder; the
    /// ELBO (reconstruction BCE + KL) trains in the C epoch loop and its loss falls.
    final class VAE: Kiln.Module {
        let encoder: Sequential, mean: Linear, logVariance: Linear, decoder: Sequential
        init() throws {
            encoder = Sequential(try Linear(16, 12, seed: 1), Activation(relu))
            (mean, logVariance) = (try Linear(12, 2, seed: 2), try Linear(12, 2, seed: 3))
            decoder = Sequential(try Linear(2, 12, seed: 4), Activation(relu), try Linear(12, 16, seed: 5))
        }
        func forward(_ x: Tensor) throws -> Tensor { try decoder(mean(encoder(x))) }
    }

    private func vaeStep(_ vae: VAE, batch: Int) throws -> CustomTrainingStep {
        let adam = Adam(lr: 0.01)
        return try CustomTrainingStep(inputType: TensorType(.f32, [batch, 16]), labelType: TensorType(.i32, [batch])) { s, x, _ in
            let h = try vae.encoder(x)
            let (mu, logVar) = (try vae.mean(h), try vae.logVariance(h))
            let noise = try randomNormal([batch, 2], like: x)
            let z = try mu + exp(logVar * 0.5) * noise
            let reconstruction = try binaryCrossEntropy(logits: vae.decoder(z), targets: x) * 16
            let kl = try ((mu * mu + exp(logVar) - logVar - 1).sum(axes: [1]) * 0.5).mean()
            let elbo = try reconstruction + kl
            try s.minimize(elbo, over: vae, with: adam)
            try s.report("noise", noise.sum())
            try s.report("kl", kl)
            return elbo
        }
    }

    @Test func vaeTrainsInTheEpochLoopWithFreshNoiseEveryStep() throws {
        let rows = 64
        let x = try HostTensor(TensorType(.f32, [rows, 16]), doubles: (0..<rows * 16).map { i in
            (i / 16) % 2 == 0 ? Double(i % 16 < 8 ? 1 : 0) : Double(i % 16 < 8 ? 0 : 1)
        })
        let loader = try DataLoader(try Dataset(inputs: x, labels: try HostTensor(zeros: TensorType(.i32, [rows]))), batchSize: 16, seed: 3)
        let trainer = try Trainer(step: try vaeStep(VAE(), batch: 16))
        var losses: [Double] = [], noises: [Double] = []
        for epoch in 0..<6 {
            try trainer.trainEpoch(loader, epoch: epoch) { _, loss in
                losses.append(loss)
                noises.append(trainer.lastReport["noise"] ?? .nan)
                return false
            }
        }
        #expect(losses.count == 24)
        let (firstEpoch, lastEpoch): (Double, Double) = (losses.prefix(4).reduce(0, +), losses.suffix(4).reduce(0, +))
        #expect(lastEpoch < 0.8 * firstEpoch, "\(losses)")
        #expect(Set(noises).count == noises.count, "every step draws other noise: \(noises)")
        #expect(trainer.lastReport["kl"].map { $0 >= 0 } == true)
        // The same batch twice: the noise differs between the steps.
        let (bx, by) = try loader.batch(0, of: loader.order(epoch: 0))
        try trainer.step(bx, by)
        let first = trainer.lastReport["noise"]
        try trainer.step(bx, by)
        #expect(first != trainer.lastReport["noise"])
    }

    /// Adam (two state tensors per parameter) for the discriminator and SGD (none) for the
    /// generator: a checkpoint restores both, and the resumed step equals the uninterrupted one.
    @Test func checkpointRoundTripWithTwoOptimizers() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("custom-step-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let x = try points(Self.batch, seed: 5)
        let a = try gan(Adam(lr: 0.01), SGD(lr: 0.05))
        let trainer = try Trainer(step: a.step)
        #expect(trainer.states.map(\.count) == [2, 2, 2, 2, 0, 0, 0, 0])
        #expect(trainer.tracedStep?.signature.stateCounts == [2, 2, 2, 2, 0, 0, 0, 0])
        for _ in 0..<2 { try trainer.step(x, try labels()) }
        try trainer.saveCheckpoint(to: path)
        let next = try trainer.step(x, try labels())

        let b = try gan(Adam(lr: 0.01), SGD(lr: 0.05))
        let resumed = try Trainer(step: b.step)
        try resumed.loadCheckpoint(from: path)
        #expect(resumed.stepCount == 2)
        #expect(try resumed.step(x, try labels()) == next)
        for (p, q) in zip(trainer.model.parameters, resumed.model.parameters) { #expect(p.value.doubles == q.value.doubles) }
        #expect(trainer.model.namedParameters.map(\.0).prefix(2) == ["models.0.layers.0.weight", "models.0.layers.0.bias"])
    }

    /// The GAN and VAE examples of docs/dsl.md ("Custom training steps"), run as written.
    @Test func guideExamples() throws {
        let generator = Sequential(try Linear(4, 8, seed: 1), Activation(relu), try Linear(8, 2, seed: 2))
        let discriminator = Sequential(try Linear(2, 8, seed: 3), Activation(relu), try Linear(8, 1, seed: 4))
        let ones = try Tensor(TensorType(.f32, [8, 1]), Array(repeating: 1, count: 8))
        let zeros = try Tensor(TensorType(.f32, [8, 1]), Array(repeating: 0, count: 8))
        let (dAdam, gAdam) = (Adam(lr: 0.01), Adam(lr: 0.01))
        let step = try CustomTrainingStep(inputType: TensorType(.f32, [8, 2]), labelType: TensorType(.i32, [8])) { s, x, _ in
            let fake = try generator(randomNormal([8, 4], like: x))              // fresh noise every step
            let dLoss = try binaryCrossEntropy(logits: discriminator(x), targets: ones)
                + binaryCrossEntropy(logits: discriminator(fake.detached()), targets: zeros)
            try s.minimize(dLoss, over: discriminator, with: dAdam)
            let gLoss = try binaryCrossEntropy(logits: discriminator(fake), targets: ones)  // the updated discriminator
            try s.minimize(gLoss, over: generator, with: gAdam)
            try s.report("generator_loss", gLoss)                               // extra named scalars
            return dLoss                                                        // the step's loss
        }
        let points = try HostTensor(TensorType(.f32, [64, 2]), doubles: (0..<128).map { Double($0 % 7) / 7 })
        let loader = try DataLoader(try Dataset(inputs: points, labels: try HostTensor(zeros: TensorType(.i32, [64]))), batchSize: 8)
        let trainer = try Trainer(step: step)                                   // mode: .compiled, or .interpreted
        var seen: [(Double, Double)] = []
        try trainer.trainEpoch(loader, epoch: 0) { done, loss in
            seen.append((loss, trainer.lastReport["generator_loss"] ?? 0))
            return false
        }
        #expect(seen.count == 8 && seen.allSatisfy { $0.0.isFinite && $0.1 > 0 })

        final class VAE: Kiln.Module {
            let encoder: Sequential, mean: Linear, logVariance: Linear, decoder: Sequential
            init() throws {
                encoder = Sequential(try Linear(16, 12, seed: 1), Activation(relu))
                (mean, logVariance) = (try Linear(12, 2, seed: 2), try Linear(12, 2, seed: 3))
                decoder = Sequential(try Linear(2, 12, seed: 4), Activation(relu), try Linear(12, 16, seed: 5))
            }
            func forward(_ x: Tensor) throws -> Tensor { try decoder(mean(encoder(x))) }
        }
        let vae = try VAE(), adam = Adam(lr: 0.01)
        let vaeStep = try CustomTrainingStep(inputType: TensorType(.f32, [16, 16]), labelType: TensorType(.i32, [16])) { s, x, _ in
            let h = try vae.encoder(x)
            let (mu, logVar) = (try vae.mean(h), try vae.logVariance(h))
            let z = try mu + exp(logVar * 0.5) * randomNormal([16, 2], like: x)
            let reconstruction = try binaryCrossEntropy(logits: vae.decoder(z), targets: x) * 16
            let kl = try ((mu * mu + exp(logVar) - logVar - 1).sum(axes: [1]) * 0.5).mean()
            let elbo = try reconstruction + kl
            try s.minimize(elbo, over: vae, with: adam)
            try s.report("kl", kl)
            return elbo
        }
        let vaeTrainer = try Trainer(step: vaeStep)
        let batch = try HostTensor(TensorType(.f32, [16, 16]), doubles: (0..<256).map { Double($0 % 2) })
        let first = try vaeTrainer.step(batch, try HostTensor(zeros: TensorType(.i32, [16])))
        #expect(first.isFinite && vaeTrainer.lastReport["kl"] != nil)
    }

    /// One rank: `all_reduce` is the identity (a sum over one process).
    private final class SingleRank: Communicator, @unchecked Sendable {
        let rank = 0, size = 1
        func allReduceSum(_ data: UnsafeMutableRawPointer, count: Int, dtype: DType) throws(KilnError) {}
        func broadcast(_ data: UnsafeMutableRawPointer, byteCount: Int, root: Int) throws(KilnError) {}
        func abort(_ error: KilnError) -> Never { fatalError(error.message) }
    }

    /// Data parallel on one rank: each group's gradients pass one flat `all_reduce` (the identity
    /// here), once per step even though the generator's gradient replays the discriminator's
    /// update, so training equals the single-process step bit for bit.
    @Test func dataParallelAllReducesEachGroup() throws {
        let a = try gan(), b = try gan()
        let plain = try Trainer(step: a.step)
        let parallel = try Trainer(step: b.step, dataParallel: DataParallel(communicator: SingleRank()))
        let function = try #require(parallel.tracedStep).function
        #expect(function.body.filter { if case .allReduce = $0.op { return true } else { return false } }.count == 2)
        let x = try points(Self.batch, seed: 5)
        for _ in 0..<3 { #expect(try plain.step(x, try labels()) == parallel.step(x, try labels())) }
        for (p, q) in zip(plain.model.parameters, parallel.model.parameters) { #expect(p.value.doubles == q.value.doubles) }
    }

    @Test func errorsNameTheGroupAndTheFix() throws {
        let net = Sequential(try Linear(2, 1, seed: 1))
        let types = (TensorType(.f32, [4, 2]), TensorType(.i32, [4]))
        func message(_ body: @escaping CustomTrainingStep.Body) -> String {
            do {
                _ = try CustomTrainingStep(inputType: types.0, labelType: types.1, body)
                return "no error"
            } catch { return "\(error)" }
        }
        let twice = message { s, x, _ in
            let loss = try net(x).sum()
            try s.minimize(loss, over: net, with: SGD(lr: 0.1))
            try s.minimize(loss, over: net.parameters, with: SGD(lr: 0.1))
            return loss
        }
        #expect(twice.contains("minimize #2") && twice.contains("already trained by minimize #1"), "\(twice)")
        let noPath = message { s, x, _ in
            let loss = try net(x).detached().sum()
            try s.minimize(loss, over: net, with: SGD(lr: 0.1))
            return loss
        }
        #expect(noPath.contains("minimize #1 (over Sequential)") && noPath.contains("no gradient path")
                && noPath.contains("layers.0.weight"), "\(noPath)")
        let reportedTwice = message { s, x, _ in
            let loss = try net(x).sum()
            try s.minimize(loss, over: net, with: SGD(lr: 0.1))
            try s.report("loss", loss)
            try s.report("loss", loss)
            return loss
        }
        #expect(reportedTwice.contains("report 'loss' is given twice"), "\(reportedTwice)")
        let step = try CustomTrainingStep(inputType: types.0, labelType: types.1) { s, x, _ in
            let loss = try net(x).sum()
            try s.minimize(loss, over: net, with: SGD(lr: 0.1))
            return loss
        }
        #expect(throws: KilnError.self) { try Trainer(step: step, mode: .eager) }
    }
}

/// `op` with the source locations inside fused bodies cleared, to compare instructions by what
/// they compute.
private func withoutLocations(_ op: Op) -> Op {
    guard case .fused(var body) = op else { return op }
    body.location = nil
    for i in body.body.indices {
        body.body[i].location = nil
        body.body[i].op = withoutLocations(body.body[i].op)
    }
    return .fused(body)
}
