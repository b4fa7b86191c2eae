"""Train a small CNN on Fashion-MNIST and export it to ONNX (opset 13).

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.train_fmnist_cnn [--epochs N] [--out-dir DIR]

Network (input: float32 N x 1 x 28 x 28 in [0, 1], no normalization -- the same
tensors ``python -m dlp_kit.fashion_mnist`` writes):

    conv(1->16, 3x3, pad 1) - BN - ReLU - maxpool 2
    conv(16->32, 3x3, pad 1) - BN - ReLU - maxpool 2
    flatten - fc(32*7*7 -> 128) - ReLU - dropout - fc(128 -> 10)  -> logits

Training: Adam, step LR schedule, random horizontal flips, fixed seeds,
``torch.use_deterministic_algorithms(True)``, 2 CPU threads. The same
arguments give the same weights on the same machine/torch build.

Outputs (default directory ``python/models``):
  fmnist_cnn.onnx  opset 13, eval mode, input "input" / output "logits",
                   dynamic batch axis on both.
  fmnist_cnn.json  measured float test accuracy (torch and the exported ONNX
                   graph evaluated by a small numpy interpreter), epochs, seed,
                   hyper-parameters, torch version, training time.

After export the ONNX file is checked with ``onnx.checker`` and run through a
minimal numpy reference evaluator (Conv/BatchNormalization/Relu/MaxPool/Flatten/
Gemm/...; onnxruntime and onnx.reference are not available here) on the whole
test set at two batch sizes, and compared against the torch eval-mode model.
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np

# libgomp's default busy-wait makes 2-thread torch 5-10x slower whenever the
# 2 cores are shared with anything else (e.g. a parallel C++ build). Must be
# set before torch (and its OpenMP runtime) is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dlp_kit import fashion_mnist  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT_DIR = os.path.normpath(os.path.join(_HERE, "..", "models"))


class FmnistCNN(nn.Module):
    """The exported network. ``fc_as_conv`` only changes how the two fully
    connected layers are computed (see :meth:`forward`); the parameters and the
    exported graph are the same either way."""

    def __init__(self, dropout=0.3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
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


def set_determinism(seed, threads):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


# --------------------------------------------------------------------------
# Minimal numpy ONNX evaluator for the ops this export produces. Not a general
# ONNX runtime: unsupported ops/attributes raise NotImplementedError.
# --------------------------------------------------------------------------

def _attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv2d(x, w, b, strides, pads, dilations, group):
    if group != 1 or any(d != 1 for d in dilations):
        raise NotImplementedError("Conv with group/dilation")
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = strides
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    out = np.tensordot(w.reshape(m, -1), cols.reshape(n, c * kh * kw, oh * ow), axes=([1], [1]))
    out = out.transpose(1, 0, 2).reshape(n, m, oh, ow)
    if b is not None:
        out = out + b.reshape(1, m, 1, 1)
    return out.astype(x.dtype)


def _maxpool2d(x, kernel, strides, pads):
    if any(pads):
        raise NotImplementedError("MaxPool with padding")
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def run_onnx_numpy(model_proto, feeds):
    """Evaluate a (simple, NCHW float32) ONNX graph with numpy."""
    from onnx import numpy_helper
    g = model_proto.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    env.update(feeds)
    for node in g.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            k = ins[1].shape[2:]
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("Conv auto_pad")
            out = _conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                          a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                          a.get("dilations", [1, 1]), a.get("group", 1))
            assert tuple(a.get("kernel_shape", k)) == tuple(k)
        elif op == "BatchNormalization":
            x, s, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1, 1, 1)
            out = ((x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * s.reshape(sh)
                   + bias.reshape(sh)).astype(x.dtype)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            if a.get("ceil_mode", 0) or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("MaxPool ceil_mode/auto_pad")
            out = _maxpool2d(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]),
                             a.get("pads", [0, 0, 0, 0]))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            x = ins[0]
            out = x.reshape(int(np.prod(x.shape[:ax])), -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            out = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
            out = out.astype(np.float32)
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op in ("Identity", "Dropout"):
            out = ins[0]
        else:
            raise NotImplementedError("numpy ONNX evaluator: op %s" % op)
        env[node.output[0]] = out
    return [env[o.name] for o in g.output]


def export_onnx(model, path):
    model.eval()
    assert not model.fc_as_conv
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, path,
        opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )


def verify_onnx(path, model, x_test, y_test):
    """onnx.checker + numpy evaluation vs torch; returns (onnx_acc, max_abs_diff, op list)."""
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inp, out = m.graph.input[0], m.graph.output[0]
    assert inp.name == "input" and out.name == "logits", (inp.name, out.name)
    bdim = inp.type.tensor_type.shape.dim[0]
    assert bdim.dim_param and not bdim.dim_value, "batch axis is not dynamic: %s" % bdim
    assert m.opset_import[0].version == 13, m.opset_import
    ops = [n.op_type for n in m.graph.node]
    assert "Dropout" not in ops, "model was not exported in eval mode: %s" % ops

    model.eval()
    max_diff = 0.0
    correct = 0
    # Batch 1 on a few images, then the full test set in chunks (dynamic batch).
    for xb in (x_test[:1], x_test[1:8]):
        (ref,) = run_onnx_numpy(m, {"input": xb.numpy()})
        with torch.no_grad():
            t = model(xb).numpy()
        assert ref.shape == t.shape, (ref.shape, t.shape)
        max_diff = max(max_diff, float(np.abs(ref - t).max()))
    for i in range(0, len(x_test), 500):
        xb = x_test[i:i + 500]
        (ref,) = run_onnx_numpy(m, {"input": xb.numpy()})
        with torch.no_grad():
            t = model(xb).numpy()
        max_diff = max(max_diff, float(np.abs(ref - t).max()))
        correct += int((ref.argmax(1) == y_test[i:i + 500].numpy()).sum())
    return correct / len(x_test), max_diff, ops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--step-size", type=int, default=5, help="LR step every N epochs")
    ap.add_argument("--gamma", type=float, default=0.3, help="LR step factor")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--no-flip", action="store_true", help="disable horizontal-flip augmentation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
    ap.add_argument("--name", default="fmnist_cnn")
    ap.add_argument("--min-acc", type=float, default=0.905,
                    help="exit 1 if float test accuracy is below this")
    args = ap.parse_args(argv)

    set_determinism(args.seed, args.threads)
    x_tr = torch.from_numpy(fashion_mnist.load_images("train"))
    y_tr = torch.from_numpy(fashion_mnist.load_labels("train"))
    x_te = torch.from_numpy(fashion_mnist.load_images("test"))
    y_te = torch.from_numpy(fashion_mnist.load_labels("test"))

    model = FmnistCNN(args.dropout)
    model.fc_as_conv = True
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.step_size, gamma=args.gamma)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    n = len(x_tr)
    for epoch in range(1, args.epochs + 1):
        model.train()
        te = time.time()
        perm = torch.randperm(n, generator=gen)
        tot_loss = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = x_tr[idx], y_tr[idx]
            if not args.no_flip:
                flip = torch.rand(len(idx), generator=gen) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * len(idx)
        sched.step()
        acc = evaluate(model, x_te, y_te)
        print("epoch %2d  lr %.2e  loss %.4f  test acc %.4f  (%.1fs, total %.1fs)"
              % (epoch, opt.param_groups[0]["lr"], tot_loss / n, acc,
                 time.time() - te, time.time() - t0), flush=True)
    train_time = time.time() - t0

    model.eval()
    model.fc_as_conv = False
    acc = evaluate(model, x_te, y_te)
    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, args.name + ".onnx")
    export_onnx(model, onnx_path)
    onnx_acc, max_diff, ops = verify_onnx(onnx_path, model, x_te, y_te)
    size = os.path.getsize(onnx_path)
    print("float test accuracy: torch %.4f  onnx(numpy) %.4f  max|onnx-torch| %.3g  "
          "onnx %d bytes, ops %s" % (acc, onnx_acc, max_diff, size, sorted(set(ops))))

    meta = {
        "model": args.name,
        "onnx": os.path.basename(onnx_path),
        "onnx_bytes": size,
        "opset": 13,
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32",
                  "preprocessing": "pixel/255 in [0,1], no mean/std normalization"},
        "output": {"name": "logits", "shape": ["batch", 10]},
        "float_test_accuracy": round(acc, 6),
        "onnx_numpy_test_accuracy": round(onnx_acc, 6),
        "onnx_vs_torch_max_abs_diff": max_diff,
        "test_samples": len(y_te),
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "optimizer": "Adam",
        "lr": args.lr,
        "lr_schedule": {"type": "StepLR", "step_size": args.step_size, "gamma": args.gamma},
        "weight_decay": args.weight_decay,
        "dropout": args.dropout,
        "augmentation": "none" if args.no_flip else "random horizontal flip p=0.5",
        "threads": args.threads,
        "train_time_s": round(train_time, 1),
        "torch_version": torch.__version__,
        "onnx_ops": ops,
        "classes": list(fashion_mnist.CLASSES),
    }
    with open(os.path.join(args.out_dir, args.name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    ok = acc >= args.min_acc and abs(onnx_acc - acc) <= 1e-3 and max_diff < 1e-3
    if not ok:
        print("FAILED: accuracy %.4f (min %.4f), onnx acc %.4f, max diff %.3g"
              % (acc, args.min_acc, onnx_acc, max_diff), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
