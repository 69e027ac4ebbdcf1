#!/usr/bin/env python3
"""Inputs and expected outputs for every function of every ir-examples/*.kir file.

Run from anywhere (NumPy is the only dependency):

    python3 ir-examples/generate.py

For every function @f of every example FILE.kir it writes

    ir-examples/data/FILE/f/in_<param>.npy   one per parameter, seeded random
    ir-examples/data/FILE/f/out<k>.npy       the k-th returned value

replacing the whole data directory. The outputs are computed by an independent NumPy evaluation
of each op following docs/ir.md; the Swift tests compare the interpreter against them. Re-running
gives byte-identical files.

Inputs are drawn by default from uniform(-1, 1) for floats, randint(-10, 10) for integers and
randint(0, 2) for bools. A comment line `#! %param = DIST` placed inside a function or between it
and the previous one chooses another distribution for that parameter:

    uniform(lo, hi)    normal(mean, std)
    randint(lo, hi)    integers in [lo, hi), in the parameter's dtype (floats too, for ties)
    choice(v, ...)     random picks among the listed values (nan, inf, -inf allowed)
    values(v, ...)     the listed values in row-major order, repeated to fill the shape

Float arithmetic follows the operand's dtype. Float32 transcendental ops (exp, log, ..., pow) and
the window ops (matmul, convolutions, pools) are computed in float64 and rounded once, i.e. the
reference is the correctly rounded result of the exact formula; reduce_sum and scatter_add
accumulate in the operand's dtype in the order docs/ir.md fixes.
"""

import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "bool": np.bool_}


class KirError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Reading .kir files

TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<value>%[A-Za-z0-9_.]+)
  | (?P<func>@[A-Za-z0-9_.]+)
  | (?P<arrow>->)
  | (?P<number>-?(?:inf|nan|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<punct>[()\[\]{},:=<>])
""", re.VERBOSE)


class Type:
    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, tuple(shape)

    def __repr__(self):
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


class Func:
    def __init__(self, name, params, result_types, body, results, end):
        self.name, self.params, self.result_types = name, params, result_types
        self.body, self.results, self.end = body, results, end
        self.inputs = {}  # parameter name -> distribution text


class Parser:
    def __init__(self, text, path):
        self.path = path
        self.tokens = []
        pos, line = 0, 1
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m:
                raise KirError(f"{path}:{line}: cannot read {text[pos:pos + 20]!r}")
            if m.lastgroup != "space":
                self.tokens.append((m.lastgroup, m.group(), line))
            line += m.group().count("\n")
            pos = m.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", "", -1)

    def take(self, kind=None, text=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (text and tok[1] != text):
            raise KirError(f"{self.path}:{tok[2]}: expected {text or kind}, got {tok[1]!r}")
        self.i += 1
        return tok

    def accept(self, text):
        if self.peek()[1] == text:
            self.i += 1
            return True
        return False

    def separated(self, item, close):
        items = []
        if not self.accept(close):
            items.append(item())
            while self.accept(","):
                items.append(item())
            self.take(text=close)
        return items

    def type(self):
        dtype = self.take("ident")[1]
        if dtype not in DTYPES:
            raise KirError(f"{self.path}: unknown dtype {dtype}")
        self.take(text="[")
        return Type(dtype, [int(t) for t in self.separated(lambda: self.take("number")[1], "]")])

    def attribute_value(self):
        kind, text, line = self.take()
        if kind in ("number", "string"):
            return text
        if kind == "ident" and text in ("true", "false"):
            return text
        if kind == "ident" and text == "dense":
            self.take(text="<")
            value = self.attribute_value()
            self.take(text=">")
            return ("dense", value)
        if text == "[":
            return self.separated(self.attribute_value, "]")
        raise KirError(f"{self.path}:{line}: bad attribute value {text!r}")

    def attribute(self):
        key = self.take("ident")[1]
        self.take(text="=")
        return key, self.attribute_value()

    def function(self):
        self.take(text="func")
        name = self.take("func")[1][1:]
        self.take(text="(")

        def param():
            n = self.take("value")[1][1:]
            self.take(text=":")
            return n, self.type()
        params = self.separated(param, ")")
        self.take("arrow")
        self.take(text="(")
        result_types = self.separated(self.type, ")")
        self.take(text="{")
        body = []
        while not self.accept("return"):
            result = self.take("value")[1][1:]
            self.take(text="=")
            op = self.take("ident")[1]
            self.take(text="(")
            operands = self.separated(lambda: self.take("value")[1][1:], ")")
            attrs = dict(self.separated(self.attribute, "}")) if self.accept("{") else {}
            self.take(text=":")
            body.append((result, op, operands, attrs, self.type()))
        results = [self.take("value")[1][1:]]
        while self.accept(","):
            results.append(self.take("value")[1][1:])
        end = self.take(text="}")[2]
        return Func(name, params, result_types, body, results, end)


ANNOTATION = re.compile(r"^\s*#!\s*%([A-Za-z0-9_.]+)\s*=\s*(.+?)\s*$")


def read_module(path):
    text = path.read_text()
    parser = Parser(text, path)
    funcs = []
    while parser.peek()[0] != "eof":
        funcs.append(parser.function())
    # Each annotation belongs to the first function that ends after it.
    for number, line in enumerate(text.splitlines(), start=1):
        m = ANNOTATION.match(line)
        if m:
            owner = next((f for f in funcs if number < f.end), None)
            if owner is None:
                raise KirError(f"{path}:{number}: annotation after the last function")
            if m.group(1) not in dict(owner.params):
                raise KirError(f"{path}:{number}: @{owner.name} has no parameter %{m.group(1)}")
            owner.inputs[m.group(1)] = m.group(2)
    return funcs


# ---------------------------------------------------------------------------------------------
# Attribute helpers

def ints(v):
    return [int(x) for x in v]


def scalar(text, dtype):
    """One element of `dtype` from an attribute token."""
    if dtype == "bool":
        return np.bool_(text == "true")
    if dtype in ("i32", "i64"):
        return DTYPES[dtype](int(text))
    return DTYPES[dtype](float(text))


def flatten(v):
    return [y for x in v for y in flatten(x)] if isinstance(v, list) else [v]


# ---------------------------------------------------------------------------------------------
# Op semantics (docs/ir.md)

def rounded(x64, dtype):
    """A float64 result rounded once to `dtype`."""
    return np.asarray(x64, dtype=np.float64).astype(dtype)


def is_float(x):
    return x.dtype in (np.float32, np.float64)


UNARY_FLOAT = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "rsqrt": lambda x: 1.0 / np.sqrt(x),
    "tanh": np.tanh, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "sin": np.sin, "cos": np.cos,
    "floor": np.floor,
}


def unary(name, x):
    if name in UNARY_FLOAT:
        return rounded(UNARY_FLOAT[name](x.astype(np.float64)), x.dtype)
    if name == "neg":
        return -x
    if name == "abs":
        return np.abs(x)
    if name == "sign":
        if not is_float(x):
            return np.sign(x)
        one = x.dtype.type(1)
        return np.where(x > 0, one, np.where(x < 0, -one, x))  # zeros keep their sign, NaN stays
    if name == "stop_gradient":
        return x.copy()
    if name == "relu":
        keep = (x > 0) | np.isnan(x) if is_float(x) else x > 0
        return np.where(keep, x, x.dtype.type(0))
    raise KirError(f"unknown unary op {name}")


def int_div(a, b):
    lo = np.iinfo(a.dtype).min
    special = (b == 0) | ((a == lo) & (b == -1))
    safe = np.where(special, np.ones_like(b), b)
    q = a // safe
    q = q + ((a % safe != 0) & ((a < 0) != (safe < 0))).astype(a.dtype)  # floor -> toward zero
    return np.where(b == 0, np.zeros_like(a), np.where(special, a, q))


def int_pow(a, b):
    bits = np.iinfo(a.dtype).bits
    mask = (1 << bits) - 1

    def wrap(v):
        v &= mask
        return v - (1 << bits) if v >> (bits - 1) else v

    def one(x, y):
        if y < 0:
            return 1 if x == 1 else (1 if y % 2 == 0 else -1) if x == -1 else 0
        result, base = 1, x
        while y:
            if y & 1:
                result = wrap(result * base)
            base, y = wrap(base * base), y >> 1
        return result
    out = [one(int(x), int(y)) for x, y in zip(a.ravel(), b.ravel())]
    return np.array(out, dtype=a.dtype).reshape(a.shape)


def nan_max(a, b):
    return np.where(np.isnan(a), a, np.where(np.isnan(b), b, np.where(a > b, a, b)))


def nan_min(a, b):
    return np.where(np.isnan(a), a, np.where(np.isnan(b), b, np.where(a < b, a, b)))


def binary(name, a, b):
    floats = is_float(a)
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "div":
        return a / b if floats else int_div(a, b)
    if name == "pow":
        return rounded(np.power(a.astype(np.float64), b.astype(np.float64)), a.dtype) if floats else int_pow(a, b)
    if name == "max":
        return nan_max(a, b) if floats else np.maximum(a, b)
    if name == "min":
        return nan_min(a, b) if floats else np.minimum(a, b)
    raise KirError(f"unknown binary op {name}")


COMPARE = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
           "eq": np.equal, "ne": np.not_equal}


def convert(x, dtype):
    target = DTYPES[dtype]
    if dtype == "bool":
        return x != 0  # NaN != 0 is true
    if dtype in ("i32", "i64") and is_float(x):
        lim = np.iinfo(target)
        t = np.trunc(x.astype(np.float64))
        big = t >= 2.0 ** (lim.bits - 1)
        small = t < -(2.0 ** (lim.bits - 1))
        inside = np.where(np.isnan(t) | big | small, 0.0, t).astype(target)
        return np.where(big, lim.max, np.where(small, lim.min, inside)).astype(target)
    return x.astype(target)  # rounds to nearest for floats; i64 to i32 keeps the low 32 bits


def reduced(x, axes):
    """x with the reduced axes moved last and flattened in row-major order: [kept..., R]."""
    axes = sorted(axes)
    kept = [d for a, d in enumerate(x.shape) if a not in axes]
    moved = np.moveaxis(x, axes, list(range(x.ndim - len(axes), x.ndim)))
    return moved.reshape(kept + [int(np.prod([x.shape[a] for a in axes]))])


def reduce_sum(x, axes):
    r = reduced(x, axes)
    acc = np.zeros(r.shape[:-1], dtype=x.dtype)  # +0
    for k in range(r.shape[-1]):  # one element at a time, in row-major order, in x's dtype
        acc = np.asarray(acc + r[..., k], dtype=x.dtype)
    return acc


def reduce_extreme(x, axes, largest):
    r = reduced(x, axes)
    if is_float(x):
        fold, start = (nan_max, -np.inf) if largest else (nan_min, np.inf)
    else:
        fold, start = (np.maximum, np.iinfo(x.dtype).min) if largest else (np.minimum, np.iinfo(x.dtype).max)
    acc = np.full(r.shape[:-1], start, dtype=x.dtype)
    for k in range(r.shape[-1]):  # acc = max(acc, x) in row-major order, so NaN propagates
        acc = np.asarray(fold(acc, r[..., k]), dtype=x.dtype)
    return acc


def argmax(x, axis):
    m = np.moveaxis(x, axis, -1)
    first_max = np.argmax(m, axis=-1)
    if is_float(x):
        nan = np.isnan(m)
        first_max = np.where(nan.any(axis=-1), np.argmax(nan, axis=-1), first_max)
    return first_max.astype(np.int32)


def broadcast_in_dim(x, shape, dims):
    view = [1] * len(shape)
    for k, d in enumerate(dims):
        view[d] = x.shape[k]
    return np.broadcast_to(x.reshape(view), shape).copy()


def pad(x, low, high, value):
    out = np.full([l + d + h for l, d, h in zip(low, x.shape, high)], value, dtype=x.dtype)
    out[tuple(slice(l, l + d) for l, d in zip(low, x.shape))] = x
    return out


def matmul(a, b, ta, tb):
    a64 = np.swapaxes(a, -1, -2) if ta else a
    b64 = np.swapaxes(b, -1, -2) if tb else b
    return rounded(np.matmul(a64.astype(np.float64), b64.astype(np.float64)), a.dtype)


def conv_params(attrs):
    return (ints(attrs.get("stride", [1, 1])), ints(attrs.get("padding", [0, 0])),
            ints(attrs.get("dilation", [1, 1])))


def window_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def taps(padded, i, j, s, d, ho, wo):
    """The input elements tap (i, j) of every window reads: shape [N, C, ho, wo]."""
    y0, x0 = i * d[0], j * d[1]
    return padded[:, :, y0:y0 + s[0] * (ho - 1) + 1:s[0], x0:x0 + s[1] * (wo - 1) + 1:s[1]]


def zero_padded(x, p):
    return np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))


def conv2d(x, f, attrs):
    s, p, d = conv_params(attrs)
    kh, kw = f.shape[2:]
    ho, wo = (window_out(x.shape[2 + a], f.shape[2 + a], s[a], p[a], d[a]) for a in (0, 1))
    padded = zero_padded(x, p)
    out = np.zeros((x.shape[0], f.shape[0], ho, wo))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,oc->nohw", taps(padded, i, j, s, d, ho, wo), f[:, :, i, j].astype(np.float64))
    return rounded(out, x.dtype)


def conv2d_transpose(x, f, attrs):
    s, p, d = conv_params(attrs)
    op = ints(attrs.get("output_padding", [0, 0]))
    n, _, h, w = x.shape
    kh, kw = f.shape[2:]
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    # Output position y*s - p + i*d lives at buffer index y*s + i*d; the output is buffer[p : p+ho].
    buf = np.zeros((n, f.shape[1], max(ho + p[0], (h - 1) * s[0] + d[0] * (kh - 1) + 1),
                    max(wo + p[1], (w - 1) * s[1] + d[1] * (kw - 1) + 1)))
    for i in range(kh):
        for j in range(kw):
            contribution = np.einsum("nchw,co->nohw", x.astype(np.float64), f[:, :, i, j].astype(np.float64))
            taps(buf, i, j, s, d, h, w)[...] += contribution
    return rounded(buf[:, :, p[0]:p[0] + ho, p[1]:p[1] + wo], x.dtype)


def conv2d_filter_grad(x, g, attrs):
    s, p, d = conv_params(attrs)
    kh, kw = ints(attrs["window"])
    ho, wo = g.shape[2:]
    padded = zero_padded(x, p)
    out = np.zeros((g.shape[1], x.shape[1], kh, kw))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j] = np.einsum("nohw,nchw->oc", g.astype(np.float64), taps(padded, i, j, s, d, ho, wo))
    return rounded(out, x.dtype)


def pool_params(attrs):
    k = ints(attrs["window"])
    return k, ints(attrs.get("stride", k)), ints(attrs.get("padding", [0, 0]))


def pool_windows(x, attrs):
    """Window taps in row-major order: values (padding as 0) and in-bounds masks, each [N,C,Ho,Wo]."""
    k, s, p = pool_params(attrs)
    ho, wo = (window_out(x.shape[2 + a], k[a], s[a], p[a], 1) for a in (0, 1))
    padded = zero_padded(x, p)
    inside = zero_padded(np.ones(x.shape), p) > 0
    return [(taps(padded, i, j, s, [1, 1], ho, wo), taps(inside, i, j, s, [1, 1], ho, wo), i, j)
            for i in range(k[0]) for j in range(k[1])], (ho, wo)


def window_max(windows):
    m = np.full(windows[0][0].shape, -np.inf)
    for v, valid, _, _ in windows:
        m = np.where(valid, nan_max(m, v), m)  # NaN propagates, padding is ignored
    return m


def max_pool2d(x, attrs):
    return rounded(window_max(pool_windows(x, attrs)[0]), x.dtype)


def avg_pool2d(x, attrs):
    k = pool_params(attrs)[0]
    windows, _ = pool_windows(x, attrs)
    return rounded(sum(v for v, _, _, _ in windows) / (k[0] * k[1]), x.dtype)


def scatter_windows(x, attrs, share):
    """Adds share(v, valid, taken) of every window tap back onto the input positions it read."""
    k, s, p = pool_params(attrs)
    windows, (ho, wo) = pool_windows(x, attrs)
    buf = zero_padded(np.zeros(x.shape), p)
    taken = np.zeros(windows[0][0].shape, dtype=bool)
    for v, valid, i, j in windows:
        portion = share(v, valid, taken)
        taps(buf, i, j, s, [1, 1], ho, wo)[...] += portion
    return rounded(buf[:, :, p[0]:p[0] + x.shape[2], p[1]:p[1] + x.shape[3]], x.dtype)


def max_pool2d_grad(x, g, attrs):
    m = window_max(pool_windows(x, attrs)[0])
    g64 = g.astype(np.float64)

    def share(v, valid, taken):
        hit = valid & ~taken & ((v == m) | (np.isnan(v) & np.isnan(m)))  # first maximum only
        taken |= hit
        return np.where(hit, g64, 0.0)
    return scatter_windows(x, attrs, share)


def avg_pool2d_grad(x, g, attrs):
    k = pool_params(attrs)[0]
    g64 = g.astype(np.float64) / (k[0] * k[1])
    return scatter_windows(x, attrs, lambda v, valid, taken: np.where(valid, g64, 0.0))


def index_mask(indices, size, axis, rank):
    """In-range indices (others replaced by 0) and a mask shaped for the gathered result."""
    valid = (indices >= 0) & (indices < size)
    safe = np.where(valid, indices, 0).astype(np.int64)
    mask = valid.reshape((1,) * axis + indices.shape + (1,) * (rank - axis - 1))
    return safe, mask


def gather(table, indices, axis):
    safe, mask = index_mask(indices, table.shape[axis], axis, table.ndim)
    out = np.take(table, safe, axis=axis)
    return np.where(mask, out, np.zeros((), dtype=table.dtype))


def scatter_add(target, indices, updates, axis):
    out = target.copy()
    flat = indices.ravel()
    upd = updates.reshape(target.shape[:axis] + (flat.size,) + target.shape[axis + 1:])
    for i, index in enumerate(flat):  # index positions in row-major order, in target's dtype
        if 0 <= index < target.shape[axis]:
            at = (slice(None),) * axis + (int(index),)
            out[at] = out[at] + upd[(slice(None),) * axis + (i,)]
    return out


def one_hot(indices, depth, dtype):
    return (indices[..., None] == np.arange(depth)).astype(DTYPES[dtype])


MASK64 = (1 << 64) - 1


def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def rng_bits(seed, key, count):
    seed64 = np.array([int(seed) & MASK64], dtype=np.uint64)
    key64 = np.array([int(key) & MASK64], dtype=np.uint64)
    stream = mix64(seed64 + np.uint64(0x9E3779B97F4A7C15) * (key64 + np.uint64(1)))
    j = np.arange(count, dtype=np.uint64)
    return mix64(stream + j * np.uint64(0xD1B54A32D192ED03))


def rng_uniform(seed, key, rtype):
    n = int(np.prod(rtype.shape))
    bits = rng_bits(seed, key, n)
    if rtype.dtype == "f32":
        out = (bits >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    else:
        out = (bits >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return out.reshape(rtype.shape)


def rng_normal(seed, key, rtype):
    n = int(np.prod(rtype.shape))
    bits = rng_bits(seed, key, 2 * n)
    u1 = ((bits[0::2] >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0 ** -53
    u2 = (bits[1::2] >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    normal = np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)
    return rounded(normal, DTYPES[rtype.dtype]).reshape(rtype.shape)


def constant(value, rtype):
    dtype = rtype.dtype
    if isinstance(value, tuple):
        elements = [scalar(t, dtype) for t in flatten(value[1])]
        return np.array(elements, dtype=DTYPES[dtype]).reshape(rtype.shape)
    return np.full(rtype.shape, scalar(value, dtype), dtype=DTYPES[dtype])


def iota(attrs, rtype):
    axis = int(attrs["axis"])
    shape = ints(attrs["shape"])
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.broadcast_to(np.arange(shape[axis]).reshape(view), shape).astype(DTYPES[rtype.dtype])


def evaluate(op, xs, attrs, rtype):
    """The value of one instruction."""
    a = attrs
    if op == "constant":
        return constant(a["value"], rtype)
    if op == "iota":
        return iota(a, rtype)
    if op in UNARY_FLOAT or op in ("neg", "abs", "sign", "relu", "stop_gradient"):
        return unary(op, xs[0])
    if op in ("add", "sub", "mul", "div", "pow", "max", "min"):
        return binary(op, xs[0], xs[1])
    if op == "compare":
        return COMPARE[a["direction"].strip('"')](xs[0], xs[1])
    if op == "select":
        return np.where(xs[0], xs[1], xs[2])
    if op == "convert":
        return convert(xs[0], a["dtype"].strip('"'))
    if op == "reduce_sum":
        return reduce_sum(xs[0], ints(a["axes"]))
    if op in ("reduce_max", "reduce_min"):
        return reduce_extreme(xs[0], ints(a["axes"]), op == "reduce_max")
    if op == "argmax":
        return argmax(xs[0], int(a["axis"]))
    if op == "broadcast_in_dim":
        return broadcast_in_dim(xs[0], ints(a["shape"]), ints(a["dims"]))
    if op == "reshape":
        return xs[0].reshape(ints(a["shape"]))
    if op == "transpose":
        return np.transpose(xs[0], ints(a["perm"])).copy()
    if op == "slice":
        stride = ints(a.get("stride", [1] * xs[0].ndim))
        return xs[0][tuple(slice(s, l, st) for s, l, st in zip(ints(a["start"]), ints(a["limit"]), stride))].copy()
    if op == "concatenate":
        return np.concatenate(xs, axis=int(a["axis"]))
    if op == "pad":
        return pad(xs[0], ints(a["low"]), ints(a["high"]), scalar(a.get("value", "0"), rtype.dtype))
    if op == "reverse":
        return np.flip(xs[0], ints(a["axes"])).copy() if a["axes"] else xs[0].copy()
    if op == "matmul":
        return matmul(xs[0], xs[1], a.get("transpose_a") == "true", a.get("transpose_b") == "true")
    if op == "conv2d":
        return conv2d(xs[0], xs[1], a)
    if op == "conv2d_transpose":
        return conv2d_transpose(xs[0], xs[1], a)
    if op == "conv2d_filter_grad":
        return conv2d_filter_grad(xs[0], xs[1], a)
    if op == "max_pool2d":
        return max_pool2d(xs[0], a)
    if op == "avg_pool2d":
        return avg_pool2d(xs[0], a)
    if op == "max_pool2d_grad":
        return max_pool2d_grad(xs[0], xs[1], a)
    if op == "avg_pool2d_grad":
        return avg_pool2d_grad(xs[0], xs[1], a)
    if op == "gather":
        return gather(xs[0], xs[1], int(a["axis"]))
    if op == "scatter_add":
        return scatter_add(xs[0], xs[1], xs[2], int(a["axis"]))
    if op == "one_hot":
        return one_hot(xs[0], int(a["depth"]), a.get("dtype", '"f32"').strip('"'))
    if op == "all_reduce":
        return xs[0].copy()  # one process: the sum (or mean) over itself alone
    if op in ("rng_uniform", "rng_normal"):
        key = int(xs[0]) if xs else 0
        return (rng_uniform if op == "rng_uniform" else rng_normal)(int(a["seed"]), key, rtype)
    raise KirError(f"unknown op {op}")


def run(func, inputs, where):
    env = dict(inputs)
    for result, op, operands, attrs, rtype in func.body:
        with np.errstate(all="ignore"):
            value = np.asarray(evaluate(op, [env[o] for o in operands], attrs, rtype))
        if value.dtype != DTYPES[rtype.dtype] or value.shape != rtype.shape:
            raise KirError(f"{where}: %{result} = {op} gave {value.dtype}{list(value.shape)}, declared {rtype}")
        env[result] = value
    return [env[r] for r in func.results]


# ---------------------------------------------------------------------------------------------
# Inputs

DIST = re.compile(r"^(uniform|normal|randint|choice|values)\((.*)\)$")


def number(text):
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def make_input(spec, ptype, rng, where):
    dtype = DTYPES[ptype.dtype]
    if spec is None:
        spec = {"f32": "uniform(-1, 1)", "f64": "uniform(-1, 1)", "bool": "randint(0, 2)"}.get(ptype.dtype, "randint(-10, 10)")
    m = DIST.match(spec)
    if not m:
        raise KirError(f"{where}: unknown input distribution {spec!r}")
    kind, args = m.group(1), [number(t) for t in m.group(2).split(",")]
    shape, n = ptype.shape, int(np.prod(ptype.shape))
    if kind == "uniform":
        values = rng.uniform(args[0], args[1], n)
    elif kind == "normal":
        values = rng.normal(args[0], args[1], n)
    elif kind == "randint":
        values = rng.integers(args[0], args[1], n)
    elif kind == "choice":
        values = [args[k] for k in rng.integers(0, len(args), n)]
    else:
        values = [args[k % len(args)] for k in range(n)]
    if dtype in (np.int32, np.int64):
        return np.array([int(v) for v in values], dtype=dtype).reshape(shape)
    return np.array(values, dtype=np.float64).astype(dtype).reshape(shape)


# ---------------------------------------------------------------------------------------------

def main():
    if DATA.exists():
        shutil.rmtree(DATA)
    examples = sorted(ROOT.glob("*.kir"))
    count = 0
    for path in examples:
        for func in read_module(path):
            where = f"{path.name}:@{func.name}"
            folder = DATA / path.stem / func.name
            folder.mkdir(parents=True)
            inputs = {}
            for name, ptype in func.params:
                rng = np.random.default_rng(zlib.crc32(f"{path.stem}/{func.name}/{name}".encode()))
                inputs[name] = make_input(func.inputs.get(name), ptype, rng, where)
                np.save(folder / f"in_{name}.npy", inputs[name])
            outputs = run(func, inputs, where)
            for k, (value, rtype) in enumerate(zip(outputs, func.result_types)):
                if value.dtype != DTYPES[rtype.dtype] or value.shape != rtype.shape:
                    raise KirError(f"{where}: result {k} is {value.dtype}{list(value.shape)}, declared {rtype}")
                np.save(folder / f"out{k}.npy", np.array(value, order="C"))
            count += 1
    print(f"wrote inputs and outputs of {count} functions from {len(examples)} examples to {DATA}")
    # The reference gradients live in the same folders, so they are made again too.
    subprocess.run([sys.executable, str(Path(__file__).with_name("generate_grads.py"))], check=True)


if __name__ == "__main__":
    try:
        main()
    except KirError as error:
        sys.exit(f"error: {error}")
