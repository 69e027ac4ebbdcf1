#!/usr/bin/env python3
"""Reference gradients for the example functions whose first result is a scalar float loss.

Run after generate.py (which replaces the whole data directory, gradients included), from
anywhere; NumPy is the only dependency:

    python3 ir-examples/generate_grads.py   (generate.py runs it at its end)

For each function listed in MODELS it reads the committed inputs data/FILE/f/in_<param>.npy and
writes, for every float parameter p,

    ir-examples/data/FILE/f/grad_<param>.npy   d(first result) / d p, in p's dtype

The gradients come from backpropagation written out by hand for each model below (not from the
IR, nor from generate.py's op evaluator), in float64 from the float32 inputs, rounded once to
the parameter's dtype. Before writing anything the script asserts, per function, that

  - the hand-written float64 forward gives the committed loss out0.npy (generate.py's
    evaluation of the .kir program) to float32 accuracy, so both describe the same program;
  - no input sits near a kink: the ReLU inputs (for the conv net, each pooling window's largest)
    are at least KINK_MARGIN from 0 and each pooling maximum is at least KINK_MARGIN above its
    runner-up, so float32 and float64 forwards take the same branches and finite differences
    see a smooth function;
  - every gradient element agrees with a central difference of the float64 forward
    (step FD_STEP) to within FD_ATOL + FD_RTOL * |gradient|.

Re-running gives byte-identical files. Of the other model examples, attention.kir and
layer_norm.kir return tensors, not a scalar loss, so they have no reference gradients here.
"""

import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"

FD_STEP = 1e-6
FD_ATOL, FD_RTOL = 1e-8, 1e-6
KINK_MARGIN = 1e-4
LOSS_RTOL = 1e-5


class CheckError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Building blocks: each forward returns what its backward needs.

def dense(x, w, b):
    """x @ w + b over the rows of x."""
    return x @ w + b


def dense_backward(x, w, dy):
    """Cotangents of x, w and b of dense(x, w, b) given dy."""
    return dy @ w.T, x.T @ dy, dy.sum(axis=0)


