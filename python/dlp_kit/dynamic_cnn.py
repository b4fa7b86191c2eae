"""A small CNN exported by torch with dynamic batch, height and width.

The shape of a real vision export (issue #12): ``dynamic_axes`` on the batch
and the spatial axes, a residual block, an adaptive average pool and a
flatten written ``x.reshape(x.shape[0], -1)`` (a ``Shape`` -> ``Gather`` ->
``Concat`` -> ``Reshape`` subgraph on a tensor with dynamic extents).

    /usr/bin/python3 -m dlp_kit.dynamic_cnn OUT.onnx [--seed S]
        [--input X.npy --output Y.npy ...]

writes the export (opset 13, input ``x`` N x 3 x H x W, output ``logits``
N x 10, random init) and, for every ``--input`` / ``--output`` pair, torch's
output on that input: the float reference for the importer and evaluators.
"""

import argparse
import sys

import numpy as np
import torch


class DynamicCNN(torch.nn.Module):
    """conv-relu-maxpool, a residual block, a strided conv, adaptive pool, linear."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.res1 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.res2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.down = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.gap = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(16, classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.stem(x)))
        x = torch.relu(x + self.res2(torch.relu(self.res1(x))))
        x = self.gap(torch.relu(self.down(x)))
        return self.fc(x.reshape(x.shape[0], -1))


def build(seed=0):
    torch.manual_seed(seed)
    return DynamicCNN().eval()


def export(model, path):
    """Opset 13, eval mode, dynamic batch / height / width on the input."""
    torch.onnx.export(
        model, torch.zeros(1, 3, 32, 32), path, opset_version=13,
        input_names=["x"], output_names=["logits"],
        dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"},
                      "logits": {0: "batch"}},
        do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--output", action="append", default=[])
    a = ap.parse_args(argv)
    if len(a.input) != len(a.output):
        ap.error("give one --output per --input")
    torch.set_num_threads(1)
    model = build(a.seed)
    export(model, a.out)
    for xi, yo in zip(a.input, a.output):
        with torch.no_grad():
            y = model(torch.from_numpy(np.load(xi))).numpy()
        np.save(yo, y)
    return 0


if __name__ == "__main__":
    sys.exit(main())
