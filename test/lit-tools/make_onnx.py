#!/usr/bin/python3
"""Small hand-made ONNX models for the importer's lit tests, keyed by name.

  make_onnx.py NAME -o OUT.onnx     write one model
  make_onnx.py --list               print every name
  make_onnx.py --all DIR            write DIR/NAME.onnx for every name

Use /usr/bin/python3 (Debian's onnx and numpy).  Every model has float32 graph
inputs with concrete shapes (cnn_batch_n has a symbolic batch dim 'N',
cnn_dynamic_hw dynamic N, H and W and a reshape from Shape), named
nodes, deterministic weights (np.random.RandomState(0), fresh per model) and
graph outputs typed by ONNX shape inference.  Names starting with "bad_" are
negative cases the importer must refuse: models onnx.checker accepts (bad_einsum,
bad_opset6_add, bad_opset18_relu, bad_conv_channels) and models ONNX itself rejects
(the INVALID set, saved without checking).  bad_unknown_op's Foo node is named
"mystery_node_7" for testing diagnostics.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
INT64_MAX = np.iinfo(np.int64).max

MODELS = {}      # name -> function returning a ModelProto
INVALID = set()  # deliberately rejected by onnx.checker or shape inference


class G:
    """Graph under construction."""

    def __init__(self, opset):
        self.opset = opset
        self.rng = np.random.RandomState(0)
        self.nodes, self.inputs, self.inits = [], [], []

    def x(self, shape, name="x"):
        self.inputs.append(helper.make_tensor_value_info(name, F, shape))
        return name

    def w(self, name, shape, lo=-1.0, hi=1.0):
        a = self.rng.uniform(lo, hi, shape).astype(np.float32)
        self.inits.append(numpy_helper.from_array(a, name))
        return name

    def c(self, name, values, dtype=np.int64):
        self.inits.append(numpy_helper.from_array(np.array(values, dtype), name))
        return name

    def n(self, op, ins, name, out=None, **attrs):
        out = out or name
        self.nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    def model(self, graph_name, outs, shape=None):
        outs = [outs] if isinstance(outs, str) else outs
        g = helper.make_graph(self.nodes, graph_name, self.inputs,
                              [helper.make_tensor_value_info(
                                  o, getattr(self, "out_types", {}).get(o, F),
                                  getattr(self, "out_shapes", {}).get(o, shape))
                               for o in outs],
                              self.inits)
        m = helper.make_model(g, producer_name="make_onnx.py",
                              opset_imports=[helper.make_opsetid("", self.opset)])
        return m


def reg(name, opset=13, invalid=False, shape=None):
    """Register builder(g) -> output name(s) as model `name`.  The graph outputs get
    `shape` if given, else the shape ONNX infers."""
    def wrap(builder):
        def make():
            g = G(opset)
            m = g.model(name, builder(g), shape)
            if shape is None:  # type the graph outputs from shape inference
                inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
                for o, io in zip(m.graph.output, inferred.graph.output):
                    if io.type.tensor_type.HasField("shape"):
                        o.CopyFrom(io)
            return m
        assert name not in MODELS, name
        MODELS[name] = make
        if invalid:
            INVALID.add(name)
        return builder
    return wrap


def single(name, op, shape, opset=13, **attrs):
    """Model y = op(x) with one node."""
    reg(name, opset)(lambda g: g.n(op, [g.x(shape)], name + "0", "y", **attrs))


# --- Conv -------------------------------------------------------------------
def conv(name, x, w, bias=True, opset=13, **attrs):
    def build(g):
        ins = [g.x(x), g.w("W", w)] + ([g.w("B", [w[0]])] if bias else [])
        return g.n("Conv", ins, "conv0", "y", **attrs)
    reg(name, opset)(build)


conv("conv2d_bias", [1, 3, 8, 8], [4, 3, 3, 3], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
conv("conv2d_nobias", [1, 3, 8, 8], [4, 3, 3, 3], bias=False)
conv("conv2d_opset9", [1, 3, 8, 8], [4, 3, 3, 3], opset=9, pads=[1, 1, 1, 1])
conv("conv2d_group2", [1, 4, 6, 6], [6, 2, 3, 3], group=2, pads=[1, 1, 1, 1])
conv("conv2d_depthwise", [1, 4, 6, 6], [4, 1, 3, 3], group=4, pads=[1, 1, 1, 1])
conv("conv1d", [1, 2, 10], [3, 2, 3], pads=[1, 1], strides=[2])
# 8 wide, k3, s2 -> 4 out, total pad 1: SAME_UPPER pads (0, 1), SAME_LOWER (1, 0).
conv("conv2d_same_upper", [1, 2, 8, 8], [3, 2, 3, 3], auto_pad="SAME_UPPER", strides=[2, 2])
conv("conv2d_same_lower", [1, 2, 8, 8], [3, 2, 3, 3], auto_pad="SAME_LOWER", strides=[2, 2])
conv("conv2d_valid", [1, 2, 8, 8], [3, 2, 3, 3], auto_pad="VALID", strides=[2, 2])
conv("conv2d_dilations", [1, 2, 9, 9], [3, 2, 3, 3], dilations=[2, 2])
conv("conv2d_strides", [1, 3, 8, 8], [4, 3, 3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
# pads = [top, left, bottom, right]
conv("conv2d_asym_pads", [1, 2, 6, 6], [3, 2, 3, 3], pads=[0, 1, 2, 1], strides=[1, 2])


@reg("cnn_dynamic_hw", shape=["N", "M"])
def _(g):  # dynamic batch, height and width; a reshape computed from Shape
    y = g.n("Conv", [g.x(["N", 3, "H", "W"]), g.w("W", [4, 3, 3, 3]), g.w("B", [4])],
            "conv0", pads=[1, 1, 1, 1], strides=[2, 2])
    y = g.n("Relu", [y], "relu0")
    s = g.n("Shape", [y], "shape0")
    n = g.n("Gather", [s, g.c("zero", 0)], "gather0", axis=0)
    n = g.n("Unsqueeze", [n, g.c("axes0", [0])], "unsqueeze0")
    shape = g.n("Concat", [n, g.c("minus1", [-1])], "concat0", axis=0)
    return g.n("Reshape", [y, shape], "reshape0", "y")


@reg("cnn_dynamic_batch", shape=["N", 80])
def _(g):  # dynamic batch only: x.reshape(x.shape[0], -1) folds symbolically
    y = g.n("Conv", [g.x(["N", 3, 8, 10]), g.w("W", [4, 3, 3, 3]), g.w("B", [4])],
            "conv0", pads=[1, 1, 1, 1], strides=[2, 2])
    s = g.n("Shape", [y], "shape0")
    n = g.n("Gather", [s, g.c("zero", 0)], "gather0", axis=0)
    n = g.n("Unsqueeze", [n, g.c("axes0", [0])], "unsqueeze0")
    shape = g.n("Concat", [n, g.c("minus1", [-1])], "concat0", axis=0)
    return g.n("Reshape", [y, shape], "reshape0", "y")


@reg("bad_batch_arith", shape=["M"])
def _(g):  # arithmetic on the dynamic batch: refused, pointing at --input-shape
    x = g.x(["N", 3, 4, 4])
    s = g.n("Shape", [x], "shape0")
    n = g.n("Gather", [s, g.c("zero", [0])], "gather0", axis=0)
    n = g.n("Mul", [n, g.c("four", [48])], "mul0")
    return g.n("Reshape", [x, n], "reshape0", "y")


@reg("cnn_batch_n")
def _(g):  # the one model with a symbolic batch dimension
    y = g.n("Conv", [g.x(["N", 1, 8, 8]), g.w("W", [4, 1, 3, 3]), g.w("B", [4])], "conv0",
            pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    y = g.n("MaxPool", [y], "pool0", kernel_shape=[2, 2], strides=[2, 2])
    y = g.n("Flatten", [y], "flatten0")
    y = g.n("Gemm", [y, g.w("fc_W", [10, 64]), g.w("fc_B", [10])], "fc0", transB=1)
    return g.n("Softmax", [y], "softmax0", "y", axis=1)


@reg("tiny_cnn")
def _(g):
    y = g.n("Conv", [g.x([1, 1, 8, 8]), g.w("W", [4, 1, 3, 3]), g.w("B", [4])], "conv0")
    y = g.n("Relu", [y], "relu0")
    y = g.n("MaxPool", [y], "pool0", kernel_shape=[2, 2], strides=[2, 2])
    y = g.n("Flatten", [y], "flatten0")
    y = g.n("Gemm", [y, g.w("fc_W", [10, 36]), g.w("fc_B", [10])], "fc0", transB=1)
    return g.n("Softmax", [y], "softmax0", "y", axis=1)


# --- activations and other unary ops ----------------------------------------
for _op in ["Relu", "Sigmoid", "Neg", "Abs", "Exp", "Log", "Sqrt", "Tanh", "Reciprocal"]:
    single(_op.lower(), _op, [1, 3, 4, 4])
single("hardsigmoid", "HardSigmoid", [1, 3, 4, 4], alpha=0.25, beta=0.4)
single("hardsigmoid_default", "HardSigmoid", [1, 3, 4, 4])
single("leakyrelu", "LeakyRelu", [1, 3, 4, 4], alpha=0.1)
single("leakyrelu_default", "LeakyRelu", [1, 3, 4, 4])
single("cast_float", "Cast", [2, 3], to=F)
single("lrn", "LRN", [1, 5, 3, 3], size=3, alpha=1e-4, beta=0.75, bias=1.0)
single("gap", "GlobalAveragePool", [1, 4, 5, 5])

# --- Clip -------------------------------------------------------------------
single("clip6", "Clip", [1, 3, 4, 4], opset=6, min=0.0, max=6.0)
single("clip6_min_only", "Clip", [1, 3, 4, 4], opset=6, min=-1.0)


def clip(name, opset, lo, hi):
    def build(g):
        ins = [g.x([1, 3, 4, 4])]
        if lo is not None or hi is not None:
            ins.append("" if lo is None else g.c("min", lo, np.float32))
        if hi is not None:
            ins.append(g.c("max", hi, np.float32))
        return g.n("Clip", ins, "clip0", "y")
    reg(name, opset)(build)


clip("clip11", 11, 0.0, 6.0)
clip("clip13", 13, -1.0, 1.0)
clip("clip13_min_only", 13, 0.0, None)
clip("clip13_max_only", 13, None, 6.0)
clip("clip13_no_bounds", 13, None, None)

# --- pooling ----------------------------------------------------------------
single("maxpool8", "MaxPool", [1, 2, 6, 6], opset=8, kernel_shape=[2, 2], strides=[2, 2])
single("maxpool10_ceil", "MaxPool", [1, 2, 5, 5], opset=10, kernel_shape=[2, 2],
       strides=[2, 2], ceil_mode=1)
single("maxpool12_dilations", "MaxPool", [1, 2, 7, 7], opset=12, kernel_shape=[2, 2],
       dilations=[2, 2])
single("maxpool12_pads", "MaxPool", [1, 2, 6, 6], opset=12, kernel_shape=[3, 3],
       strides=[2, 2], pads=[1, 1, 1, 1])
single("maxpool12_same_upper", "MaxPool", [1, 2, 6, 6], opset=12, kernel_shape=[3, 3],
       strides=[2, 2], auto_pad="SAME_UPPER")
single("maxpool1d", "MaxPool", [1, 2, 8], opset=12, kernel_shape=[2], strides=[2])
single("avgpool7", "AveragePool", [1, 2, 6, 6], opset=7, kernel_shape=[2, 2], strides=[2, 2])
single("avgpool7_count_include_pad", "AveragePool", [1, 2, 6, 6], opset=7,
       kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
single("avgpool10_ceil", "AveragePool", [1, 2, 5, 5], opset=10, kernel_shape=[2, 2],
       strides=[2, 2], ceil_mode=1)
single("avgpool11_pads", "AveragePool", [1, 2, 5, 5], opset=11, kernel_shape=[3, 3],
       pads=[1, 1, 1, 1])
single("avgpool11_count_include_pad", "AveragePool", [1, 2, 5, 5], opset=11,
       kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)


# --- element-wise binary with broadcasting -----------------------------------
def binary(name, op, a, b, opset=13, b_const=False):
    def build(g):
        lhs = g.x(a, "a")
        rhs = g.w("B", b) if b_const else g.x(b, "b")
        return g.n(op, [lhs, rhs], op.lower() + "0", "y")
    reg(name, opset)(build)


binary("add", "Add", [2, 3], [2, 3])
binary("add_bcast", "Add", [1, 3, 4, 4], [3, 1, 1], opset=14, b_const=True)
binary("add7_bcast", "Add", [2, 3, 4], [4], opset=7)
binary("sub_bcast", "Sub", [2, 3], [3], b_const=True)
binary("mul_scalar", "Mul", [1, 3, 4, 4], [], b_const=True)
binary("mul_bcast", "Mul", [2, 1, 4], [3, 1], opset=7)
binary("div_bcast", "Div", [2, 1, 4], [3, 1])


@reg("max3")
def _(g):
    return g.n("Max", [g.x([2, 3], "a"), g.w("B", [3]), g.x([1, 3], "c")], "max0", "y")


@reg("min2")
def _(g):
    return g.n("Min", [g.x([2, 3], "a"), g.x([2, 1], "b")], "min0", "y")


single("max1", "Max", [2, 3])

# --- shape manipulation -----------------------------------------------------
@reg("concat_neg_axis")
def _(g):
    return g.n("Concat", [g.x([1, 2, 4], "a"), g.x([1, 3, 4], "b")], "concat0", "y", axis=-2)


@reg("concat3_axis1", opset=11)
def _(g):
    x = g.x([1, 2, 3, 3])
    return g.n("Concat", [x, g.w("C", [1, 1, 3, 3]), x], "concat0", "y", axis=1)


single("flatten_axis0", "Flatten", [2, 3, 4], axis=0)
single("flatten_axis1", "Flatten", [2, 3, 4], opset=9)
single("flatten_neg", "Flatten", [2, 3, 4, 5], axis=-2)
single("transpose_perm", "Transpose", [1, 2, 3, 4], perm=[0, 2, 3, 1])
single("transpose_default", "Transpose", [2, 3, 4])
single("squeeze11", "Squeeze", [1, 3, 1, 4], opset=11, axes=[0, 2])
single("squeeze13_no_axes", "Squeeze", [1, 3, 1, 4])
single("unsqueeze11", "Unsqueeze", [3, 4], opset=11, axes=[0, 3])


@reg("squeeze13")
def _(g):
    return g.n("Squeeze", [g.x([1, 3, 1, 4]), g.c("axes", [0, -2])], "squeeze0", "y")


@reg("unsqueeze13")
def _(g):
    return g.n("Unsqueeze", [g.x([3, 4]), g.c("axes", [0, -1])], "unsqueeze0", "y")


@reg("reshape5", opset=5)
def _(g):
    return g.n("Reshape", [g.x([1, 2, 3, 4]), g.c("shape", [1, -1])], "reshape0", "y")


@reg("reshape13_zero_neg")
def _(g):
    return g.n("Reshape", [g.x([2, 3, 4]), g.c("shape", [0, -1])], "reshape0", "y")


def view(name, opset):
    """torch's x.view(x.size(0), -1): Shape, Gather(0), Unsqueeze, Concat [-1], Reshape."""
    def build(g):
        x = g.x([2, 3, 4, 4])
        s = g.n("Shape", [x], "shape0")
        d = g.n("Gather", [s, g.c("idx0", 0)], "gather0", axis=0)
        if opset >= 13:
            u = g.n("Unsqueeze", [d, g.c("axes0", [0])], "unsqueeze0")
        else:
            u = g.n("Unsqueeze", [d], "unsqueeze0", axes=[0])
        c = g.n("Concat", [u, g.c("minus1", [-1])], "concat0", axis=0)
        return g.n("Reshape", [x, c], "reshape0", "y")
    reg(name, opset, shape=[2, 48])(build)  # ONNX cannot infer a computed shape


