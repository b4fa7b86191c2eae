"""Regenerate every committed model of ``python/models`` from scratch.

    cd <repo> && PYTHONPATH=python /usr/bin/python3 -m dlp_kit.make_models [--only NAME ...]
        [--reuse-checkpoints] [--dry-run] [--out-dir DIR]

Runs, in this order, each as its own process (fresh seeds, deterministic torch
on 2 threads, ``OMP_WAIT_POLICY=PASSIVE``):

    fmnist_cnn               train_fmnist_cnn         float CNN      -> build/kit/fmnist_cnn.pt
    fmnist_resnet            train_fmnist_resnet      float ResNet   -> build/kit/fmnist_resnet.pt
    fmnist_cnn_inq           inq    (fmnist_cnn.pt)       pow2-4 CNN
    fmnist_resnet_inq        inq    (fmnist_resnet.pt)    pow2-4 ResNet
    fmnist_cnn_sparse50_inq  prune  (fmnist_cnn.pt)       50 % pruned + pow2-4 CNN
    fmnist_cnn_sparse90_inq  prune  (fmnist_cnn.pt)       90 % pruned + pow2-4 CNN

Every step writes ``python/models/NAME.onnx`` + ``NAME.json`` (measured
accuracies, max |onnx - torch|, wall times) and exits non-zero if its checks
fail, which stops the sequence. The float checkpoints (git-ignored,
``build/kit``) are the inputs of the INQ / pruning steps; ``--reuse-checkpoints``
skips a training step whose checkpoint already exists. ``--dry-run`` prints the
commands (the exact command lines to run by hand). The same arguments
reproduce the same models on the same machine / torch build (checked: a full
run reproduced every committed ONNX file byte for byte); tests use the
committed files and never retrain -- ``python -m dlp_kit.check_models``
re-checks them (onnx.checker, pow2 weights, numpy accuracy) without torch.
At the end a table of the accuracies and times is printed from the JSON files.
About 40 minutes on the 2-core machine (CNN 3-5 min, ResNet 9-10 min, INQ and
pruning runs 4-10 min each).
"""

import argparse
import json
import os
import subprocess
import sys
import time

from dlp_kit.train_util import MODELS_DIR

_CNN = os.path.join("build", "kit", "fmnist_cnn.pt")
_RESNET = os.path.join("build", "kit", "fmnist_resnet.pt")

#: (name, module, arguments, checkpoint it writes or None). The hyper-parameters
#: are the ones the committed models were produced with.
STEPS = [
    ("fmnist_cnn", "train_fmnist_cnn", [], _CNN),
    ("fmnist_resnet", "train_fmnist_resnet", [], _RESNET),
    # CNN: Adam 1e-3, 4 epochs per step, 2 bias epochs (the inq.py defaults).
    ("fmnist_cnn_inq", "inq",
     ["--checkpoint", _CNN, "--name", "fmnist_cnn_inq"], None),
    # ResNet: the BN-free ResNet is retrained with SGD (as it was trained) and
    # distillation from the float model (cross-entropy only lost ~0.35-0.45 points).
    ("fmnist_resnet_inq", "inq",
     ["--checkpoint", _RESNET, "--name", "fmnist_resnet_inq", "--optimizer", "sgd",
      "--lr", "0.01", "--weight-decay", "5e-4", "--distill", "0.7",
      "--distill-temperature", "2"], None),
    ("fmnist_cnn_sparse50_inq", "prune",
     ["--checkpoint", _CNN, "--name", "fmnist_cnn_sparse50_inq", "--sparsity", "0.5"], None),
    # 90 % of all Conv/Linear weights: the two small layers (first conv, 144
    # weights; last fc, 1280) keep half their weights, fc1 makes up for it.
    # Uniform 90 % per layer gave 84.9 % (first conv left with 14 weights).
    ("fmnist_cnn_sparse90_inq", "prune",
     ["--checkpoint", _CNN, "--name", "fmnist_cnn_sparse90_inq", "--sparsity", "0.9",
      "--prune-steps", "3", "--layer-sparsity", "features.0=0.5",
      "--layer-sparsity", "fc2=0.5", "--layer-sparsity", "fc1=0.903",
      "--distill", "0.7", "--distill-temperature", "2"], None),
]


def _repo_root():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def summary(out_dir):
    """Rows of (model, float acc, final acc, onnx acc, sparsity, time) from the JSONs."""
    rows = []
    for name, _, _, _ in STEPS:
        p = os.path.join(out_dir, name + ".json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            m = json.load(f)
        final = m.get("final_test_accuracy", m.get("float_test_accuracy"))
        steps = " ".join("%.2f" % (100 * s["test_acc_after_retrain"])
                         for s in m.get("inq_steps", []))
        sp = m.get("sparsity", {}).get("zero_fraction")
        t = m.get("total_time_s", m.get("train_time_s"))
        rows.append((name, m["float_test_accuracy"], final, m["onnx_numpy_test_accuracy"],
                     m["onnx_vs_torch_max_abs_diff"], sp, steps, t))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=[s[0] for s in STEPS],
                    help="run only these steps (their inputs must exist)")
    ap.add_argument("--reuse-checkpoints", action="store_true",
                    help="skip a training step whose build/kit checkpoint exists")
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    ap.add_argument("--out-dir", default=MODELS_DIR)
    args = ap.parse_args(argv)

    root = _repo_root()
    env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"), OMP_WAIT_POLICY="PASSIVE")
    for name, module, extra, ckpt in STEPS:
        if args.only and name not in args.only:
            continue
        out_dir = os.path.relpath(os.path.abspath(args.out_dir), root)
        cmd = [sys.executable, "-m", "dlp_kit." + module] + extra + ["--out-dir", out_dir]
        if ckpt and args.reuse_checkpoints and os.path.exists(os.path.join(root, ckpt)):
            print("== %s: reusing %s" % (name, ckpt), flush=True)
            continue
        print("== %s: PYTHONPATH=python %s" % (name, " ".join(cmd)), flush=True)
        if args.dry_run:
            continue
        t = time.time()
        rc = subprocess.call(cmd, cwd=root, env=env)
        if rc:
            print("== %s FAILED (exit %d)" % (name, rc), file=sys.stderr)
            return rc
        print("== %s done in %.0fs" % (name, time.time() - t), flush=True)
    if not args.dry_run:
        print("\n%-26s %8s %8s %8s %10s %8s  %-24s %7s"
              % ("model", "float", "final", "onnx", "max|diff|", "zeros", "INQ steps", "time"))
        for r in summary(args.out_dir):
            print("%-26s %8.4f %8.4f %8.4f %10.2g %8s  %-24s %6.0fs"
                  % (r[0], r[1], r[2], r[3], r[4], "-" if r[5] is None else "%.3f" % r[5],
                     r[6], r[7] or 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
