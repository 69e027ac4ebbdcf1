"""PyTorch (eager and torch.compile) on the `kiln bench` workloads: one JSON line per workload and mode."""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from workloads import LSTM, MLP_SIZES, WORKLOADS, arguments, batches, dataset, timed

torch.set_num_threads(2)
torch.set_flush_denormal(True)


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(LSTM["vocabulary"], LSTM["embedding"])
        self.lstm = nn.LSTM(LSTM["embedding"], LSTM["hidden"], batch_first=True)
        self.out = nn.Linear(LSTM["hidden"], LSTM["vocabulary"])

    def forward(self, x):
        h, _ = self.lstm(self.embedding(x))
        return self.out(h.reshape(-1, LSTM["hidden"]))


def model(name):
    if name in MLP_SIZES:
        sizes, layers = MLP_SIZES[name], []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.Sigmoid() if name == "mlp-small" else nn.ReLU())
        return nn.Sequential(*layers)
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(4096, 128), nn.ReLU(), nn.Linear(128, 10))
    return LanguageModel()


def optimizer(name, params, fused):
    kind, lr = WORKLOADS[name]["opt"]
    extra = {"fused": True} if fused else {}
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, **extra)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if kind == "momentum" else 0.0, **extra)


def loss_fn(name):
    if WORKLOADS[name]["loss"] == "mse":
        return F.mse_loss
    return lambda logits, y: F.cross_entropy(logits, y.reshape(-1))


def run(name, mode, steps, warmup):
    torch.manual_seed(0)
    # Integer inputs and labels as int64, which nn.Embedding and F.cross_entropy take.
    x_all, y_all = (torch.from_numpy(a if a.dtype.kind == "f" else a.astype("int64"))
                    for a in dataset(name, WORKLOADS[name]["batch"] * (steps + warmup)))
    order = torch.from_numpy(batches(name, steps + warmup))
    net, loss = model(name), loss_fn(name)
    # The fastest optimizer implementation each mode has on CPU: fused kernels in eager mode,
    # the optimizer's step compiled by inductor under torch.compile.
    opt = optimizer(name, net.parameters(), fused=(mode == "eager"))
    forward = torch.compile(net) if mode == "compile" else net
    update = torch.compile(opt.step) if mode == "compile" else opt.step

    def step(idx):
        x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        value = loss(forward(x), y)
        value.backward()
        update()
        return value

    return timed(lambda s: step(order[s]), steps, warmup)


def main():
    args = arguments()
    for name in args.workloads:
        for mode in ["eager", "compile"]:
            print(f"torch {mode}: {name}", file=sys.stderr)
            result = run(name, mode, args.steps, args.warmup)
            print(json.dumps(dict(workload=name, peer="torch eager" if mode == "eager" else "torch.compile", **result)), flush=True)


if __name__ == "__main__":
    main()