view("view11", 11)
view("view13", 13)

single("slice9", "Slice", [4, 6], opset=9, starts=[1, 0], ends=[3, 4], axes=[0, 1])


def slice_(name, opset, starts, ends, axes=None, steps=None):
    def build(g):
        ins = [g.x([4, 6]), g.c("starts", starts), g.c("ends", ends)]
        if axes is not None or steps is not None:
            ins.append(g.c("axes", axes) if axes is not None else "")
        if steps is not None:
            ins.append(g.c("steps", steps))
        return g.n("Slice", ins, "slice0", "y")
    reg(name, opset)(build)


slice_("slice10_neg", 10, [-3], [-1], axes=[1])
slice_("slice13_steps", 13, [0, -1], [INT64_MAX, 0], axes=[0, -1], steps=[2, -2])
slice_("slice13_no_axes", 13, [1, 1], [3, 5])


# --- Pad --------------------------------------------------------------------
single("pad2_attr", "Pad", [1, 2, 3, 3], opset=2, pads=[0, 0, 1, 2, 0, 0, 1, 0],
       mode="constant", value=0.5)


def pad(name, opset, mode=None, value=None):
    def build(g):
        ins = [g.x([1, 2, 3, 3]), g.c("pads", [0, 0, 1, 2, 0, 0, 1, 0])]
        if value is not None:
            ins.append(g.c("value", value, np.float32))
        attrs = {"mode": mode} if mode else {}
        return g.n("Pad", ins, "pad0", "y", **attrs)
    reg(name, opset)(build)


