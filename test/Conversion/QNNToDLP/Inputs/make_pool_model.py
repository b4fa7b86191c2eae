"""A CNN with every kind of pool and a residual add: max 3x3 / 2 padded,
average 2x2 / 2, average 3x3 / 1 padded without the padding in the count,
max 2x2 / 2 with dilation 2, a global average pool, and (wide=1) a global
average over 300 columns, beyond the POOL instruction's 8-bit window
fields. Random weights
(seeded by argv[2]); exported by torch to ONNX opset 13."""
import sys

import torch


class Net(torch.nn.Module):
    def __init__(self, wide):
        super().__init__()
        self.wide = wide
        self.c1 = torch.nn.Conv2d(3, 12, 3, padding=1)
        self.c2 = torch.nn.Conv2d(12, 10, 3, padding=1)
        self.c3 = torch.nn.Conv2d(10, 9, 1)
        self.c4 = torch.nn.Conv2d(10, 10, 1)
        self.fc = torch.nn.Linear(9, 5)

    def forward(self, x):
        y = torch.relu(self.c1(x))
        if not self.wide:
            y = torch.nn.functional.max_pool2d(y, 3, 2, 1)
            y = torch.nn.functional.avg_pool2d(y, 2, 2)
        y = torch.relu(self.c2(y))
        y = y + torch.relu(self.c4(y))
        y = torch.nn.functional.avg_pool2d(y, 3, 1, 1, count_include_pad=False)
        if not self.wide:
            y = torch.nn.functional.max_pool2d(y, 2, 2, dilation=2)
        y = torch.relu(self.c3(y))
        return self.fc(torch.nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


out, seed, wide = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(seed)
shape = (1, 3, 4, 300) if wide else (1, 3, 20, 18)
torch.onnx.export(Net(wide).eval(), torch.randn(*shape), out, opset_version=13,
                  input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
