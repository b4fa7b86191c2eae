#!/usr/bin/python3
"""Export a randomly initialised torchvision model to ONNX plus a golden I/O pair.

    /usr/bin/python3 test/models/export_torchvision.py --model NAME --out DIR [--force]

NAME: resnet18 resnet50 squeezenet1_1 alexnet googlenet vgg16 mobilenet_v2

There are no pretrained weights on this machine, so the weights are random
(``torch.manual_seed(0)`` before construction; googlenet with
``aux_logits=False, init_weights=True``). With random weights the BatchNorm
running statistics are the defaults (mean 0, var 1), which lets activations
grow or shrink layer after layer, so before export they are re-estimated:
every BN layer gets ``momentum=None`` (cumulative average) and fresh running
stats, the model runs ``--bn-batches`` (4) random batches of 8x3x224x224
standard-normal data in train mode under ``no_grad``, then ``eval()``. Models
without BN (alexnet, squeezenet1_1, vgg16) skip this.

Writes into DIR:
  model.onnx   opset 13, batch 1, constant folding on, input "input", output "output"
               (torch folds BatchNorm into the preceding Conv in eval-mode export)
  input.npy    x: float32 1x3x224x224, standard normal from a torch generator seeded 1
  output.npy   torch's eval-mode output for x, float32 (1x1000)
  meta.json    max|output|, std of output, export time, ONNX op histogram, ...

Fails (exit 1) if the output is not finite or max|output| < --min-max-abs
(1e-3): the model test's error bound is 1e-4 * max(1, max|torch|), which would
be meaningless on a vanishing output.

Cache: if DIR/meta.json exists, is newer than this script and the other three
files exist, nothing is done (use --force to re-export).
"""

import argparse
import collections
import json
import os
import sys
import time

import numpy as np

MODELS = ("resnet18", "resnet50", "squeezenet1_1", "alexnet", "googlenet", "vgg16",
          "mobilenet_v2")
OUTPUT_FILES = ("model.onnx", "input.npy", "output.npy", "meta.json")
INPUT_SEED = 1
WEIGHT_SEED = 0
BN_SEED = 2


def cache_valid(out_dir, model_name):
    meta_path = os.path.join(out_dir, "meta.json")
    if not all(os.path.exists(os.path.join(out_dir, f)) for f in OUTPUT_FILES):
        return False
    if os.path.getmtime(meta_path) <= os.path.getmtime(os.path.abspath(__file__)):
        return False
    try:
        with open(meta_path) as f:
            return json.load(f).get("model") == model_name
    except (OSError, ValueError):
        return False


def build_model(name):
    import torch
    import torchvision

    torch.manual_seed(WEIGHT_SEED)
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    return getattr(torchvision.models, name)(**kwargs)


def recalibrate_bn(model, batches, batch_size):
    """Re-estimate BN running stats on random data; returns the number of BN layers."""
    import torch

    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    for bn in bns:
        bn.momentum = None  # cumulative moving average over all batches seen
        bn.reset_running_stats()
    gen = torch.Generator().manual_seed(BN_SEED)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(batch_size, 3, 224, 224, generator=gen))
    return len(bns)