pad("pad11_const", 11, "constant", 0.5)
pad("pad11_no_value", 11)
pad("pad13_reflect", 13, "reflect")
pad("pad13_edge", 13, "edge")


def torch_pad(name, opset, fill):
    """torch's F.pad(x, (1, 2, 0, 1)) as torch.onnx exports it: the pads
    computed from a ConstantOfShape of zeros, a concat, a 2-D reshape, a
    reversing slice (step -1), a transpose and a flattening reshape, all on
    import-time integer constants; ONNX pads [0, 0, 0, 1, 0, 0, 1, 2]."""
    def build(g):
        zeros = g.n("ConstantOfShape", [g.c("four", [4])], "zeros0",
                    value=helper.make_tensor("value", fill, [1], [0]))
        pads = g.n("Concat", [g.c("torch_pads", [1, 2, 0, 1]), zeros], "concat0", axis=0)
        pads = g.n("Reshape", [pads, g.c("pairs", [-1, 2])], "reshape0")
        pads = g.n("Slice", [pads, g.c("starts", [-1]), g.c("ends", [-INT64_MAX]),
                             g.c("axes", [0]), g.c("steps", [-1])], "slice0")
        pads = g.n("Transpose", [pads], "transpose0", perm=[1, 0])
        pads = g.n("Reshape", [pads, g.c("flat", [-1])], "reshape1")
        pads = g.n("Cast", [pads], "cast0", to=TensorProto.INT64)
        return g.n("Pad", [g.x([1, 2, 3, 3]), pads], "pad0", "y")
    reg(name, opset)(build)


