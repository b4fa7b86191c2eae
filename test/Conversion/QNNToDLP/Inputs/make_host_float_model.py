"""A model whose quantized form keeps float ops the DLP lacks: input
normalization with constants, a squeeze-and-excitation gate (sigmoid of a pooled branch, multiplied back
onto the feature map with broadcasting), a tanh, and a softmax at the end.
Random weights (seeded); exported by torch to ONNX opset 13."""
import sys

import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 12, 3, padding=1)
        self.fc_se = torch.nn.Linear(12, 12)
        self.conv2 = torch.nn.Conv2d(12, 8, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(8 * 5 * 5, 10)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        # Input normalization in the graph: float ops on the model input
        # with constant operands (per-channel mean, a scalar std).
        x = (x - torch.tensor([0.5, -0.25, 0.125]).view(1, 3, 1, 1)) / 0.75
        y = torch.relu(self.conv1(x))
        s = torch.sigmoid(self.fc_se(self.pool(y).flatten(1)))
        y = y * s.view(-1, 12, 1, 1)
        y = torch.tanh(self.conv2(y))
        return torch.softmax(self.fc(y.flatten(1)), dim=1)


torch.manual_seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
net = Net().eval()
torch.onnx.export(net, torch.randn(1, 3, 10, 10), sys.argv[1], opset_version=13,
                  input_names=["x"], output_names=["p"],
                  dynamic_axes={"x": {0: "n"}, "p": {0: "n"}})
