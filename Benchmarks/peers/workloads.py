"""The `kiln bench` workloads (Benchmarks/KilnBench/Workloads.swift), shared by the peer scripts."""
import argparse
import time

import numpy as np

# name: batch, input row shape and dtype, label row shape and dtype, classes (0: float labels),
# loss, optimizer (name, learning rate).
WORKLOADS = {
    "mlp": dict(batch=64, x=((784,), "f32"), y=((), "i32"), classes=10, loss="ce", opt=("adam", 1e-3)),
    "mlp-small": dict(batch=100, x=((10,), "f32"), y=((3,), "f32"), classes=0, loss="mse", opt=("adam", 1e-3)),
    "cnn": dict(batch=64, x=((3, 32, 32), "f32"), y=((), "i32"), classes=10, loss="ce", opt=("momentum", 0.01)),
    "lstm": dict(batch=32, x=((32,), "i32"), y=((32,), "i32"), classes=65, loss="ce", opt=("adam", 1e-3)),
    "mlp-wide": dict(batch=256, x=((1024,), "f32"), y=((), "i32"), classes=10, loss="ce", opt=("sgd", 0.01)),
}
# Layer sizes of the MLPs (ReLU between layers, sigmoid for mlp-small).
MLP_SIZES = {"mlp": [784, 128, 64, 10], "mlp-small": [10, 32, 3], "mlp-wide": [1024, 2048, 2048, 10]}
LSTM = dict(vocabulary=65, embedding=64, hidden=128)


def dataset(name, rows, seed=7):
    """`rows` random examples like `Workload.dataset`: floats in [-1, 1), integers in 0..<classes."""
    w = WORKLOADS[name]
    rng = np.random.default_rng(seed)

    def make(shape, dtype):
        if dtype == "f32":
            return rng.uniform(-1, 1, (rows,) + shape).astype(np.float32)
        return rng.integers(0, w["classes"], (rows,) + shape).astype(np.int32)

    return make(*w["x"]), make(*w["y"])


def batches(name, steps, seed=1):
    """The row indices of `steps` batches: a random permutation of `steps * batch` rows."""
    b = WORKLOADS[name]["batch"]
    return np.random.default_rng(seed).permutation(steps * b).reshape(steps, b)


def timed(run_step, steps, warmup):
    """Median and fastest of `steps` calls `run_step(s)` (each returning once its step is done)
    after `warmup` untimed ones."""
    times = []
    for s in range(steps + warmup):
        t = time.perf_counter()
        run_step(s)
        if s >= warmup:
            times.append((time.perf_counter() - t) * 1e3)
    return summary(times)


def summary(times_ms):
    t = sorted(times_ms)
    return dict(median_ms=float(np.median(t)), min_ms=float(t[0]), steps=len(t))


def arguments():
    """The peer scripts' command line: workloads to run, timed steps, warm-up steps."""
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    return parser.parse_args()