def export(name, out_dir, args):
    import onnx
    import torch

    torch.set_num_threads(args.threads)
    t_start = time.time()
    model = build_model(name)
    n_bn = recalibrate_bn(model, args.bn_batches, args.bn_batch_size)
    model.eval()
    t_bn = time.time() - t_start

    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(INPUT_SEED))
    with torch.no_grad():
        y = model(x)
    if not isinstance(y, torch.Tensor):
        raise TypeError("%s returned %s, expected a tensor (aux outputs on?)" % (name, type(y)))

    os.makedirs(out_dir, exist_ok=True)
    # Remove meta.json first so an interrupted export never looks cached.
    meta_path = os.path.join(out_dir, "meta.json")
    if os.path.exists(meta_path):
        os.remove(meta_path)
    onnx_path = os.path.join(out_dir, "model.onnx")
    t0 = time.time()
    torch.onnx.export(
        model, x, onnx_path,
        opset_version=13,
        do_constant_folding=True,
        input_names=["input"], output_names=["output"],
        training=torch.onnx.TrainingMode.EVAL,
    )
    export_time = time.time() - t0

    # The export must not have changed the model (e.g. BN stats or train mode).
    with torch.no_grad():
        y2 = model(x)
    if not torch.equal(y, y2):
        raise RuntimeError("%s: output changed across torch.onnx.export (max diff %g)"
                           % (name, (y - y2).abs().max().item()))

    onnx.checker.check_model(onnx_path)
    m = onnx.load(onnx_path)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    opset = [(o.domain or "ai.onnx", o.version) for o in m.opset_import]
    del m

    x_np = x.numpy().astype(np.float32)
    y_np = y.numpy().astype(np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x_np)
    np.save(os.path.join(out_dir, "output.npy"), y_np)

    finite = bool(np.isfinite(y_np).all())
    meta = {
        "model": name,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "opset": opset,
        "weights": "random, torch.manual_seed(%d)%s" % (
            WEIGHT_SEED, ", aux_logits=False, init_weights=True" if name == "googlenet" else ""),
        "bn_layers": n_bn,
        "bn_recalibration": ({"batches": args.bn_batches, "batch_size": args.bn_batch_size,
                              "data": "standard normal, seed %d" % BN_SEED,
                              "momentum": None} if n_bn else None),
        "input": {"name": "input", "shape": list(x_np.shape), "dtype": "float32",
                  "data": "standard normal, torch.Generator seed %d" % INPUT_SEED},
        "output": {"name": "output", "shape": list(y_np.shape), "dtype": "float32"},
        "max_abs_output": float(np.abs(y_np).max()) if finite else None,
        "std_output": float(y_np.std()) if finite else None,
        "mean_output": float(y_np.mean()) if finite else None,
        "output_finite": finite,
        "export_time_s": round(export_time, 3),
        "build_and_bn_time_s": round(t_bn, 3),
        "onnx_bytes": os.path.getsize(onnx_path),
        "onnx_ops": dict(sorted(ops.items())),
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(meta_path + ".tmp", meta_path)
    return meta


def check_stats(meta, min_max_abs):
    if not meta["output_finite"]:
        return "output contains NaN/Inf"
    if meta["max_abs_output"] < min_max_abs:
        return "max|output| = %.3g < %.3g (vanishing output)" % (meta["max_abs_output"],
                                                                  min_max_abs)
    return None


def print_stats(meta, cached=False):
    def f(v):
        return "nan" if v is None else "%.4g" % v
    print("%s: max|output|=%s std=%s mean=%s export=%.2fs onnx=%.1fMB%s ops=%s"
          % (meta["model"], f(meta["max_abs_output"]), f(meta["std_output"]),
             f(meta["mean_output"]), meta["export_time_s"], meta["onnx_bytes"] / 1e6,
             " (cached)" if cached else "",
             ",".join("%s:%d" % kv for kv in meta["onnx_ops"].items())), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, choices=MODELS)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--force", action="store_true", help="re-export even if cached")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bn-batches", type=int, default=4)
    ap.add_argument("--bn-batch-size", type=int, default=8)
    ap.add_argument("--min-max-abs", type=float, default=1e-3,
                    help="fail if max|output| is below this")
    args = ap.parse_args(argv)
    # libgomp busy-waiting makes multi-threaded torch crawl when the cores are
    # shared (parallel builds); set before torch is first imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    if not args.force and cache_valid(args.out, args.model):
        with open(os.path.join(args.out, "meta.json")) as f:
            meta = json.load(f)
        print_stats(meta, cached=True)
    else:
        meta = export(args.model, args.out, args)
        print_stats(meta)
    err = check_stats(meta, args.min_max_abs)
    if err:
        print("error: %s: %s" % (args.model, err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
