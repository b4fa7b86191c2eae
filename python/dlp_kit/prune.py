"""Magnitude pruning with fine-tuning, then INQ to power-of-two weights with the masks kept.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.prune --checkpoint build/kit/fmnist_cnn.pt \\
        --sparsity 0.9 --name fmnist_cnn_sparse90_inq [--prune-steps 3] \\
        [--finetune-epochs 3] [--layer-sparsity features.0=0.5 ...] [--distill ALPHA]

(``dlp_kit.make_models`` has the exact arguments of the committed models.)

Input: a float checkpoint with BatchNorm (``train_fmnist_cnn`` /
``train_fmnist_resnet``). Procedure:

1. Fold BatchNorm into the convolutions (``models.fold_batchnorm``); pruning
   and INQ act on the BN-free weights the hardware sees.
2. Prune every Conv / Linear weight per layer by magnitude: the smallest |w| of
   the layer are set to 0 until the layer reaches its target sparsity (the
   ``--sparsity`` for every layer unless ``--layer-sparsity NAME=S`` overrides
   it). With ``--prune-steps K > 1`` the target is reached gradually with the
   cubic schedule of Zhu & Gupta (2017), s_k = s * (1 - (1 - k/K)^3), and the
   network is fine-tuned for ``--finetune-epochs`` after every step (Adam,
   ``--finetune-lr`` with cosine decay; optional distillation from the float
   model with ``--distill``, as in ``dlp_kit.inq``). A pruned weight stays
   pruned: its gradient is zero and it is re-zeroed after every optimizer step
   (masks fixed). Biases are not pruned. The JSON records each layer's target
   and measured sparsity and the overall fraction.
3. INQ exactly as ``dlp_kit.inq`` (fixed per-channel windows from the pruned,
   fine-tuned weights; 50 -> 75 -> 87.5 -> 100 % of the SURVIVING weights of
   each layer quantized and frozen, retraining in between, then the biases),
   with the pruning masks kept: pruned weights are exactly 0 and never part of
   a partition. Surviving weights may also quantize to 0 (below 2^(n2-1)), so
   the final zero count can exceed the pruned count; both are reported.
4. Checks (every weight 0 or in its channel's window, pruned weights 0, fixed
   point of the quantizer), ONNX export (opset 13, dynamic batch), onnx.checker,
   numpy evaluation of the whole test set against torch.

Outputs: ``OUT_DIR/NAME.onnx`` + ``NAME.json`` (per layer: pruned count, zero
count, measured sparsity, windows, exponent histogram; test accuracy of the float
and folded model, after every pruning step and fine-tuning, after every INQ step,
final torch and ONNX-numpy accuracy; hyper-parameters; wall times) and the
checkpoint ``build/kit/NAME.pt``. Numbers are measured by the run, see the JSON.
"""

import argparse
import os
import sys
import time

from dlp_kit import train_util  # noqa: F401  (sets OMP_WAIT_POLICY before torch)
from dlp_kit.train_util import MODEL_IO, evaluate, export_matches, write_json

import torch  # noqa: E402

from dlp_kit.inq import (add_training_args, export_pow2, hyper_params,  # noqa: E402
                         layer_report, prepare, retrain, run_inq, save_pow2_checkpoint)
from dlp_kit.models import count_macs  # noqa: E402


def schedule(target, steps):
    """Cubic (Zhu & Gupta) sparsity ramp ending at ``target`` after ``steps`` steps."""
    return [target * (1.0 - (1.0 - k / steps) ** 3) for k in range(1, steps + 1)]


