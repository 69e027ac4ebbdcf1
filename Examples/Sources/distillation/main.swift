// Knowledge distillation on Fashion-MNIST: a 784-256-256-10 teacher is trained on the labels, then
// a 784-32-10 student learns from a mix of the frozen teacher's softened outputs (temperature 4,
// KL divergence) and the true labels (cross-entropy), in one custom compiled step per batch that
// runs the teacher inside it.
import ExampleSupport
import Kiln

/// The student's distillation loss (its logits against the teacher's, both at temperature 4) as a
/// model output, for `Evaluator`.
final class Distillation: Module {
    let student: Sequential, teacher: Sequential
    init(student: Sequential, teacher: Sequential) { (self.student, self.teacher) = (student, teacher) }
    func forward(_ x: Tensor) throws -> Tensor {
        try distillationLoss(studentLogits: student(x), teacherLogits: teacher(x), temperature: 4).reshaped([1])
    }
}

let options = try ExampleOptions.parse()
let data = try FashionMNIST.load()
let (train, test) = options.small ? (try data.train.prefix(4000), try data.test.prefix(1000)) : (data.train, data.test)
let loader = try DataLoader(train, batchSize: 64, seed: 1)
let testLoader = try DataLoader(test, batchSize: 1000, shuffle: false, dropLast: false)
let crossEntropyLoss: LossFunction = { try crossEntropy(logits: $0, labels: $1) }
let epochs = options.small ? 2 : 10

let teacher = try ModelZoo.mlp([784, 256, 256, 10], seed: 1)
let teacherTrainer = try Trainer(model: teacher, loss: crossEntropyLoss, optimizer: Adam(lr: 1e-3),
                                 inputType: loader.inputType, labelType: loader.labelType)
for epoch in 0..<epochs { try teacherTrainer.trainEpoch(loader, epoch: epoch) }
let teacherAccuracy = try Evaluator(model: teacher, loss: crossEntropyLoss).evaluate(testLoader).accuracy ?? 0

let student = try ModelZoo.mlp([784, 32, 10], seed: 2)
let distillation = Distillation(student: student, teacher: teacher)
teacher.freeze()
let (softWeight, studentAdam) = (0.7, Adam(lr: 3e-3))
let step = try CustomTrainingStep(inputType: loader.inputType, labelType: loader.labelType) { s, x, y in
    let logits = try student(x)
    let soft = try distillationLoss(studentLogits: logits, teacherLogits: teacher(x), temperature: 4)
    let hard = try crossEntropy(logits: logits, labels: y)
    let loss = try soft * softWeight + hard * (1 - softWeight)
    try s.minimize(loss, over: student, with: studentAdam)
    try s.report("distillation", soft)
    try s.report("cross_entropy", hard)
    return loss
}
let studentTrainer = try Trainer(step: step)
let distillationEvaluator = Evaluator(model: distillation, loss: { output, _ in try output.sum() })
let studentEvaluator = Evaluator(model: student, loss: crossEntropyLoss)
let (before, studentBefore) = (try distillationEvaluator.evaluate(testLoader).loss, try studentEvaluator.evaluate(testLoader))
let teacherWeights = teacher.parameters.map(\.value.doubles)
for epoch in 0..<epochs {
    try studentTrainer.trainEpoch(loader, epoch: epoch)
    print("epoch \(epoch + 1): last batch distillation loss \(studentTrainer.lastReport["distillation"] ?? .nan), cross-entropy " +
          "\(studentTrainer.lastReport["cross_entropy"] ?? .nan); test distillation loss \(try distillationEvaluator.evaluate(testLoader).loss)")
}
let (after, studentAfter) = (try distillationEvaluator.evaluate(testLoader).loss, try studentEvaluator.evaluate(testLoader))
let teacherChange = zip(teacherWeights, teacher.parameters.map(\.value.doubles)).map { a, b in
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}.max() ?? 0
let (accuracyBefore, accuracy) = (studentBefore.accuracy ?? 0, studentAfter.accuracy ?? 0)
print("teacher accuracy \(teacherAccuracy); student: distillation loss \(before) -> \(after), " +
      "cross-entropy \(studentBefore.loss) -> \(studentAfter.loss), accuracy \(accuracyBefore) -> \(accuracy)")
report(["teacher_accuracy": teacherAccuracy, "loss_before": before, "loss_after": after, "accuracy_before": accuracyBefore,
        "accuracy": accuracy, "cross_entropy_before": studentBefore.loss, "cross_entropy_after": studentAfter.loss,
        "teacher_max_abs_change": teacherChange])
