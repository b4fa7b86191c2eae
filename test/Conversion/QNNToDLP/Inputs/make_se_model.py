"""A model with two squeeze-and-excitation blocks (per-channel scaling of a
feature map by a gate computed from its global mean): the first gate is a
clamp(0, 1) of a conv (an int8 map, so x * gate becomes qnn.channel_mul),
the second a sigmoid (a float gate: that product stays float). Random
weights (seeded); exported by torch to ONNX opset 14."""
import sys

import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 12, 3, padding=1)
        self.s1 = torch.nn.Conv2d(12, 4, 1)
        self.s2 = torch.nn.Conv2d(4, 12, 1)
        self.c2 = torch.nn.Conv2d(12, 10, 3, stride=2, padding=1)
        self.s3 = torch.nn.Conv2d(10, 3, 1)
        self.s4 = torch.nn.Conv2d(3, 10, 1)
        self.fc = torch.nn.Linear(10 * 5 * 5, 10)

    def forward(self, x):
        y = torch.relu(self.c1(x))
        s = self.s1(y.mean((2, 3), keepdim=True))
        g = torch.clamp(self.s2(torch.relu(s)), 0, 1)
        y = torch.relu(self.c2(y * g))
        s = self.s3(y.mean((2, 3), keepdim=True))
        g = torch.sigmoid(self.s4(torch.relu(s)))
        y = y * g
        return self.fc(y.flatten(1))


torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
net = Net().eval()
torch.onnx.export(net, torch.randn(1, 3, 10, 10), sys.argv[1], opset_version=14,
                  input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
