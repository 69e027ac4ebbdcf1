"""Builds the ONNX test models of KilnONNXTests with PyTorch and writes, per model NAME:

    NAME.onnx        torch.onnx.export of the model (opset in MODELS below)
    NAME.in0.npy ... the inputs, in the order of the graph's inputs
    NAME.out0.npy .. PyTorch's outputs for them, in the order of the graph's outputs

A few graphs PyTorch's exporter never writes (Dropout, Identity, Constant, Expand, Where, Cast,
Gather of a static shape) are built with onnx.helper; their reference outputs come from
onnx.reference.ReferenceEvaluator. Run from the repository root:

    /path/to/venv/bin/python Tests/KilnONNXTests/Fixtures/make_fixtures.py

(the venv needs torch, onnx, onnxscript and numpy). The outputs are deterministic (seeded).
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=-1)


class Activations(nn.Module):
    """Tanh, Sigmoid, LeakyRelu, LogSoftmax, MatMul without bias, Sub, Div, Pow, Sqrt."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 8) * 0.5)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        h = torch.tanh(x @ self.w) - torch.sigmoid(x @ self.w) / 2.0
        h = nn.functional.leaky_relu(h, 0.2)
        h = h + torch.sqrt(h * h + 1.0) ** 1.5
        return torch.log_softmax(self.fc(h), dim=1)


class CNN(nn.Module):
    """Conv, ReLU, BatchNorm after the activation (so the exporter cannot fold it), MaxPool, Flatten, Gemm."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 6)

    def forward(self, x):
        h = self.pool(self.bn(torch.relu(self.conv(x))))
        return self.fc(torch.flatten(h, 1))


class ResBlock(nn.Module):
    """conv-bn-relu-conv-bn + skip, strided conv, AvgPool, GlobalAveragePool, view by x.shape."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.down = nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1)
        self.avg = nn.AvgPool2d(2, stride=1, padding=1)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)) + x)
        h = self.avg(self.down(h))
        h = nn.functional.adaptive_avg_pool2d(h, 1)
        return self.head(h.view(h.shape[0], -1))


class Deconv(nn.Module):
    """ConvTranspose with stride and output padding, LeakyRelu, Sigmoid, max pool with padding."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.pool(nn.functional.leaky_relu(self.up(x), 0.1)))


class Grouped(nn.Module):
    """Conv and ConvTranspose with groups."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, groups=2)
        self.up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)

    def forward(self, x):
        return self.up(torch.relu(self.conv(x)))


class LSTMModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.fc(out[-1]), c


class BiLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x):
        out, _ = self.lstm(x)
        return out


class Encoder(nn.Module):
    def __init__(self, activation):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1,
                                                activation=activation, batch_first=True)

    def forward(self, x):
        return self.layer(x)


