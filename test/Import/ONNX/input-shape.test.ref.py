#!/usr/bin/python3
"""numpy reference of make_onnx.py's cnn_dynamic_hw (conv 3x3 stride 2 pad 1,
ReLU, reshape to (N, -1)) against dlp-eval's output: prints the shape and
the largest difference, "ok" within a float32 tolerance of the sums."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

m = onnx.load(sys.argv[1])
w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
x = np.load(sys.argv[2]).astype(np.float64)
y = np.load(sys.argv[3])
W, B = w["W"].astype(np.float64), w["B"].astype(np.float64)
N, C, H, Wd = x.shape
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
OH, OW = (H + 2 - 3) // 2 + 1, (Wd + 2 - 3) // 2 + 1
out = np.zeros((N, W.shape[0], OH, OW))
for oy in range(OH):
    for ox in range(OW):
        patch = xp[:, :, 2 * oy:2 * oy + 3, 2 * ox:2 * ox + 3]
        out[:, :, oy, ox] = np.einsum("nckl,ockl->no", patch, W) + B
ref = np.maximum(out, 0).reshape(N, -1)
diff = float(np.abs(ref - y).max()) if ref.shape == y.shape else float("inf")
# 27 products of |x| < 5 and |w| <= 1 in float32: 1e-4 is ample.
print("shape %s max abs diff %.3g %s" % (y.shape, diff, "ok" if diff < 1e-4 else "BAD"))