torch_pad("pad11_torch", 11, TensorProto.INT64)
torch_pad("pad13_torch", 13, TensorProto.INT64)


@reg("prelu_channel")
def _(g):  # a slope per channel, broadcast over H and W
    return g.n("PRelu", [g.x([1, 3, 4, 4]), g.w("slope", [3, 1, 1])], "prelu0", "y")


single("elu", "Elu", [1, 3, 4, 4], alpha=0.5)


single("selu", "Selu", [1, 3, 4, 4], alpha=1.5, gamma=1.25)
single("celu", "Celu", [1, 3, 4, 4], alpha=2.0)
single("softplus", "Softplus", [1, 3, 4, 4])
single("softsign", "Softsign", [1, 3, 4, 4])
single("thresholdedrelu", "ThresholdedRelu", [1, 3, 4, 4], alpha=0.5)
single("logsoftmax13", "LogSoftmax", [2, 10], axis=1)
single("logsoftmax11_axis1", "LogSoftmax", [1, 2, 3, 4], opset=11, axis=1)
single("globalmaxpool", "GlobalMaxPool", [1, 3, 5, 7])
single("reducemax", "ReduceMax", [1, 3, 4, 4], axes=[2, 3], keepdims=0)
single("reducemin", "ReduceMin", [1, 3, 4, 4], axes=[-1])
single("reducel2", "ReduceL2", [1, 3, 4, 4], axes=[1], keepdims=0)
single("reducelogsumexp", "ReduceLogSumExp", [1, 3, 4, 4], axes=[2, 3], keepdims=0)
single("depthtospace_dcr", "DepthToSpace", [1, 8, 2, 3], blocksize=2)
single("depthtospace_crd", "DepthToSpace", [1, 8, 2, 3], blocksize=2, mode="CRD")
single("spacetodepth", "SpaceToDepth", [1, 2, 4, 6], blocksize=2)
single("depthtospace_bad", "DepthToSpace", [1, 6, 2, 3], blocksize=2)


@reg("gather_token", shape=["N", 8])
def _(g):  # torch x[:, 0] on a batched sequence: a slice and a squeeze
    return g.n("Gather", [g.x(["N", 5, 8]), g.c("i0", 0)], "gather0", "y",
               axis=1)


@reg("gather_even")
def _(g):  # every second channel, backwards: one strided slice
    return g.n("Gather", [g.x([1, 6, 2, 2]), g.c("idx", [5, 3, 1])], "gather0", "y", axis=1)


@reg("gather_irregular")
def _(g):  # 2-D indices, irregular: one-element slices, a concat, a reshape
    return g.n("Gather", [g.x([2, 3, 4]), g.c("idx", [[3, -4], [1, 1]])], "gather0", "y",
               axis=2)


@reg("gather_runtime_indices")
def _(g):
    g.inputs.append(helper.make_tensor_value_info("i", TensorProto.INT64, [2]))
    return g.n("Gather", [g.x([2, 3]), "i"], "gather0", "y", axis=1)


@reg("token_concat")
def _(g):  # ViT's class token: a constant concatenated to a feature map
    c = g.n("Conv", [g.x([1, 3, 8, 8]), g.w("cw", [8, 3, 4, 4]), g.w("cb", [8])], "conv0",
            strides=[4, 4])
    r = g.n("Reshape", [c, g.c("rshape", [1, 8, 4])], "reshape0")
    t = g.n("Transpose", [r], "transpose0", perm=[0, 2, 1])
    return g.n("Concat", [g.w("token", [1, 1, 8]), t], "concat0", "y", axis=1)


@reg("patchify")
def _(g):  # ViT's patch embedding: a 16 x 16 conv of stride 16 (beyond the
    # GEMM's 4-bit fields), then a 1-D conv of kernel 20 over the rows
    c = g.n("Conv", [g.x([1, 3, 32, 48]), g.w("pw", [8, 3, 16, 16]), g.w("pb", [8])], "patch0",
            strides=[16, 16])
    r = g.n("Relu", [c], "relu0")
    f = g.n("Reshape", [r, g.c("rshape", [1, 8, 6])], "rows0")
    return g.n("Conv", [f, g.w("lw", [4, 8, 20]), g.w("lb", [4])], "wide0", "y",
               pads=[8, 9], strides=[2])


@reg("tokens_linear")
def _(g):  # a transformer block's shapes in one image: 16 tokens x 8
    # features (axis 0 is the tokens), a linear layer, heads moved to axis 0
    c = g.n("Conv", [g.x([1, 3, 8, 8]), g.w("cw", [8, 3, 2, 2]), g.w("cb", [8])], "patch0",
            strides=[2, 2])
    r = g.n("Reshape", [c, g.c("rshape", [8, 16])], "rows0")
    t = g.n("Transpose", [r], "tokens0", perm=[1, 0])
    lin = g.n("Gemm", [t, g.w("lw", [8, 8]), g.w("lb", [8])], "linear0", transB=1)
    h = g.n("Reshape", [lin, g.c("hshape", [16, 2, 4])], "heads0")
    return g.n("Transpose", [h], "moved0", "y", perm=[1, 0, 2])


@reg("layer_scale_residual")
def _(g):  # ConvNeXt's residual: x + 1e-8 * branch(x), per channel
    c1 = g.n("Conv", [g.x([1, 4, 6, 6]), g.w("w1", [8, 4, 3, 3]), g.w("b1", [8])], "conv1",
             pads=[1, 1, 1, 1])
    c2 = g.n("Conv", [c1, g.w("w2", [8, 8, 3, 3]), g.w("b2", [8])], "conv2", pads=[1, 1, 1, 1])
    g.inits.append(numpy_helper.from_array(np.full([8, 1, 1], 1e-8, np.float32), "gamma"))
    s = g.n("Mul", [c2, "gamma"], "scale0")
    return g.n("Add", [c1, s], "add0", "y")


