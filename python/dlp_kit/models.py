"""Network definitions of the transform kit and BatchNorm folding.

Both networks take float32 N x 1 x 28 x 28 images in [0, 1] (no mean/std
normalization, see ``dlp_kit.fashion_mnist``) and return N x 10 logits.

``FmnistCNN`` (``arch="cnn"``), the bundled ``python/models/fmnist_cnn.onnx``::

    conv(1->16, 3x3, pad 1) - BN - ReLU - maxpool 2
    conv(16->32, 3x3, pad 1) - BN - ReLU - maxpool 2
    flatten - fc(32*7*7 -> 128) - ReLU - dropout - fc(128 -> 10)

``FmnistResNet`` (``arch="resnet"``), ``python/models/fmnist_resnet.onnx``::

    stem:   conv(1->w0, 3x3) - BN - ReLU                               28 x 28
    stage1: basic block(s) w0 -> w1, stride 1                          28 x 28
    stage2: basic block(s) w1 -> w2, first one stride 2               14 x 14
    stage3: basic block(s) w2 -> w3, first one stride 2                7 x 7
    global average pool - fc(w3 -> 10)

A basic block is ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with
3x3 convolutions; the shortcut is the identity, or ``conv1x1(stride) - BN``
when the stride or the width changes. The residual sum is a plain tensor ``+``
and therefore an ONNX ``Add`` in the export; the pool is
``AdaptiveAvgPool2d(1)`` (``GlobalAveragePool``).

``bn=False`` builds the same network without BatchNorm: every conv that had a
BN gets a bias instead and the BN slot holds an ``nn.Identity`` (no parameters,
no ONNX node). :func:`fold_batchnorm` turns an eval-mode BN model into such a
BN-free copy (``W' = W * g/sqrt(v+eps)``, ``b' = (b - mu) * g/sqrt(v+eps) + beta``,
computed in float64, stored as float32); the state dict of the copy loads into
``build_model(arch, bn=False)``. The power-of-two quantization (INQ, pruning)
works on these BN-free networks, i.e. on the weights the hardware sees.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class FmnistCNN(nn.Module):
    """The small CNN. ``fc_as_conv`` only changes how the two fully connected
    layers are computed (see :meth:`forward`); the parameters and the exported
    graph are the same either way.

    With the defaults (``bn=True``) the modules, their order and therefore the
    random initialisation are exactly those the committed ``fmnist_cnn.onnx``
    was trained from."""

    def __init__(self, dropout=0.3, bn=True):
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), norm(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), norm(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(128, 10)
        self.fc_as_conv = False

    def forward(self, x):
        h = self.features(x)
        if self.fc_as_conv:
            # Speed hack for training only: Debian's torch links the reference
            # netlib BLAS, so nn.Linear (addmm/mm) is ~5x slower than the whole
            # rest of the network. fc1 on the flattened C*H*W vector is exactly a
            # 7x7 valid convolution with the weight viewed as 128x32x7x7, and
            # fc2 a 1x1 convolution; those run through oneDNN. Same parameters,
            # same gradients, so export (fc_as_conv=False) gives Flatten+Gemm.
            h = self.relu(F.conv2d(h, self.fc1.weight.view(128, 32, 7, 7), self.fc1.bias))
            h = self.dropout(h)
            return F.conv2d(h, self.fc2.weight.view(10, 128, 1, 1), self.fc2.bias).flatten(1)
        h = self.relu(self.fc1(self.flatten(h)))
        return self.fc2(self.dropout(h))


class BasicBlock(nn.Module):
    """3x3 conv - BN - ReLU - 3x3 conv - BN, plus shortcut, then ReLU."""

    #: (conv, bn) attribute pairs folded by :func:`fold_batchnorm`.
    bn_pairs = (("conv1", "bn1"), ("conv2", "bn2"))

    def __init__(self, cin, cout, stride=1, bn=True):
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=not bn)
        self.bn1 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn)
        self.bn2 = norm(cout)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=not bn), norm(cout))
        else:
            self.shortcut = nn.Sequential()

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return self.relu(h + self.shortcut(x))


class FmnistResNet(nn.Module):
    """Small ResNet for 28 x 28 grayscale images (see the module docstring)."""

    def __init__(self, widths=(16, 16, 32, 64), blocks=(1, 1, 1), bn=True):
        super().__init__()
        if len(widths) != 4 or len(blocks) != 3:
            raise ValueError("widths needs 4 entries (stem + 3 stages), blocks 3")
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        w0 = widths[0]
        self.stem = nn.Sequential(nn.Conv2d(1, w0, 3, 1, 1, bias=not bn), norm(w0),
                                  nn.ReLU(inplace=True))
        layers, cin = [], w0
        for s, (w, nb) in enumerate(zip(widths[1:], blocks)):
            for b in range(nb):
                stride = 2 if (s > 0 and b == 0) else 1
                layers.append(BasicBlock(cin, w, stride, bn))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.blocks(self.stem(x)))))


ARCHS = {"cnn": FmnistCNN, "resnet": FmnistResNet}


def build_model(arch, **kwargs):
    """Instantiate ``ARCHS[arch](**kwargs)`` (e.g. ``bn=False`` for the BN-free form)."""
    if arch not in ARCHS:
        raise ValueError("unknown arch %r (have %s)" % (arch, sorted(ARCHS)))
    return ARCHS[arch](**kwargs)


def _fold_pair(conv, bn):
    """Fold eval-mode ``bn`` into ``conv`` in place (float64 arithmetic)."""
    if not isinstance(conv, nn.Conv2d) or not isinstance(bn, nn.BatchNorm2d):
        raise TypeError("expected Conv2d + BatchNorm2d, got %s + %s"
                        % (type(conv).__name__, type(bn).__name__))
    if not bn.track_running_stats or bn.running_mean is None:
        raise ValueError("BatchNorm without running statistics cannot be folded")
    with torch.no_grad():
        w = conv.weight.double()
        b = conv.bias.double() if conv.bias is not None else torch.zeros(
            conv.out_channels, dtype=torch.float64)
        gamma = bn.weight.double() if bn.affine else torch.ones_like(b)
        beta = bn.bias.double() if bn.affine else torch.zeros_like(b)
        scale = gamma / torch.sqrt(bn.running_var.double() + bn.eps)
        new_w = (w * scale.view(-1, 1, 1, 1)).float()
        new_b = ((b - bn.running_mean.double()) * scale + beta).float()
        conv.weight.data.copy_(new_w)
        if conv.bias is None:
            conv.bias = nn.Parameter(new_b)
        else:
            conv.bias.data.copy_(new_b)


def fold_batchnorm(model):
    """Return a BN-free deep copy of ``model`` with every BatchNorm2d folded into
    the convolution before it and replaced by ``nn.Identity``.

    Folded pairs: a ``Conv2d`` directly followed by a ``BatchNorm2d`` inside any
    ``nn.Sequential``, and the ``(conv, bn)`` attribute pairs a module lists in
    ``bn_pairs`` (e.g. :class:`BasicBlock`). Raises ``ValueError`` if a
    BatchNorm is left over. The input model is not modified; the copy is in
    eval mode.
    """
    m = copy.deepcopy(model).eval()
    for mod in list(m.modules()):
        if isinstance(mod, nn.Sequential):
            kids = list(mod._modules.items())
            for (_, a), (nb, b) in zip(kids, kids[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    _fold_pair(a, b)
                    mod._modules[nb] = nn.Identity()
        for conv_name, bn_name in getattr(mod, "bn_pairs", ()):
            bn = getattr(mod, bn_name)
            if isinstance(bn, nn.BatchNorm2d):
                _fold_pair(getattr(mod, conv_name), bn)
                setattr(mod, bn_name, nn.Identity())
    left = [n for n, x in m.named_modules() if isinstance(x, nn.modules.batchnorm._BatchNorm)]
    if left:
        raise ValueError("BatchNorm layers not folded (no conv before them): %s" % left)
    return m


def quant_layers(model):
    """``[(name, module)]`` of the Conv2d / Linear layers whose weights are
    quantized (in ``named_modules`` order); biases stay float."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def count_macs(model, input_shape=(1, 1, 28, 28)):
    """Multiply-accumulates per image of the Conv2d / Linear layers, by layer name."""
    macs = {}
    hooks = []
    for name, mod in quant_layers(model):
        def hook(mod, inp, out, name=name):
            per_out = mod.weight[0].numel()  # (cin/groups)*kh*kw or in_features
            macs[name] = int(out[0].numel() * per_out)
        hooks.append(mod.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return macs


def save_checkpoint(path, arch, kwargs, model, **extra):
    """Save ``{"arch", "kwargs", "state_dict", **extra}`` with ``torch.save``;
    :func:`load_checkpoint` rebuilds the model from it."""
    import os
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(dict(extra, arch=arch, kwargs=dict(kwargs),
                    state_dict={k: v.detach().clone().contiguous()
                                for k, v in model.state_dict().items()}), path)


def load_checkpoint(path):
    """Return ``(model, checkpoint dict)`` for a file written by :func:`save_checkpoint`
    (model in eval mode)."""
    ck = torch.load(path, map_location="cpu")
    model = build_model(ck["arch"], **ck["kwargs"])
    model.load_state_dict(ck["state_dict"])
    return model.eval(), ck
