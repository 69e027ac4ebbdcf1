"""JAX (jax.jit of the whole step, buffers donated) on the `kiln bench` workloads: one JSON line per workload."""
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import sys  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from workloads import LSTM, MLP_SIZES, WORKLOADS, arguments, batches, dataset, timed  # noqa: E402


def dense(key, fan_in, fan_out):
    bound = 1 / fan_in ** 0.5
    return {"w": jax.random.uniform(key, (fan_in, fan_out), jnp.float32, -bound, bound), "b": jnp.zeros((fan_out,), jnp.float32)}


def conv(key, cin, cout):
    bound = 1 / (cin * 9) ** 0.5
    return {"w": jax.random.uniform(key, (cout, cin, 3, 3), jnp.float32, -bound, bound), "b": jnp.zeros((cout,), jnp.float32)}


def init(name, key):
    keys = jax.random.split(key, 8)
    if name in MLP_SIZES:
        sizes = MLP_SIZES[name]
        return [dense(keys[i], sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if name == "cnn":
        return [conv(keys[0], 3, 32), conv(keys[1], 32, 64), dense(keys[2], 4096, 128), dense(keys[3], 128, 10)]
    v, e, h = LSTM["vocabulary"], LSTM["embedding"], LSTM["hidden"]
    return {"embedding": jax.random.normal(keys[0], (v, e), jnp.float32) * 0.1,
            "input": dense(keys[1], e, 4 * h), "hidden": dense(keys[2], h, 4 * h)["w"], "out": dense(keys[3], h, v)}


def forward(name, params, x):
    if name in MLP_SIZES:
        act = jax.nn.sigmoid if name == "mlp-small" else jax.nn.relu
        for i, layer in enumerate(params):
            x = x @ layer["w"] + layer["b"]
            if i < len(params) - 1:
                x = act(x)
        return x
    if name == "cnn":
        for layer in params[:2]:
            x = lax.conv_general_dilated(x, layer["w"], (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
            x = jax.nn.relu(x + layer["b"][None, :, None, None])
            x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        x = x.reshape(x.shape[0], -1)
        x = jax.nn.relu(x @ params[2]["w"] + params[2]["b"])
        return x @ params[3]["w"] + params[3]["b"]
    h_size = LSTM["hidden"]
    # The input projection of all steps as one product, then the recurrence.
    projected = params["embedding"][x] @ params["input"]["w"] + params["input"]["b"]  # [batch, time, 4h]

    def cell(carry, z):
        h, c = carry
        i, f, g, o = jnp.split(z + h @ params["hidden"], 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    zeros = jnp.zeros((x.shape[0], h_size), jnp.float32)
    _, hs = lax.scan(cell, (zeros, zeros), jnp.swapaxes(projected, 0, 1))
    hs = jnp.swapaxes(hs, 0, 1).reshape(-1, h_size)
    return hs @ params["out"]["w"] + params["out"]["b"]


def loss(name, params, x, y):
    out = forward(name, params, x)
    if WORKLOADS[name]["loss"] == "mse":
        return jnp.mean((out - y) ** 2)
    logp = jax.nn.log_softmax(out)
    return -jnp.mean(jnp.take_along_axis(logp, y.reshape(-1, 1), axis=1))


def optimizer(name):
    """(initial state, update) of the workload's optimizer, as Kiln's Optimizers.swift defines it."""
    kind, lr = WORKLOADS[name]["opt"]
    tmap = jax.tree_util.tree_map
    if kind == "adam":
        def update(p, g, s, t):
            m = tmap(lambda m, g: 0.9 * m + 0.1 * g, s[0], g)
            v = tmap(lambda v, g: 0.999 * v + 0.001 * g * g, s[1], g)
            c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
            return tmap(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + 1e-8), p, m, v), (m, v)
        return lambda p: (tmap(jnp.zeros_like, p), tmap(jnp.zeros_like, p)), update
    if kind == "momentum":
        def update(p, g, s, t):
            v = tmap(lambda v, g: 0.9 * v + g, s, g)
            return tmap(lambda p, v: p - lr * v, p, v), v
        return lambda p: tmap(jnp.zeros_like, p), update
    return lambda p: (), lambda p, g, s, t: (tmap(lambda p, g: p - lr * g, p, g), s)


def run(name, steps, warmup):
    x_all, y_all = (jnp.asarray(a) for a in dataset(name, WORKLOADS[name]["batch"] * (steps + warmup)))
    order = jnp.asarray(batches(name, steps + warmup))
    params = init(name, jax.random.PRNGKey(0))
    make_state, update = optimizer(name)
    state = make_state(params)

    def train_step(params, state, t, idx, x_all, y_all):
        value, grads = jax.value_and_grad(lambda p: loss(name, p, x_all[idx], y_all[idx]))(params)
        params, state = update(params, grads, state, t)
        return params, state, value

    step = jax.jit(train_step, donate_argnums=(0, 1))
    def run_step(s):
        nonlocal params, state
        params, state, value = step(params, state, jnp.float32(s + 1), order[s], x_all, y_all)
        value.block_until_ready()

    return timed(run_step, steps, warmup)


def main():
    args = arguments()
    for name in args.workloads:
        print(f"jax jit: {name}", file=sys.stderr)
        print(json.dumps(dict(workload=name, peer="jax.jit", **run(name, args.steps, args.warmup))), flush=True)


if __name__ == "__main__":
    main()
