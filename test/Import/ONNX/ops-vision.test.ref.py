#!/usr/bin/python3
"""numpy references of make_onnx.py's where_masks, where_shape_fold,
matmul_bcast_batch and convtranspose_group against dlp-eval's output: prints the model, the shape
and "ok" when the largest difference is within float32 rounding."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

name, model, xpath, ypath = sys.argv[1:5]
m = onnx.load(model)
w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
x = np.load(xpath).astype(np.float64)
y = np.load(ypath)
if name == "where_masks":
    b = w["B"]
    ref = (np.where(x < b, x, 2 * x) + (x >= b) + (x == 0.5) + (x > b) - (x <= b))
elif name == "matmul_bcast_batch":
    ref = np.matmul(x, w["B"])
elif name == "where_shape_fold":
    ref = x.reshape(2, 12)
else:  # convtranspose_group: groups of 2 input -> 3 output channels, s2 p1 op1
    W, B = w["W"], w["B"]
    n, c, h, wd = x.shape
    full = np.zeros((n, 6, (h - 1) * 2 + 3 + 1, (wd - 1) * 2 + 3 + 1))
    for g in range(2):
        for ci in range(2):
            for co in range(3):
                for i in range(h):
                    for j in range(wd):
                        full[:, g * 3 + co, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += \
                            x[:, g * 2 + ci, i, j][:, None, None] * W[g * 2 + ci, co]
    ref = full[:, :, 1:1 + 6, 1:1 + 6] + B[None, :, None, None]
diff = float(np.abs(ref - y).max()) if ref.shape == y.shape else float("inf")
print("%s shape %s %s" % (name, y.shape, "ok" if diff < 1e-5 else "BAD %g" % diff))
