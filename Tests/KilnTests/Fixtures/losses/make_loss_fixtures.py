"""Writes losses.json, the PyTorch values and gradients that LossTests compares Kiln's
klDivergence, distillationLoss and label-smoothed crossEntropy against (float64).
Needs torch. Run from this directory: python3 make_loss_fixtures.py"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(0)
batch, classes = 4, 5
logits = (torch.randn(batch, classes, dtype=torch.float64) * 2).tolist()
teacher = (torch.randn(batch, classes, dtype=torch.float64) * 3).tolist()
labels = [3, 0, 4, 1]
# Target probabilities with a zero entry (0 log 0 = 0).
targets = F.softmax(torch.tensor(teacher, dtype=torch.float64), dim=1)
targets[0, 2] = 0
targets = (targets / targets.sum(dim=1, keepdim=True)).tolist()


def value_and_grad(f):
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = f(x)
    loss.backward()
    return {"value": loss.item(), "grad": x.grad.tolist()}


cases = {
    "kl": value_and_grad(lambda x: F.kl_div(F.log_softmax(x, 1), torch.tensor(targets, dtype=torch.float64),
                                              reduction="batchmean")),
    "distillation_t1": value_and_grad(lambda x: F.kl_div(F.log_softmax(x, 1),
                                                           F.softmax(torch.tensor(teacher, dtype=torch.float64), 1),
                                                           reduction="batchmean")),
    "distillation_t4": value_and_grad(lambda x: F.kl_div(F.log_softmax(x / 4, 1),
                                                           F.softmax(torch.tensor(teacher, dtype=torch.float64) / 4, 1),
                                                           reduction="batchmean") * 16),
    "cross_entropy": value_and_grad(lambda x: F.cross_entropy(x, torch.tensor(labels))),
    "cross_entropy_smoothing_0.1": value_and_grad(lambda x: F.cross_entropy(x, torch.tensor(labels), label_smoothing=0.1)),
    "cross_entropy_smoothing_0.5": value_and_grad(lambda x: F.cross_entropy(x, torch.tensor(labels), label_smoothing=0.5)),
}
with open("losses.json", "w") as f:
    json.dump({"torch": torch.__version__, "logits": logits, "teacher": teacher, "labels": labels, "targets": targets,
               "cases": cases}, f, indent=1)
    f.write("\n")
