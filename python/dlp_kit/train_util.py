"""Shared training helpers: determinism, data, augmentation, one epoch, evaluation.

Everything runs on the CPU with a fixed number of torch threads (2 by default,
the machine is shared with C++ builds) and ``torch.use_deterministic_algorithms``;
all randomness (shuffling, augmentation, dropout, init) comes from seeded
generators, so the same arguments reproduce the same weights on the same
machine / torch build.

Import this module before torch is loaded elsewhere, or set
``OMP_WAIT_POLICY=PASSIVE`` yourself: libgomp's default busy-wait makes 2-thread
torch 5-10x slower whenever the 2 cores are shared.
"""

import json
import os
import random

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dlp_kit import fashion_mnist  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
#: Committed models (ONNX + JSON).
MODELS_DIR = os.path.normpath(os.path.join(_HERE, "..", "models"))
#: Torch checkpoints and logs (git-ignored build directory).
STATE_DIR = os.path.normpath(os.path.join(_HERE, "..", "..", "build", "kit"))


#: Graph input/output of every exported Fashion-MNIST model (the JSON metadata).
MODEL_IO = {
    "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32",
              "preprocessing": "pixel/255 in [0,1], no mean/std normalization"},
    "output": {"name": "logits", "shape": ["batch", 10]},
}


def write_json(out_dir, name, meta, indent):
    """Writes ``meta`` to ``out_dir/name.json`` (trailing newline)."""
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=indent)
        f.write("\n")


def export_matches(acc, onnx_acc, max_diff):
    """Whether the exported ONNX graph (numpy reference) reproduces torch:
    accuracy within 0.1 point and logits within 1e-3."""
    return abs(onnx_acc - acc) <= 1e-3 and max_diff < 1e-3


def set_determinism(seed, threads=2):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def load_fmnist():
    """``(x_train, y_train, x_test, y_test)`` torch tensors (images N x 1 x 28 x 28 in [0, 1])."""
    return (torch.from_numpy(fashion_mnist.load_images("train")),
            torch.from_numpy(fashion_mnist.load_labels("train")),
            torch.from_numpy(fashion_mnist.load_images("test")),
            torch.from_numpy(fashion_mnist.load_labels("test")))


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    """Test accuracy of ``model`` in eval mode, computed the way it is exported
    (``fc_as_conv`` temporarily off)."""
    was_training = model.training
    fc_as_conv = getattr(model, "fc_as_conv", None)
    if fc_as_conv:
        model.fc_as_conv = False
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    if fc_as_conv:
        model.fc_as_conv = fc_as_conv
    model.train(was_training)
    return correct / len(x)


def augment(xb, gen, flip=True, shift=0):
    """Random horizontal flip (p = 0.5) and a random translation by up to
    ``shift`` pixels in each direction (zero fill), per sample, drawn from ``gen``."""
    n = len(xb)
    if flip:
        f = torch.rand(n, generator=gen) < 0.5
        xb = torch.where(f[:, None, None, None], xb.flip(3), xb)
    if shift:
        k = 2 * shift + 1
        off = torch.randint(0, k * k, (n,), generator=gen)
        h, w = xb.shape[2:]
        xp = F.pad(xb, (shift, shift, shift, shift))
        out = torch.empty_like(xb)
        for o in torch.unique(off).tolist():
            sel = (off == o).nonzero().flatten()
            dy, dx = divmod(o, k)
            out[sel] = xp[sel, :, dy:dy + h, dx:dx + w]
        xb = out
    return xb


def train_epoch(model, opt, x, y, gen, batch_size=128, flip=True, shift=0,
                sched=None, after_step=None, memory_format=None, loss_fn=None):
    """One epoch of training over ``(x, y)`` in a random order.

    The loss is cross-entropy, or ``loss_fn(logits, xb, yb)`` (``xb`` the
    augmented batch). ``sched`` (optional) is stepped after every batch;
    ``after_step()`` is called after every optimizer step (INQ/pruning
    re-impose frozen weights and masks there). Returns the mean training loss."""
    model.train()
    n = len(x)
    perm = torch.randperm(n, generator=gen)
    tot = 0.0
    for i in range(0, n, batch_size):
        idx = perm[i:i + batch_size]
        xb = augment(x[idx], gen, flip, shift)
        if memory_format is not None:
            xb = xb.contiguous(memory_format=memory_format)
        opt.zero_grad(set_to_none=True)
        logits = model(xb)
        loss = F.cross_entropy(logits, y[idx]) if loss_fn is None else loss_fn(logits, xb, y[idx])
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if after_step is not None:
            after_step()
        tot += loss.item() * len(idx)
    return tot / n


def distillation_loss(teacher, alpha, temperature):
    """``loss_fn`` for :func:`train_epoch`: ``(1 - alpha) * CE(labels) + alpha *
    T^2 * KL(softmax(teacher/T) || softmax(student/T))`` (Hinton et al. 2015),
    the teacher in eval mode without gradients."""
    teacher.eval()
    T = float(temperature)

    def loss_fn(logits, xb, yb):
        with torch.no_grad():
            t = teacher(xb)
        kd = F.kl_div(F.log_softmax(logits / T, 1), F.log_softmax(t / T, 1),
                      reduction="batchmean", log_target=True) * (T * T)
        return (1.0 - alpha) * F.cross_entropy(logits, yb) + alpha * kd
    return loss_fn
