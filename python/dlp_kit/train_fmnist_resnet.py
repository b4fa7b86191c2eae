"""Train the small ResNet on Fashion-MNIST and export it to ONNX (opset 13).

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.train_fmnist_resnet [--epochs N]
        [--out-dir DIR] [--state-dir DIR]

Network: ``dlp_kit.models.FmnistResNet`` (input float32 N x 1 x 28 x 28 in
[0, 1], no normalization), by default

    stem conv(1->16, 3x3) - BN - ReLU                                 28 x 28
    basic block 16 -> 16                                              28 x 28
    basic block 16 -> 32, stride 2, 1x1 conv + BN shortcut            14 x 14
    basic block 32 -> 64, stride 2, 1x1 conv + BN shortcut             7 x 7
    global average pool - fc(64 -> 10)  -> logits

(7 convolutions + 2 shortcut convolutions + 1 fc, 78k parameters, 9.3 M MACs
per image). The exported graph is Conv/Relu/Add/GlobalAveragePool/Flatten/Gemm:
torch folds the eval-mode BatchNorms into the convolutions when it exports, and
the residual sums are ONNX ``Add`` nodes.

Training: SGD with Nesterov momentum, one-cycle LR schedule (``OneCycleLR``,
cosine), weight decay, random horizontal flips (random shifts of up to
``--shift`` pixels are available, off by default), channels-last tensors
(faster oneDNN convolutions), fixed seeds,
``torch.use_deterministic_algorithms(True)``, 2 CPU threads.

Outputs:
  python/models/fmnist_resnet.onnx  opset 13, eval mode, "input" -> "logits",
                                    dynamic batch axis.
  python/models/fmnist_resnet.json  measured float test accuracy (torch and the
                                    exported graph run by the numpy evaluator of
                                    ``dlp_kit.onnx_ref``), max |onnx - torch|,
                                    hyper-parameters, wall time of training.
  build/kit/fmnist_resnet.pt        checkpoint with BatchNorm (input of
                                    ``dlp_kit.inq``; git-ignored).

Measured numbers are in the JSON (nothing here is hard-coded); exits 1 if the
float accuracy is below ``--min-acc`` or the ONNX check disagrees with torch.
"""

import argparse
import os
import sys
import time

from dlp_kit import train_util  # noqa: F401  (sets OMP_WAIT_POLICY before torch)
from dlp_kit.train_util import (MODEL_IO, MODELS_DIR, STATE_DIR, evaluate,
                                export_matches, load_fmnist, set_determinism,
                                train_epoch, write_json)

import torch  # noqa: E402

from dlp_kit import fashion_mnist  # noqa: E402
from dlp_kit.models import FmnistResNet, count_macs, save_checkpoint  # noqa: E402
from dlp_kit.onnx_ref import export_onnx, verify_onnx  # noqa: E402


def _ints(s):
    return tuple(int(v) for v in s.split(","))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1, help="peak LR of the one-cycle schedule")
    ap.add_argument("--pct-start", type=float, default=0.25, help="warm-up fraction")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--widths", type=_ints, default=(16, 16, 32, 64),
                    help="stem,stage1,stage2,stage3 widths")
    ap.add_argument("--blocks", type=_ints, default=(1, 1, 1), help="blocks per stage")
    ap.add_argument("--no-flip", action="store_true", help="disable horizontal flips")
    ap.add_argument("--shift", type=int, default=0, help="max random shift in pixels (0: off)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out-dir", default=MODELS_DIR)
    ap.add_argument("--state-dir", default=STATE_DIR,
                    help="where NAME.pt (checkpoint with BN) is written; '' to skip")
    ap.add_argument("--name", default="fmnist_resnet")
    ap.add_argument("--min-acc", type=float, default=0.92,
                    help="exit 1 if the float test accuracy is below this")
    args = ap.parse_args(argv)

    set_determinism(args.seed, args.threads)
    x_tr, y_tr, x_te, y_te = load_fmnist()
    kwargs = {"widths": list(args.widths), "blocks": list(args.blocks)}
    model = FmnistResNet(**kwargs)
    cl = torch.channels_last
    model = model.to(memory_format=cl)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          nesterov=True, weight_decay=args.weight_decay)
    steps = (len(x_tr) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps,
        pct_start=args.pct_start)
    gen = torch.Generator().manual_seed(args.seed)

    history = []
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        te = time.time()
        loss = train_epoch(model, opt, x_tr, y_tr, gen, args.batch_size,
                           flip=not args.no_flip, shift=args.shift, sched=sched,
                           memory_format=cl)
        acc = evaluate(model, x_te, y_te)
        history.append({"epoch": epoch, "loss": round(loss, 5), "test_acc": acc,
                        "time_s": round(time.time() - te, 1)})
        print("epoch %2d  loss %.4f  test acc %.4f  (%.1fs, total %.1fs)"
              % (epoch, loss, acc, time.time() - te, time.time() - t0), flush=True)
    train_time = time.time() - t0

    model = model.to(memory_format=torch.contiguous_format).eval()
    acc = evaluate(model, x_te, y_te)
    if args.state_dir:
        save_checkpoint(os.path.join(args.state_dir, args.name + ".pt"), "resnet", kwargs,
                        model, float_test_accuracy=acc)
    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, args.name + ".onnx")
    export_onnx(model, onnx_path)
    tv = time.time()
    onnx_acc, max_diff, ops = verify_onnx(onnx_path, model, x_te, y_te)
    size = os.path.getsize(onnx_path)
    print("float test accuracy: torch %.4f  onnx(numpy) %.4f  max|onnx-torch| %.3g  "
          "onnx %d bytes, ops %s (verify %.0fs)"
          % (acc, onnx_acc, max_diff, size, sorted(set(ops)), time.time() - tv))

    macs = count_macs(model)
    meta = {
        "model": args.name,
        "onnx": os.path.basename(onnx_path),
        "onnx_bytes": size,
        "opset": 13,
        **MODEL_IO,
        "arch": "resnet",
        "arch_kwargs": kwargs,
        "parameters": sum(p.numel() for p in model.parameters()),
        "macs_per_image": sum(macs.values()),
        "float_test_accuracy": round(acc, 6),
        "onnx_numpy_test_accuracy": round(onnx_acc, 6),
        "onnx_vs_torch_max_abs_diff": max_diff,
        "test_samples": len(y_te),
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "optimizer": "SGD nesterov momentum %g" % args.momentum,
        "lr_schedule": {"type": "OneCycleLR (cos)", "max_lr": args.lr,
                        "pct_start": args.pct_start},
        "weight_decay": args.weight_decay,
        "augmentation": ", ".join(
            ([] if args.no_flip else ["random horizontal flip p=0.5"])
            + (["random shift up to %d px (zero fill)" % args.shift] if args.shift else []))
        or "none",
        "threads": args.threads,
        "train_time_s": round(train_time, 1),
        "history": history,
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