@reg("argmax_classifier")
def _(g):  # logits -> class index (int64 output), last index on ties
    g.out_types = {"y": TensorProto.INT64}
    fc = g.n("Gemm", [g.x([2, 6]), g.w("w", [4, 6]), g.w("b", [4])], "fc0", transB=1)
    g.nodes.append(helper.make_node("ArgMax", [fc], ["y"], name="argmax0", axis=1,
                                    keepdims=0, select_last_index=1))
    return "y"


@reg("argmax_row")
def _(g):  # ArgMax over a row (the lit test feeds it a NaN)
    g.out_types = {"y": TensorProto.INT64}
    g.nodes.append(helper.make_node("ArgMax", [g.x([1, 5])], ["y"], name="argmax0", axis=1,
                                    keepdims=0))
    return "y"


single("mvn_tiny", "MeanVarianceNormalization", [1, 3, 4, 4])


@reg("conv_sum_all", shape=[])
def _(g):  # a conv, then the sum of everything: a scalar result
    c = g.n("Conv", [g.x([1, 3, 8, 8]), g.w("w", [4, 3, 3, 3])], "conv0", pads=[1, 1, 1, 1])
    return g.n("ReduceSum", [c, g.c("axes", [0, 1, 2, 3])], "rs0", "y", keepdims=0)


@reg("const_output")
def _(g):  # torch's p * 2 + 1 returned beside a conv: folded to an initializer
    y = g.n("Conv", [g.x([2, 3, 8, 8]), g.w("w", [4, 3, 3, 3])], "conv0", "y", pads=[1, 1, 1, 1])
    g.out_shapes = {"k": [1, 4]}
    return [y, g.w("k", [1, 4], 1.0, 5.0)]


@reg("add_flat_flat")
def _(g):  # conv1(x).flatten(1) + conv2(x).flatten(1), then a linear layer
    x = g.x([2, 3, 8, 8])
    flat = []
    for i in range(2):
        c = g.n("Conv", [x, g.w("w%d" % i, [4, 3, 3, 3]), g.w("b%d" % i, [4])], "conv%d" % i,
                pads=[1, 1, 1, 1], strides=[2, 2])
        r = g.n("Relu", [c], "relu%d" % i)
        flat.append(g.n("Flatten", [r], "flatten%d" % i, axis=1))
    s = g.n("Add", flat, "add0")
    return g.n("Gemm", [s, g.w("fw", [5, 64]), g.w("fb", [5])], "fc0", "y", transB=1)


@reg("unsqueeze_flat_fc")
def _(g):  # conv(x).unsqueeze(1).flatten(1) -> linear: a 5-D int8 map
    c = g.n("Conv", [g.x([2, 3, 8, 8]), g.w("w", [4, 3, 3, 3])], "conv0", pads=[1, 1, 1, 1],
            strides=[2, 2])
    u = g.n("Unsqueeze", [c, g.c("axes", [1])], "unsqueeze0")
    f = g.n("Flatten", [u], "flatten0", axis=1)
    return g.n("Gemm", [f, g.w("fw", [5, 64]), g.w("fb", [5])], "fc0", "y", transB=1)