def softmax_cross_entropy(logits, labels):
    """Mean over rows of -log softmax(logits)[label], and its gradient with respect to logits:
    (softmax - onehot) / rows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    onehot = np.zeros_like(logits)
    onehot[rows, labels] = 1.0
    return -log_p[rows, labels].mean(), (np.exp(log_p) - onehot) / len(labels)


def relu_backward(pre, dy):
    return np.where(pre > 0, dy, 0.0)


def conv3x3_patches(x):
    """Zero-padded (by 1) 3x3 neighbourhoods: patches[n, c, i, j, h, w] = x[n, c, h+i-1, w+j-1]."""
    n, c, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    patches = np.empty((n, c, 3, 3, height, width))
    for i in range(3):
        for j in range(3):
            patches[:, :, i, j] = padded[:, :, i:i + height, j:j + width]
    return patches


def conv3x3(x, w):
    """Cross-correlation of x [N,C,H,W] with w [O,C,3,3], stride 1, padding 1."""
    return np.einsum("ncijhw,ocij->nohw", conv3x3_patches(x), w)


def conv3x3_backward(x, w, dy):
    """Cotangents of x and w of conv3x3(x, w) given dy: every patch element sends its share back
    to the input position it was read from."""
    dw = np.einsum("ncijhw,nohw->ocij", conv3x3_patches(x), dy)
    dpatches = np.einsum("ocij,nohw->ncijhw", w, dy)
    height, width = x.shape[2:]
    dpadded = np.zeros((x.shape[0], x.shape[1], height + 2, width + 2))
    for i in range(3):
        for j in range(3):
            dpadded[:, :, i:i + height, j:j + width] += dpatches[:, :, i, j]
    return dpadded[:, :, 1:-1, 1:-1], dw


def pool2x2_windows(x):
    """x [N,C,2H,2W] as windows [N,C,H,W,4], each window's elements in row-major order."""
    n, c, height, width = x.shape
    return x.reshape(n, c, height // 2, 2, width // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, height // 2, width // 2, 4)


def max_pool2x2_backward(x, dy):
    """Each window's cotangent goes to its first maximum in row-major order."""
    windows = pool2x2_windows(x)
    first = windows.argmax(axis=-1)
    dwindows = (np.arange(4) == first[..., None]) * dy[..., None]
    n, c, height, width = dy.shape
    return dwindows.reshape(n, c, height, width, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)


def check_away_from_zero(values, what):
    closest = np.abs(values).min()
    if closest < KINK_MARGIN:
        raise CheckError(f"a {what} is {closest:.3g} from the ReLU kink at 0")


def check_pool_margins(pre):
    """ReLU then 2x2 max pooling of `pre`: each window's largest input is either clearly negative
    (the window's output is 0 whatever the others do) or clearly positive and clearly above the
    runner-up (which counts as 0 when negative)."""
    ordered = np.sort(pool2x2_windows(pre), axis=-1)
    top, runner_up = ordered[..., -1], np.maximum(ordered[..., -2], 0.0)
    clear = (top < -KINK_MARGIN) | ((top > KINK_MARGIN) & (top - runner_up > KINK_MARGIN))
    if not clear.all():
        raise CheckError(f"{(~clear).sum()} pooling windows are within {KINK_MARGIN} of a tie or of the ReLU kink")


# ---------------------------------------------------------------------------------------------
# The models: loss(params) and gradients(params), params maps names to arrays (floats in float64).

def mlp_loss(p):
    """mlp_softmax_xent.kir @loss: relu(x w1 + b1) w2 + b2, softmax cross-entropy."""
    pre = dense(p["x"], p["w1"], p["b1"])
    return softmax_cross_entropy(dense(np.maximum(pre, 0.0), p["w2"], p["b2"]), p["labels"])[0]


def mlp_gradients(p):
    pre = dense(p["x"], p["w1"], p["b1"])
    check_away_from_zero(pre, "hidden pre-activation")
    h = np.maximum(pre, 0.0)
    _, dlogits = softmax_cross_entropy(dense(h, p["w2"], p["b2"]), p["labels"])
    dh, dw2, db2 = dense_backward(h, p["w2"], dlogits)
    dx, dw1, db1 = dense_backward(p["x"], p["w1"], relu_backward(pre, dh))
    return {"x": dx, "w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def conv_features(p):
    pre = conv3x3(p["x"], p["w"]) + p["b"][None, :, None, None]
    pooled = pool2x2_windows(np.maximum(pre, 0.0)).max(axis=-1)
    return pre, pooled


def conv_loss(p):
    """conv_net_loss.kir @loss: conv 3x3 + bias, ReLU, 2x2 max pool, flatten, dense, softmax
    cross-entropy."""
    _, pooled = conv_features(p)
    flat = pooled.reshape(len(pooled), -1)
    return softmax_cross_entropy(dense(flat, p["wfc"], p["bfc"]), p["labels"])[0]


def conv_gradients(p):
    pre, pooled = conv_features(p)
    check_pool_margins(pre)
    flat = pooled.reshape(len(pooled), -1)
    _, dlogits = softmax_cross_entropy(dense(flat, p["wfc"], p["bfc"]), p["labels"])
    dflat, dwfc, dbfc = dense_backward(flat, p["wfc"], dlogits)
    dact = max_pool2x2_backward(np.maximum(pre, 0.0), dflat.reshape(pooled.shape))
    dpre = relu_backward(pre, dact)
    dx, dw = conv3x3_backward(p["x"], p["w"], dpre)
    return {"x": dx, "w": dw, "b": dpre.sum(axis=(0, 2, 3)), "wfc": dwfc, "bfc": dbfc}


def mse_loss(p):
    """linear_regression_mse.kir @mse_loss: mean((x w + b - y)^2)."""
    return np.mean((dense(p["x"], p["w"], p["b"]) - p["y"]) ** 2)


def mse_gradients(p):
    err = dense(p["x"], p["w"], p["b"]) - p["y"]
    dpred = 2.0 * err / err.size
    dx, dw, db = dense_backward(p["x"], p["w"], dpred)
    return {"x": dx, "w": dw, "b": db, "y": -dpred}


MODELS = {
    ("mlp_softmax_xent", "loss"): (mlp_loss, mlp_gradients),
    ("conv_net_loss", "loss"): (conv_loss, conv_gradients),
    ("linear_regression_mse", "mse_loss"): (mse_loss, mse_gradients),
}


# ---------------------------------------------------------------------------------------------

def read_inputs(folder):
    """The committed inputs of one function, by parameter name, and the float ones' dtypes."""
    files = sorted(folder.glob("in_*.npy"))
    if not files:
        raise CheckError(f"{folder} has no inputs; run python3 ir-examples/generate.py first")
    arrays = {f.stem[len("in_"):]: np.load(f) for f in files}
    dtypes = {name: a.dtype for name, a in arrays.items() if np.issubdtype(a.dtype, np.floating)}
    params = {name: a.astype(np.float64) if name in dtypes else a for name, a in arrays.items()}
    return params, dtypes


def check_finite_differences(loss, params, gradients):
    for name, gradient in gradients.items():
        shifted = dict(params)
        for index in np.ndindex(params[name].shape):
            values = params[name].copy()
            shifted[name] = values
            values[index] += FD_STEP
            up = loss(shifted)
            values[index] -= 2 * FD_STEP
            down = loss(shifted)
            numeric = (up - down) / (2 * FD_STEP)
            if abs(numeric - gradient[index]) > FD_ATOL + FD_RTOL * abs(gradient[index]):
                raise CheckError(f"d loss / d {name}{list(index)}: backpropagation {gradient[index]:.10g}, "
                                 f"central difference {numeric:.10g}")


def write_gradients(stem, function, loss, gradients_of):
    folder = DATA / stem / function
    params, dtypes = read_inputs(folder)
    expected = np.load(folder / "out0.npy").astype(np.float64)
    value = loss(params)
    if abs(value - expected) > LOSS_RTOL * max(1.0, abs(expected)):
        raise CheckError(f"the hand-written loss is {value:.10g}, the program's out0.npy {float(expected):.10g}")
    gradients = gradients_of(params)
    if sorted(gradients) != sorted(dtypes):
        raise CheckError(f"gradients for {sorted(gradients)}, float parameters {sorted(dtypes)}")
    for name, gradient in gradients.items():
        if gradient.shape != params[name].shape:
            raise CheckError(f"d loss / d {name} has shape {gradient.shape}, the parameter {params[name].shape}")
    check_finite_differences(loss, params, gradients)
    for name, gradient in gradients.items():
        np.save(folder / f"grad_{name}.npy", gradient.astype(dtypes[name]))
    return len(gradients)


def main():
    count = 0
    for (stem, function), (loss, gradients_of) in MODELS.items():
        try:
            count += write_gradients(stem, function, loss, gradients_of)
        except CheckError as error:
            sys.exit(f"error: {stem}.kir @{function}: {error}")
    print(f"wrote {count} reference gradients of {len(MODELS)} functions to {DATA}")


if __name__ == "__main__":
    main()
