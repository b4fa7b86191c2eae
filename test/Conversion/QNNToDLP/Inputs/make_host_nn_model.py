"""Models whose quantized form keeps float operators the DLP lacks, built
with the onnx package (opset 13), random weights from a seed.

`ops`: x [N, 3, 8, 8] -> conv (constant weights, quantized) -> relu -> LRN
-> max pool (3x3, stride 2, pad 1) -> reflect pad -> average pool
(count_include_pad) -> batch norm -> reshape [N, 8, 9] -> matmul with its
own transpose (batch axes) -> softmax.
`weights`: every weight a model input (x [1, 2, 6, 6], w [1, 2, 3, 3],
b [1, 1, 6, 2], gw [1, 12]): conv with the input weight (pad 1) -> matmul
with b -> gemm with gw (transposed B, alpha, beta, a bias constant)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

kind, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = np.random.default_rng(seed)


def const(name, shape, scale=0.5):
    return numpy_helper.from_array(
        (r.standard_normal(shape) * scale).astype(np.float32), name)


F = TensorProto.FLOAT
if kind == "ops":
    inits = [const("w1", (8, 3, 3, 3)), const("b1", (8,)),
             const("s", (8,)), const("bb", (8,)), const("m", (8,), 0.1),
             numpy_helper.from_array(
                 (r.random(8) + 0.5).astype(np.float32), "v"),
             numpy_helper.from_array(np.array([0, 8, 9], np.int64), "shape"),
             numpy_helper.from_array(
                 np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1],
                         name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("LRN", ["r1"], ["lrn"], size=3, alpha=1e-2,
                         beta=0.75, bias=1.5, name="lrn"),
        helper.make_node("MaxPool", ["lrn"], ["mp"], kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1], name="maxpool"),
        helper.make_node("Pad", ["mp", "pads"], ["pd"], mode="reflect",
                         name="pad"),
        helper.make_node("AveragePool", ["pd"], ["ap"], kernel_shape=[2, 2],
                         strides=[2, 2], pads=[0, 0, 0, 0], name="avgpool"),
        helper.make_node("BatchNormalization", ["ap", "s", "bb", "m", "v"],
                         ["bn"], epsilon=1e-3, name="bn"),
        helper.make_node("Reshape", ["bn", "shape"], ["rs"], name="reshape"),
        helper.make_node("Transpose", ["rs"], ["tr"], perm=[0, 2, 1],
                         name="transpose"),
        helper.make_node("MatMul", ["rs", "tr"], ["mm"], name="matmul"),
        helper.make_node("Softmax", ["mm"], ["p"], axis=2, name="softmax"),
    ]
    ins = [helper.make_tensor_value_info("x", F, ["n", 3, 8, 8])]
    outs = [helper.make_tensor_value_info("p", F, ["n", 8, 8])]
else:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["cv"], pads=[1, 1, 1, 1],
                         name="conv_w"),
        helper.make_node("MatMul", ["cv", "b"], ["mm"], name="matmul"),
        helper.make_node("Reshape", ["mm", "flat"], ["fl"], name="flat"),
        helper.make_node("Gemm", ["fl", "gw", "c"], ["g"], transB=1,
                         alpha=0.5, beta=2.0, name="gemm"),
    ]
    inits = [const("c", (1,)),
             numpy_helper.from_array(np.array([1, 12], np.int64), "flat")]
    ins = [helper.make_tensor_value_info("x", F, [1, 2, 6, 6]),
           helper.make_tensor_value_info("w", F, [1, 2, 3, 3]),
           helper.make_tensor_value_info("b", F, [1, 1, 6, 2]),
           helper.make_tensor_value_info("gw", F, [1, 12])]
    outs = [helper.make_tensor_value_info("g", F, [1, 1])]
graph = helper.make_graph(nodes, kind, ins, outs, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, out)