@reg("conv3x3_stack")
def _(g):  # 3x3 convs of stride 1 on a 64x64 and a 32x32 map, one of stride 2 between
    y = g.n("Conv", [g.x([1, 16, 64, 64]), g.w("w0", [64, 16, 3, 3], -0.2, 0.2)], "conv0",
            pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    y = g.n("Conv", [y, g.w("w1", [64, 64, 3, 3], -0.1, 0.1)], "conv1", pads=[1, 1, 1, 1],
            strides=[2, 2])
    y = g.n("Relu", [y], "relu1")
    return g.n("Conv", [y, g.w("w2", [64, 64, 3, 3], -0.1, 0.1)], "conv2", "y",
               pads=[1, 1, 1, 1])


@reg("conv1d_wide")
def _(g):  # raw audio: 1-D maps 8000 wide (beyond the 12-bit map fields)
    y = g.n("Conv", [g.x([1, 2, 8000]), g.w("w0", [8, 2, 3])], "conv0", pads=[1, 1])
    r = g.n("Relu", [y], "relu0")
    p = g.n("MaxPool", [r], "pool0", kernel_shape=[2], strides=[2])
    a = g.n("Add", [p, g.n("MaxPool", [r], "pool1", kernel_shape=[2], strides=[2])], "add0")
    return g.n("Conv", [a, g.w("w1", [8, 8, 3])], "conv1", "y", strides=[4])


@reg("conv3d_video")
def _(g):  # a video model's 3-D conv, ReLU, 3-D global pool, linear layer
    y = g.n("Conv", [g.x([1, 2, 4, 6, 6]), g.w("w", [4, 2, 3, 3, 3]), g.w("b", [4])], "conv0",
            pads=[1, 1, 1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    y = g.n("GlobalAveragePool", [y], "gap0")
    y = g.n("Flatten", [y], "flatten0", axis=1)
    return g.n("Gemm", [y, g.w("fw", [3, 4]), g.w("fb", [3])], "fc0", "y", transB=1)


@reg("causal_mask_softmax")
def _(g):  # a GPT-style causal mask: where(tril, scores, -inf), softmax
    y = g.n("Conv", [g.x([1, 4, 4, 4]), g.w("w", [4, 4, 1, 1])], "conv0")
    keep = g.c("keep", np.tril(np.ones((4, 4), bool)), bool)
    y = g.n("Where", [keep, y, g.c("neginf", -np.inf, np.float32)], "mask0")
    return g.n("Softmax", [y], "softmax0", "y", axis=-1)


def const_tokens(name, differ):
    @reg(name)
    def _(g):  # DETR's learned queries expanded to a static batch of 2, then a concat
        y = g.n("MatMul", [g.x([2, 3, 4]), g.w("w", [4, 4])], "matmul0")
        q = g.rng.uniform(-1, 1, (1, 2, 4)).astype(np.float32).repeat(2, 0)
        if differ:
            q[1] += 1
        g.inits.append(numpy_helper.from_array(q, "queries"))
        return g.n("Concat", ["queries", y], "concat0", "y", axis=1)


const_tokens("const_tokens_batch2", False)
const_tokens("const_tokens_batch2_differ", True)


@reg("peaks_equal")
def _(g):  # CenterNet's peaks: h * (maxpool3x3(h) == h), h = sigmoid(conv(x))
    h = g.n("Conv", [g.x([1, 4, 8, 8]), g.w("w", [4, 4, 3, 3])], "conv0", pads=[1, 1, 1, 1])
    h = g.n("Sigmoid", [h], "sigmoid0")
    m = g.n("MaxPool", [h], "pool0", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    keep = g.n("Cast", [g.n("Equal", [m, h], "equal0")], "cast0", to=TensorProto.FLOAT)
    return g.n("Mul", [h, keep], "mul0", "y")


@reg("tile")
def _(g):  # torch's repeat: 2 x 1 x 3
    return g.n("Tile", [g.x([1, 2, 3]), g.c("reps", [1, 2, 3])], "tile0", "y")


@reg("sum3")
def _(g):  # three inputs, the last broadcast
    return g.n("Sum", [g.x([2, 3], "a"), g.x([2, 3], "b"), g.x([3], "c")], "sum0", "y")


@reg("mean2")
def _(g):
    return g.n("Mean", [g.x([2, 3], "a"), g.x([2, 3], "b")], "mean0", "y")


@reg("instancenorm")
def _(g):  # scale and B per channel, over H and W
    return g.n("InstanceNormalization", [g.x([1, 3, 4, 5]), g.w("scale", [3]), g.w("B", [3])],
               "in0", "y", epsilon=1e-3)


@reg("layernorm17", opset=17)
def _(g):  # over the last axis, with B
    return g.n("LayerNormalization", [g.x([2, 3, 4]), g.w("scale", [4]), g.w("B", [4])],
               "ln0", "y", axis=-1, epsilon=1e-3)


@reg("constant_of_shape_batch", shape=["N", 2, 3])
def _(g):  # torch's full_like of a batched map: one sample, broadcast
    x = g.x(["N", 2, 3])
    s = g.n("Shape", [x], "shape0")
    fill = g.n("ConstantOfShape", [s], "fill0",
               value=helper.make_tensor("value", F, [1], [0.5]))
    return g.n("Add", [x, fill], "add0", "y")


@reg("maxpool_ceil_last_window_in_padding")
def _(g):  # ceil mode: ONNX's shape inference counts a 4th row whose window
    # starts in the bottom padding; torch and onnxruntime drop it (3 rows)
    return g.n("MaxPool", [g.x([1, 3, 20, 10])], "pool0", "y", kernel_shape=[7, 1],
               strides=[7, 1], pads=[1, 0, 1, 0], ceil_mode=1)


@reg("constant_of_shape_float")
def _(g):  # a float ConstantOfShape added to the input
    fill = g.n("ConstantOfShape", [g.c("shape", [1, 2, 3])], "fill0",
               value=helper.make_tensor("value", F, [1], [0.25]))
    return g.n("Add", [g.x([1, 2, 3]), fill], "add0", "y")


# --- Gemm / MatMul ----------------------------------------------------------
def gemm(name, opset, x, w, c=None, **attrs):
    def build(g):
        ins = [g.x(x), g.w("W", w)] + ([g.w("C", c)] if c is not None else [])
        return g.n("Gemm", ins, "gemm0", "y", **attrs)
    reg(name, opset)(build)


gemm("gemm9_transB", 9, [2, 4], [3, 4], [3], transB=1)
gemm("gemm9_transA_alpha_beta", 9, [4, 2], [4, 3], [2, 3], transA=1, alpha=0.5, beta=2.0)
gemm("gemm11_noC", 11, [2, 4], [4, 3])
gemm("gemm13_transB", 13, [2, 4], [3, 4], [3], transB=1)
gemm("gemm13_scalar_C", 13, [2, 4], [4, 3], [], beta=0.5)
gemm("gemm13_noC_transAB", 13, [4, 2], [3, 4], transA=1, transB=1, alpha=2.0)
# A weight over 1 MiB: the file reader loads such raw_data after the parse.
gemm("gemm13_big_weight", 13, [1, 600], [500, 600], [500], transB=1)


@reg("matmul2d")
def _(g):
    return g.n("MatMul", [g.x([2, 4]), g.w("W", [4, 3])], "matmul0", "y")


@reg("matmul3d_2d")
def _(g):
    return g.n("MatMul", [g.x([2, 3, 4]), g.w("W", [4, 5])], "matmul0", "y")


# --- BatchNormalization / Dropout / Softmax ---------------------------------
def bn(name, opset, **attrs):
    def build(g):
        ins = [g.x([1, 3, 4, 4]), g.w("scale", [3]), g.w("B", [3]), g.w("mean", [3]),
               g.w("var", [3], 0.5, 1.5)]
        return g.n("BatchNormalization", ins, "bn0", "y", **attrs)
    reg(name, opset)(build)


bn("bn9", 9, epsilon=1e-3)
bn("bn14", 14, epsilon=1e-5, momentum=0.9)
bn("bn15", 15)

single("dropout7", "Dropout", [1, 3, 4, 4], opset=7, ratio=0.3)


def dropout(name, opset, training=None):
    def build(g):
        ins = [g.x([1, 3, 4, 4]), g.c("ratio", 0.3, np.float32)]
        if training is not None:
            ins.append(g.c("training_mode", training, np.bool_))
        return g.n("Dropout", ins, "dropout0", "y")
    reg(name, opset)(build)


dropout("dropout12", 12)
dropout("dropout13", 13, training=False)

single("softmax11_axis1_4d", "Softmax", [1, 3, 2, 2], opset=11, axis=1)  # coerced to 2-D
single("softmax11_default", "Softmax", [2, 5], opset=11)                # axis 1
single("softmax13_last", "Softmax", [2, 5], axis=-1)
single("softmax13_axis1_4d", "Softmax", [1, 3, 2, 2], axis=1)           # along C only


# --- Identity / Constant ----------------------------------------------------
@reg("identity_chain")
def _(g):
    y = g.n("Identity", [g.x([2, 3])], "id0")
    y = g.n("Relu", [y], "relu0")
    y = g.n("Identity", [y], "id1")
    return g.n("Identity", [y], "id2", "y")


@reg("constant_weight")
def _(g):
    w = np.random.RandomState(0).uniform(-1, 1, [3, 2, 3, 3]).astype(np.float32)
    g.n("Constant", [], "w_const", "W", value=numpy_helper.from_array(w, "W"))
    return g.n("Conv", [g.x([1, 2, 5, 5]), "W"], "conv0", "y")


@reg("constant_scalar_add")
def _(g):
    g.n("Constant", [], "c_const", "c", value=helper.make_tensor("c", F, [], [0.5]))
    return g.n("Add", [g.x([2, 3]), "c"], "add0", "y")


# --- reductions, comparisons, where, expand, split, resize, deconv ----------
single("reduce_mean11", "ReduceMean", [2, 3, 4], opset=11, axes=[-1, 1], keepdims=0)
single("reduce_mean13_all", "ReduceMean", [2, 3, 4])
single("reduce_sum_square13", "ReduceSumSquare", [2, 3], axes=[0])


@reg("reduce_sum13")
def _(g):
    return g.n("ReduceSum", [g.x([2, 3, 4]), g.c("axes", [2, 0])], "rsum0", "y")


@reg("reduce_sum13_noop")
def _(g):
    return g.n("ReduceSum", [g.x([2, 3])], "rsum0", "y", noop_with_empty_axes=1)


@reg("where_masks", opset=16)
def _(g):  # y = where(x < B, x, 2x) + (x >= B) + (x == 0.5) + (x > B)
    x, b = g.x([2, 3]), g.w("B", [3])
    lt = g.n("Less", [x, b], "less0")
    two = g.n("Mul", [x, g.w("two", [], 2.0, 2.0)], "mul0")
    y = g.n("Where", [lt, x, two], "where0")
    ge = g.n("Cast", [g.n("GreaterOrEqual", [x, b], "ge0")], "cast0", to=F)
    eq = g.n("Cast", [g.n("Equal", [x, g.w("half", [], 0.5, 0.5)], "eq0")], "cast1", to=F)
    gt = g.n("Cast", [g.n("Greater", [x, b], "gt0")], "cast2", to=F)
    le = g.n("Cast", [g.n("LessOrEqual", [x, b], "le0")], "cast3", to=F)
    y = g.n("Add", [y, ge], "add0")
    y = g.n("Add", [y, eq], "add1")
    y = g.n("Add", [y, gt], "add2")
    return g.n("Sub", [y, le], "sub0", "y")


@reg("where_shape_fold", shape=[2, 12])
def _(g):  # the exporters' shape pattern: where(target == -1, shape(x), target)
    x = g.x([2, 3, 4])
    t = g.c("target", [-1, 12])
    eq = g.n("Equal", [t, g.c("minus1", [-1])], "eq0")
    sh = g.n("Slice", [g.n("Shape", [x], "shape0"), g.c("s0", [0]), g.c("s1", [2])], "slice0")
    shape = g.n("Where", [eq, sh, t], "where0")
    return g.n("Reshape", [x, shape], "reshape0", "y")


@reg("expand13")
def _(g):
    return g.n("Expand", [g.x([3, 1]), g.c("shape", [2, 1, 4])], "expand0", "y")


@reg("split11", opset=11)
def _(g):
    x = g.x([2, 6])
    g.nodes.append(helper.make_node("Split", [x], ["y0", "y1"], name="split0", axis=1,
                                    split=[2, 4]))
    return ["y0", "y1"]


@reg("split13_equal")
def _(g):
    x = g.x([4, 3])
    g.nodes.append(helper.make_node("Split", [x], ["y0", "y1"], name="split0"))
    return ["y0", "y1"]


@reg("conv_split_uneven")
def _(g):  # a conv's 8 channels split 3 + 5, each part through a ReLU
    c = g.n("Conv", [g.x([2, 3, 8, 8]), g.w("w", [8, 3, 3, 3])], "conv0", pads=[1, 1, 1, 1])
    g.nodes.append(helper.make_node("Split", [c, g.c("split", [3, 5])], ["s0", "s1"],
                                    name="split0", axis=1))
    return [g.n("Relu", ["s0"], "relu0", "y0"), g.n("Relu", ["s1"], "relu1", "y1")]


@reg("split13")
def _(g):
    x = g.x([2, 5])
    g.nodes.append(helper.make_node("Split", [x, g.c("split", [1, 4])], ["y0", "y1"],
                                    name="split0", axis=-1))
    return ["y0", "y1"]


@reg("resize13_linear_sizes")
def _(g):
    return g.n("Resize", [g.x([1, 2, 3, 4]), "", "", g.c("sizes", [1, 2, 5, 7])],
               "resize0", "y", mode="linear")


@reg("resize11_nearest_scales", opset=11)
def _(g):
    roi = g.w("roi", [0])
    g.inits.append(numpy_helper.from_array(np.array([1, 1, 2, 1.5], np.float32), "scales"))
    return g.n("Resize", [g.x([1, 2, 3, 4]), roi, "scales"], "resize0", "y",
               coordinate_transformation_mode="asymmetric", nearest_mode="floor")


@reg("upsample9", opset=9)
def _(g):
    g.inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"))
    return g.n("Upsample", [g.x([1, 2, 3, 3]), "scales"], "up0", "y")


@reg("convtranspose_group")
def _(g):
    return g.n("ConvTranspose", [g.x([1, 4, 3, 3]), g.w("W", [4, 3, 3, 3]), g.w("B", [6])],
               "deconv0", "y", group=2, strides=[2, 2], pads=[1, 1, 1, 1],
               output_padding=[1, 1])


@reg("matmul_bcast_batch")
def _(g):  # numpy matmul: batch dims [2, 1] and [5] broadcast to [2, 5]
    return g.n("MatMul", [g.x([2, 1, 3, 4]), g.w("B", [5, 4, 6])], "matmul0", "y")


@reg("cnn_resize_reduce")
def _(g):  # conv, 2x nearest upsampling, conv, ReduceMean over H and W
    y = g.n("Conv", [g.x([1, 3, 8, 8]), g.w("W0", [4, 3, 3, 3]), g.w("B0", [4])],
            "conv0", pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    g.inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"))
    y = g.n("Resize", [y, "", "scales"], "resize0", mode="nearest")
    y = g.n("Conv", [y, g.w("W1", [4, 4, 3, 3]), g.w("B1", [4])], "conv1",
            pads=[1, 1, 1, 1])
    return g.n("ReduceMean", [y], "mean0", "y", axes=[2, 3], keepdims=0)


@reg("resize_batch")
def _(g):  # a resize whose scales grow the batch axis
    g.inits.append(numpy_helper.from_array(np.array([2, 1, 1, 1], np.float32), "scales"))
    return g.n("Resize", [g.x([1, 2, 3, 3]), "", "scales"], "resize0", "y")


@reg("reduce_drop_batch")
def _(g):  # a reduction that drops axis 0 (extent 1)
    return g.n("ReduceSum", [g.x([1, 3, 4]), g.c("axes", [0])], "rsum0", "y", keepdims=0)


@reg("reduce_drop_batch_dynamic", shape=[3, 4])
def _(g):  # the same over a dynamic batch: it would sum the images
    return g.n("ReduceSum", [g.x(["N", 3, 4]), g.c("axes", [0])], "rsum0", "y", keepdims=0)


@reg("resize_batch2")
def _(g):  # a resize whose scales grow a batch of 2
    g.inits.append(numpy_helper.from_array(np.array([2, 1, 1, 1], np.float32), "scales"))
    return g.n("Resize", [g.x([2, 2, 3, 3]), "", "scales"], "resize0", "y")


@reg("conv_batchnorm_batch2")
def _(g):  # quantized convs and a residual add around a normalization over
    # the batch axis (axis 0 mixed) at a static batch of 2
    x = g.x([2, 3, 6, 6])
    y = g.n("Conv", [x, g.w("W", [8, 3, 3, 3]), g.w("B", [8])], "conv0",
            pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    m = g.n("ReduceMean", [y], "mean0", axes=[0], keepdims=1)
    d = g.n("Sub", [y, m], "sub0")
    z = g.n("Conv", [d, g.w("W2", [8, 8, 1, 1]), g.w("B2", [8])], "conv1")
    z = g.n("Add", [z, y], "add0")
    return g.n("Flatten", [g.n("GlobalAveragePool", [z], "gap0")], "flat0", "y")


@reg("conv_concat_batch2")
def _(g):  # a quantized concat of two images' maps along axis 0 (batch 2 -> 4)
    y = g.n("Conv", [g.x([2, 3, 6, 6]), g.w("W", [8, 3, 3, 3]), g.w("B", [8])],
            "conv0", pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    return g.n("Concat", [y, y], "cat0", "y", axis=0)


@reg("conv_concat_conv_batch2")
def _(g):  # the concat of two batches feeding a conv (kept float: axis 0 of
    # 4 is neither the batch nor 1)
    y = g.n("Conv", [g.x([2, 3, 6, 6]), g.w("W", [8, 3, 3, 3]), g.w("B", [8])],
            "conv0", pads=[1, 1, 1, 1])
    y = g.n("Relu", [y], "relu0")
    c = g.n("Concat", [y, g.n("Neg", [y], "neg0")], "cat0", axis=0)
    return g.n("Conv", [c, g.w("W2", [4, 8, 1, 1]), g.w("B2", [4])], "conv1", "y")


@reg("expand_per_image")
def _(g):  # broadcast within each image
    return g.n("Expand", [g.x([2, 3, 1]), g.c("shape", [3, 4])], "expand0", "y")


@reg("bad_upsample_down", opset=9)
def _(g):  # nearest downsampling has no defined rounding before Resize-11
    g.inits.append(numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "scales"))
    return g.n("Upsample", [g.x([1, 2, 4, 4]), "scales"], "up0", "y")


@reg("bad_resize_scales_input", shape=[1, 2, 6, 8])
def _(g):  # scales computed at run time (a graph input)
    g.inputs.append(helper.make_tensor_value_info("s", F, [4]))
    return g.n("Resize", [g.x([1, 2, 3, 4]), "", "s"], "resize0", "y")


# --- negative cases ---------------------------------------------------------
@reg("bad_unknown_op", invalid=True, shape=[1, 3, 4, 4])
def _(g):  # no schema: the checker rejects it; the node name is for diagnostics
    y = g.n("Relu", [g.x([1, 3, 4, 4])], "relu0")
    return g.n("Foo", [y], "mystery_node_7", "y")


@reg("bad_einsum", opset=12, shape=[2, 4])
def _(g):  # valid ONNX, an op the importer does not support
    return g.n("Einsum", [g.x([2, 3], "a"), g.x([3, 4], "b")], "einsum0", "y",
               equation="ij,jk->ik")


@reg("bad_opset6_add", opset=6)
def _(g):  # valid ONNX (Add-6, legacy broadcast semantics), below the supported range
    return g.n("Add", [g.x([2, 3], "a"), g.x([2, 3], "b")], "add0", "y")


@reg("bad_opset18_relu", opset=18, shape=[2, 3])
def _(g):  # opset above the supported range (onnx 1.12 itself accepts it)
    return g.n("Relu", [g.x([2, 3])], "relu0", "y")


@reg("bad_shape_mismatch", invalid=True, shape=[1, 4])
def _(g):  # 1x3 + 1x4 does not broadcast; strict shape inference rejects it
    return g.n("Add", [g.x([1, 3], "a"), g.x([1, 4], "b")], "add0", "y")


@reg("bad_conv_channels", shape=[1, 4, 6, 6])
def _(g):  # weight expects 2 input channels, x has 3 (onnx 1.12 does not notice)
    return g.n("Conv", [g.x([1, 3, 8, 8]), g.w("W", [4, 2, 3, 3])], "conv0", "y")


@reg("bad_undefined_input", invalid=True, shape=[2, 3])
def _(g):  # reads a value nothing defines
    return g.n("Add", [g.x([2, 3]), "nowhere"], "add0", "y")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", nargs="?", help="model to write")
    ap.add_argument("-o", "--output", help="output .onnx path")
    ap.add_argument("--list", action="store_true", help="print every model name")
    ap.add_argument("--all", metavar="DIR", help="write DIR/NAME.onnx for every model")
    args = ap.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    if args.all:
        os.makedirs(args.all, exist_ok=True)
        for name, make in MODELS.items():
            onnx.save(make(), os.path.join(args.all, name + ".onnx"))
        return 0
    if not args.name or not args.output:
        ap.error("need NAME -o OUT.onnx, --list or --all DIR")
    if args.name not in MODELS:
        sys.exit("make_onnx.py: unknown model '%s' (see --list)" % args.name)
    onnx.save(MODELS[args.name](), args.output)  # no checker: bad_* must save too
    return 0


if __name__ == "__main__":
    sys.exit(main())