def _layer_sparsity(s):
    name, _, v = s.partition("=")
    if not name or not v:
        raise argparse.ArgumentTypeError("expected NAME=SPARSITY, got %r" % s)
    return name, float(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help="float checkpoint (.pt, with BN)")
    ap.add_argument("--name", required=True, help="output base name")
    ap.add_argument("--sparsity", type=float, required=True,
                    help="target fraction of pruned weights in every Conv/Linear layer")
    ap.add_argument("--layer-sparsity", type=_layer_sparsity, action="append", default=[],
                    metavar="NAME=S", help="per-layer override of --sparsity (repeatable)")
    ap.add_argument("--prune-steps", type=int, default=1,
                    help="gradual pruning steps (cubic schedule), fine-tuning after each")
    ap.add_argument("--finetune-epochs", type=int, default=3,
                    help="fine-tuning epochs after every pruning step")
    ap.add_argument("--finetune-lr", type=float, default=1e-3)
    add_training_args(ap, lr=1e-3, epochs=4)
    args = ap.parse_args(argv)

    (t0, data, gen, model, ck, acc_float, acc_folded, kwargs, loss_fn,
     cons) = prepare(args)
    _, _, x_te, y_te = data
    names = [n for n, _ in cons.layers]
    over = dict(args.layer_sparsity)
    unknown = set(over) - set(names)
    if unknown:
        ap.error("unknown layer(s) %s; layers are %s" % (sorted(unknown), names))
    targets = {n: over.get(n, args.sparsity) for n in names}

    # ---- pruning + fine-tuning with fixed masks ----
    tp = time.time()
    prune_steps = []
    for k in range(1, args.prune_steps + 1):
        ts = time.time()
        ramp = {n: schedule(targets[n], args.prune_steps)[k - 1] for n in names}
        cons.prune_to(ramp)
        acc_p = evaluate(model, x_te, y_te)
        print("prune step %d: sparsity %s, test acc after pruning %.4f"
              % (k, {n: round(v, 4) for n, v in ramp.items()}, acc_p), flush=True)
        hist = retrain(model, cons, data, args.finetune_epochs, args.finetune_lr, args, gen,
                       tag="finetune %d" % k, loss_fn=loss_fn)
        acc = evaluate(model, x_te, y_te)
        prune_steps.append({"step": k, "layer_sparsity": ramp,
                            "test_acc_after_prune": acc_p, "test_acc_after_finetune": acc,
                            "epochs": args.finetune_epochs, "history": hist,
                            "time_s": round(time.time() - ts, 1)})
        print("prune step %d done: test acc %.4f" % (k, acc), flush=True)
    prune_time = time.time() - tp
    acc_pruned = evaluate(model, x_te, y_te)
    pruned_report = cons.sparsity()

    # ---- INQ on the surviving weights ----
    tq = time.time()
    steps = run_inq(model, cons, data, args, gen, loss_fn=loss_fn)
    inq_time = time.time() - tq
    acc = evaluate(model, x_te, y_te)
    os.makedirs(args.out_dir, exist_ok=True)
    res = export_pow2(model, cons, os.path.join(args.out_dir, args.name + ".onnx"), x_te, y_te)
    save_pow2_checkpoint(args, ck, kwargs, model, cons, acc,
                         masks={n: cons.alive[n].clone() for n in names})

    layers = layer_report(cons)
    tot_w = sum(v["weights"] for v in layers.values())
    tot_pruned = sum(v["pruned"] for v in layers.values())
    tot_zero = sum(v["zeros"] for v in layers.values())
    macs = count_macs(model)
    dense_macs = sum(macs.values())
    nz_macs = sum(macs[n] * (1 - layers[n]["zeros"] / layers[n]["weights"]) for n in names)
    meta = dict(
        model=args.name, source_checkpoint=os.path.relpath(args.checkpoint),
        arch=ck["arch"], arch_kwargs=kwargs,
        weights="magnitude-pruned per layer (masks fixed), then power-of-two 4-bit by INQ "
                "on the surviving weights (per-output-channel windows fixed before INQ); "
                "biases float32; BatchNorm folded",
        **MODEL_IO,
        target_sparsity=targets,
        sparsity={"weights": tot_w, "pruned": tot_pruned, "zeros": tot_zero,
                  "pruned_fraction": round(tot_pruned / tot_w, 6),
                  "zero_fraction": round(tot_zero / tot_w, 6),
                  "dense_macs_per_image": dense_macs,
                  "nonzero_weight_macs_per_image": int(round(nz_macs))},
        float_test_accuracy=acc_float, folded_test_accuracy=acc_folded,
        prune_steps=prune_steps, pruned_float_test_accuracy=acc_pruned,
        pruned_layers=pruned_report,
        inq_steps=steps, final_test_accuracy=acc,
        accuracy_change_vs_float=round(acc - acc_float, 6),
        accuracy_change_vs_pruned_float=round(acc - acc_pruned, 6),
        **res,
        test_samples=len(y_te), layers=layers,
        hyper_parameters=dict(hyper_params(args), prune_steps=args.prune_steps,
                              finetune_epochs=args.finetune_epochs,
                              finetune_lr=args.finetune_lr,
                              prune_schedule="cubic (Zhu & Gupta 2017)"),
        prune_time_s=round(prune_time, 1), inq_time_s=round(inq_time, 1),
        total_time_s=round(time.time() - t0, 1), torch_version=torch.__version__)
    write_json(args.out_dir, args.name, meta, indent=1)
    print("%s: float %.4f, pruned %.4f (%.1f %% pruned, %.1f %% zeros), pow2 %.4f, "
          "onnx(numpy) %.4f, %.0fs"
          % (args.name, acc_float, acc_pruned, 100 * tot_pruned / tot_w, 100 * tot_zero / tot_w,
             acc, res["onnx_numpy_test_accuracy"], time.time() - t0))
    ok = export_matches(acc, res["onnx_numpy_test_accuracy"],
                        res["onnx_vs_torch_max_abs_diff"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
