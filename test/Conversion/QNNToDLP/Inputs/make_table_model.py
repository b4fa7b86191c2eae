"""A model whose activations sit between quantized layers: sigmoid, tanh,
hard-sigmoid and hard-swish after convs, a tanh between two fully-connected
layers (a flat map) and an ELU-free leaky ReLU. Random weights (seeded);
exported by torch to ONNX opset 14 (HardSwish is an ONNX op from 14)."""
import sys

import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 12, 3, padding=1)
        self.c2 = torch.nn.Conv2d(12, 10, 3, padding=1)
        self.c3 = torch.nn.Conv2d(10, 9, 3, stride=2, padding=1)
        self.c4 = torch.nn.Conv2d(9, 8, 3, padding=1)
        self.c5 = torch.nn.Conv2d(8, 8, 1)
        self.fc1 = torch.nn.Linear(8 * 5 * 5, 20)
        self.fc2 = torch.nn.Linear(20, 10)

    def forward(self, x):
        y = torch.sigmoid(self.c1(x))
        y = torch.tanh(self.c2(y))
        y = torch.nn.functional.hardsigmoid(self.c3(y))
        y = torch.nn.functional.hardswish(self.c4(y))
        y = torch.nn.functional.leaky_relu(self.c5(y), 0.1)
        y = torch.tanh(self.fc1(y.flatten(1)))
        return self.fc2(y)


torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
net = Net().eval()
torch.onnx.export(net, torch.randn(1, 3, 10, 10), sys.argv[1], opset_version=14,
                  input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
