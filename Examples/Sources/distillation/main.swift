// Knowledge distillation on Fashion-MNIST: a 784-256-256-10 teacher is trained on the labels, then
// a 784-32-10 student learns only from the frozen teacher's softened outputs (temperature 4, KL
// divergence), the teacher running inside the student's compiled training step.
import ExampleSupport
import Kiln

/// The student's training objective: its logits against the teacher's, both at temperature 4.
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
let studentTrainer = try Trainer(model: distillation, loss: { output, _ in try output.sum() }, optimizer: Adam(lr: 3e-3),
                                 inputType: loader.inputType, labelType: loader.labelType)
let distillationEvaluator = Evaluator(model: distillation, loss: { output, _ in try output.sum() })
let studentEvaluator = Evaluator(model: student, loss: crossEntropyLoss)
let (before, accuracyBefore) = (try distillationEvaluator.evaluate(testLoader).loss, try studentEvaluator.evaluate(testLoader).accuracy ?? 0)
let teacherWeights = teacher.parameters.map(\.value.doubles)
for epoch in 0..<epochs {
    try studentTrainer.trainEpoch(loader, epoch: epoch)
    print("epoch \(epoch + 1): distillation loss \(try distillationEvaluator.evaluate(testLoader).loss)")
}
let after = try distillationEvaluator.evaluate(testLoader).loss, accuracy = try studentEvaluator.evaluate(testLoader).accuracy ?? 0
let teacherChange = zip(teacherWeights, teacher.parameters.map(\.value.doubles)).map { a, b in
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}.max() ?? 0
print("teacher accuracy \(teacherAccuracy); student: distillation loss \(before) -> \(after), accuracy \(accuracyBefore) -> \(accuracy)")
report(["teacher_accuracy": teacherAccuracy, "loss_before": before, "loss_after": after, "accuracy_before": accuracyBefore,
        "accuracy": accuracy, "teacher_max_abs_change": teacherChange])