class Embedding(nn.Module):
    """Gather (embedding lookup of int64 ids), ReduceMean, ReduceSum, Concat, Slice, Unsqueeze, Squeeze, Transpose."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)

    def forward(self, ids):
        e = self.emb(ids)                      # [2,5,4]
        m = e.mean(dim=1, keepdim=True)        # [2,1,4]
        s = e.sum(dim=2)                       # [2,5]
        t = torch.cat([e[:, 1:4, :], m], dim=1).transpose(1, 2)  # [2,4,4]
        return t.unsqueeze(0).squeeze(0) * s[:, :4].unsqueeze(1)


def helper_graph():
    """Ops the exporter leaves out (Dropout in inference, Identity, Constant, Where, Expand, Cast,
    Shape of a static shape, Gather on it, Squeeze with an axes input, ReduceSum with axes input)."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Dropout", ["x", "ratio"], ["d"], name="drop"),
        helper.make_node("Identity", ["d"], ["i"], name="ident"),
        helper.make_node("Constant", [], ["zero"], name="zero", value=numpy_helper.from_array(np.array(0.0, np.float32))),
        helper.make_node("Greater", ["i", "zero"], ["pos"], name="pos"),
        helper.make_node("Where", ["pos", "i", "w_row"], ["wh"], name="where"),
        helper.make_node("Shape", ["wh"], ["shape"], name="shape"),
        helper.make_node("Expand", ["b", "shape"], ["bx"], name="expand"),
        helper.make_node("Mul", ["wh", "bx"], ["m"], name="mul"),
        helper.make_node("Cast", ["pos"], ["posf"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Add", ["m", "posf"], ["a"], name="add"),
        helper.make_node("Gemm", ["a", "w"], ["g"], name="gemm", alpha=0.5, beta=1.0, transB=0),
        helper.make_node("ReduceSum", ["g", "axes1"], ["r"], name="rsum", keepdims=1),
        helper.make_node("Squeeze", ["r", "axes1"], ["y"], name="squeeze"),
        helper.make_node("Erf", ["y"], ["z"], name="erf"),
    ]
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(rng.standard_normal((4,)).astype(np.float32), "w_row"),
        numpy_helper.from_array(rng.standard_normal((1, 4)).astype(np.float32), "b"),
        numpy_helper.from_array(np.array([1], np.int64), "axes1"),
        numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
    ]
    graph = helper.make_graph(nodes, "ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    return model, [x], ReferenceEvaluator(model).run(None, {"x": x})


def helper_windows():
    """Window attributes the exporter rarely writes: grouped Conv with auto_pad SAME_UPPER (which
    pads one side only here) and stride 2, asymmetric pads on AveragePool (count_include_pad 0),
    MaxPool and ConvTranspose. The reference is PyTorch with the padding written out as F.pad
    (onnx.reference reads MaxPool's asymmetric pads in another order than the ONNX spec)."""
    rng = np.random.default_rng(8)
    w, b = rng.standard_normal((4, 2, 3, 3)).astype(np.float32), rng.standard_normal((4,)).astype(np.float32)
    wt = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", group=2, auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("AveragePool", ["c"], ["a"], name="avg", kernel_shape=[2, 2], pads=[1, 1, 0, 0], count_include_pad=0),
        helper.make_node("MaxPool", ["a"], ["m"], name="max", kernel_shape=[3, 3], pads=[0, 0, 1, 2]),
        helper.make_node("ConvTranspose", ["m", "wt"], ["y"], name="deconv", strides=[2, 2], pads=[1, 0, 0, 1]),
    ]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(wt, "wt")]
    graph = helper.make_graph(nodes, "windows", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 6, 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    x = rng.standard_normal((1, 4, 8, 8)).astype(np.float32)
    F = nn.functional
    with torch.no_grad():
        t = torch.from_numpy
        c = F.conv2d(F.pad(t(x), (0, 1, 0, 1)), t(w), t(b), stride=2, groups=2)           # SAME_UPPER: 1 at the end
        padded, ones = F.pad(c, (1, 0, 1, 0)), F.pad(torch.ones(1, 1, 4, 4), (1, 0, 1, 0))
        a = F.avg_pool2d(padded, 2, stride=1) / F.avg_pool2d(ones, 2, stride=1)          # count_include_pad=0
        m = F.max_pool2d(F.pad(a, (0, 2, 0, 1), value=-float("inf")), 3, stride=1)
        y = F.conv_transpose2d(m, t(wt), stride=2)[:, :, 1:, :-1]                         # pads [1,0,0,1]
    return model, [x], [y.numpy()]


def helper_sequences():
    """Opset 20: Gelu (tanh form), Slice with a negative step, MatMul of a vector, Gather of
    computed (negative) indices, a reverse LSTM with initial states."""
    rng = np.random.default_rng(9)
    hidden = 3
    nodes = [
        helper.make_node("Gelu", ["x"], ["g"], name="gelu", approximate="tanh"),
        helper.make_node("Slice", ["g", "starts", "ends", "axes", "steps"], ["s"], name="slice"),
        helper.make_node("MatMul", ["v", "s"], ["mv"], name="matvec"),
        helper.make_node("Gather", ["x", "ids"], ["gx"], name="gather", axis=1),
        helper.make_node("LSTM", ["seq", "W", "R", "B", "", "h0", "c0"], ["Y", "Yh"], name="lstm",
                         direction="reverse", hidden_size=hidden),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1], np.int64), "starts"),
        numpy_helper.from_array(np.array([-100], np.int64), "ends"),
        numpy_helper.from_array(np.array([0], np.int64), "axes"),
        numpy_helper.from_array(np.array([-2], np.int64), "steps"),
        numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float32), "v"),
        numpy_helper.from_array(rng.standard_normal((1, 4 * hidden, 2)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.standard_normal((1, 4 * hidden, hidden)).astype(np.float32), "R"),
        numpy_helper.from_array(rng.standard_normal((1, 8 * hidden)).astype(np.float32), "B"),
        numpy_helper.from_array(rng.standard_normal((1, 2, hidden)).astype(np.float32), "h0"),
        numpy_helper.from_array(rng.standard_normal((1, 2, hidden)).astype(np.float32), "c0"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 4]),
              helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 2]),
              helper.make_tensor_value_info("seq", TensorProto.FLOAT, [4, 2, 2])]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
               for n, shape in [("mv", [4]), ("gx", [5, 2, 2]), ("Y", [4, 1, 2, hidden]), ("Yh", [1, 2, hidden])]]
    model = helper.make_model(helper.make_graph(nodes, "sequences", inputs, outputs, inits),
                              opset_imports=[helper.make_opsetid("", 20)])
    onnx.checker.check_model(model)
    feed = {"x": rng.standard_normal((5, 4)).astype(np.float32),
            "ids": np.array([[0, -1], [2, -3]], np.int64),
            "seq": rng.standard_normal((4, 2, 2)).astype(np.float32)}
    return model, list(feed.values()), ReferenceEvaluator(model).run(None, feed)


