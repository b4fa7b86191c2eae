"""Train a small CNN on Fashion-MNIST and export it to ONNX (opset 13).

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.train_fmnist_cnn [--epochs N] [--out-dir DIR]
        [--state-dir DIR]

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
  build/kit/fmnist_cnn.pt  (``--state-dir``) checkpoint (``models.save_checkpoint``:
                   arch, kwargs, float state_dict with BatchNorm); the input of ``dlp_kit.inq`` and ``dlp_kit.prune``.
                   Not committed (git-ignored build directory).

The network class is ``dlp_kit.models.FmnistCNN``; the ONNX export and the
numpy evaluator live in ``dlp_kit.onnx_ref`` (both re-exported here).

After export the ONNX file is checked with ``onnx.checker`` and run through a
minimal numpy reference evaluator (Conv/BatchNormalization/Relu/MaxPool/Flatten/
Gemm/...; onnxruntime and onnx.reference are not available here) on the whole
test set at two batch sizes, and compared against the torch eval-mode model.
"""

import argparse
import os
import sys
import time

from dlp_kit import train_util  # noqa: F401  (sets OMP_WAIT_POLICY before torch)
from dlp_kit.train_util import (MODEL_IO, MODELS_DIR, STATE_DIR, evaluate,  # noqa: F401
                                export_matches, load_fmnist, set_determinism,
                                train_epoch, write_json)

import torch  # noqa: E402

from dlp_kit import fashion_mnist  # noqa: E402
from dlp_kit.models import FmnistCNN, save_checkpoint  # noqa: E402,F401
from dlp_kit.onnx_ref import export_onnx, run_onnx_numpy, verify_onnx  # noqa: E402,F401

DEFAULT_OUT_DIR = MODELS_DIR
#: Where the float torch state_dicts go (git-ignored; input of dlp_kit.inq / dlp_kit.prune).
DEFAULT_STATE_DIR = STATE_DIR


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
    ap.add_argument("--state-dir", default=DEFAULT_STATE_DIR,
                    help="where NAME.pt (float state_dict) is written; '' to skip")
    ap.add_argument("--min-acc", type=float, default=0.905,
                    help="exit 1 if float test accuracy is below this")
    args = ap.parse_args(argv)

    set_determinism(args.seed, args.threads)
    x_tr, y_tr, x_te, y_te = load_fmnist()

    model = FmnistCNN(args.dropout)
    model.fc_as_conv = True
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.step_size, gamma=args.gamma)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        te = time.time()
        loss = train_epoch(model, opt, x_tr, y_tr, gen, args.batch_size,
                           flip=not args.no_flip)
        sched.step()
        acc = evaluate(model, x_te, y_te)
        print("epoch %2d  lr %.2e  loss %.4f  test acc %.4f  (%.1fs, total %.1fs)"
              % (epoch, opt.param_groups[0]["lr"], loss, acc,
                 time.time() - te, time.time() - t0), flush=True)
    train_time = time.time() - t0

    model.eval()
    model.fc_as_conv = False
    acc = evaluate(model, x_te, y_te)
    os.makedirs(args.out_dir, exist_ok=True)
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
        save_checkpoint(os.path.join(args.state_dir, args.name + ".pt"), "cnn",
                        {"dropout": args.dropout}, model, float_test_accuracy=acc)
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
        **MODEL_IO,
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
    write_json(args.out_dir, args.name, meta, indent=2)
    ok = acc >= args.min_acc and export_matches(acc, onnx_acc, max_diff)
    if not ok:
        print("FAILED: accuracy %.4f (min %.4f), onnx acc %.4f, max diff %.3g"
              % (acc, args.min_acc, onnx_acc, max_diff), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