# name: (model, inputs, opset, dynamo)
def torch_models():
    torch.manual_seed(0)
    cnn = CNN()
    res = ResBlock()
    for bn in (cnn.bn, res.bn1, res.bn2):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    return {
        "mlp": (MLP(), (torch.randn(3, 12),), 17, False),
        "mlp_opset13": (MLP(), (torch.randn(2, 12),), 13, False),
        "activations": (Activations(), (torch.randn(4, 6),), 17, False),
        "cnn_bn": (cnn, (torch.randn(2, 3, 8, 8),), 17, False),
        "resblock": (res, (torch.randn(2, 4, 6, 6),), 17, False),
        "deconv": (Deconv(), (torch.randn(1, 3, 4, 4),), 17, False),
        "grouped": (Grouped(), (torch.randn(1, 4, 4, 4),), 17, False),
        "lstm": (LSTMModel(), (torch.randn(5, 2, 4),), 17, False),
        "bilstm": (BiLSTM(), (torch.randn(2, 4, 3),), 17, False),
        "encoder_relu": (Encoder("relu"), (torch.randn(2, 5, 8),), 17, False),
        "encoder_gelu": (Encoder("gelu"), (torch.randn(2, 5, 8),), 17, False),
        "encoder_opset21": (Encoder("gelu"), (torch.randn(2, 5, 8),), 21, True),
        "embedding": (Embedding(), (torch.randint(0, 10, (2, 5)),), 17, False),
    }


def save(name, inputs, outputs):
    for k, a in enumerate(inputs):
        np.save(os.path.join(HERE, f"{name}.in{k}.npy"), np.ascontiguousarray(a))
    for k, a in enumerate(outputs):
        np.save(os.path.join(HERE, f"{name}.out{k}.npy"), np.ascontiguousarray(a))


def main():
    torch.backends.mha.set_fastpath_enabled(False)  # the fused encoder kernel has no ONNX export
    for name, (model, args, opset, dynamo) in torch_models().items():
        model.eval()
        path = os.path.join(HERE, name + ".onnx")
        with torch.no_grad():
            outs = model(*args)
            outs = outs if isinstance(outs, tuple) else (outs,)
            kwargs = dict(opset_version=opset, dynamo=dynamo)
            if dynamo:
                kwargs["external_data"] = False
            torch.onnx.export(model, args, path, **kwargs)
        proto = onnx.load(path)
        onnx.checker.check_model(proto)
        save(name, [a.numpy() for a in args], [o.numpy() for o in outs])
        ops = sorted({n.op_type for n in proto.graph.node})
        print(f"{name}: opset {proto.opset_import[0].version}, {os.path.getsize(path)} bytes, ops {' '.join(ops)}")
    for name, make in [("helper_ops", helper_graph), ("helper_windows", helper_windows), ("helper_sequences", helper_sequences)]:
        model, inputs, outputs = make()
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        save(name, inputs, outputs)
        print(f"{name}:", " ".join(n.op_type for n in model.graph.node), [o.shape for o in outputs])


if __name__ == "__main__":
    sys.exit(main())
