"""Incremental network quantization (INQ, Zhou et al. 2017) to power-of-two 4-bit weights.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.inq --checkpoint build/kit/fmnist_cnn.pt \\
        --name fmnist_cnn_inq [--epochs-per-step 4] [--lr 1e-3] [--optimizer adam|sgd]
        [--distill ALPHA] [--out-dir python/models]

(``dlp_kit.make_models`` has the exact arguments of the committed models.)

Input: a float checkpoint written by ``train_fmnist_cnn`` / ``train_fmnist_resnet``
(``models.save_checkpoint``; networks with BatchNorm). Procedure:

1. Fold every BatchNorm into the convolution before it (``models.fold_batchnorm``):
   INQ acts on the weights the hardware sees. The folded network is the one
   retrained; it has the float accuracy (checked and recorded).
2. Fix the exponent windows once: per output channel of every Conv / Linear
   weight, ``n1 = floor(log2(4*max|W_c|/3))`` from the folded weights
   (``pow2.window_n1``); they do not move afterwards. Biases stay float.
3. For the accumulated frozen fractions 50 % -> 75 % -> 87.5 % -> 100 %: in every
   layer, the largest-|w| weights among those not yet frozen are quantized with
   ``pow2.pow2_quantize(W, n1)`` and frozen until the layer's frozen count is
   ``round(fraction * N)`` (N = weights of the layer; with a pruning mask, only
   the surviving weights: pruned weights stay exactly 0 and are never part of a
   partition). Then the network is retrained for ``--epochs-per-step`` epochs:
   frozen weights get a zero gradient and are re-written after every optimizer
   step (so momentum / weight decay cannot move them); the free weights and all
   biases learn. After the 100 % step every weight is frozen; ``--bias-epochs``
   more epochs then retrain only the biases.
4. Assert that every weight is exactly in ``{0, +-2^n : n2 <= n <= n1}`` of its
   channel (INQ's fixed windows) and is a fixed point of the quantizer with
   windows recomputed from the weights themselves, as the compiler does
   (``pow2.check_pow2``); export to ONNX (opset 13, dynamic batch), check with
   ``onnx.checker``, re-check the weights read back from the ONNX file, and run
   the whole test set through the numpy evaluator of ``dlp_kit.onnx_ref``
   against torch.

Outputs: ``OUT_DIR/NAME.onnx`` and ``OUT_DIR/NAME.json`` (test accuracy of the
float model, of the folded model, after quantizing and after retraining at each
step, final torch and ONNX-numpy accuracy, max |onnx - torch| logit difference,
per-layer windows / exponent histograms, hyper-parameters, wall times) and the
final checkpoint ``build/kit/NAME.pt`` (BN-free architecture, ``bn: false``).

Retraining uses Adam (or SGD with ``--optimizer sgd``) at a small LR with a
cosine decay inside each step, the training set with random horizontal flips
(and ``--shift`` pixel shifts), fixed seeds and deterministic torch on 2
threads. ``--distill ALPHA`` adds knowledge distillation from the float
(folded) network: loss = (1-ALPHA) * CE + ALPHA * T^2 * KL(teacher || student)
at temperature ``--distill-temperature`` (the ResNet uses it, see
``make_models``). The numbers are whatever the run measures; see the JSON.
"""

import argparse
import copy
import math
import os
import sys
import time

from dlp_kit import train_util  # noqa: F401  (sets OMP_WAIT_POLICY before torch)
from dlp_kit.train_util import (MODEL_IO, MODELS_DIR, STATE_DIR, distillation_loss,
                                evaluate, export_matches, load_fmnist, set_determinism,
                                train_epoch, write_json)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dlp_kit import pow2  # noqa: E402
from dlp_kit.models import (count_macs, fold_batchnorm, load_checkpoint,  # noqa: E402
                            quant_layers, save_checkpoint)
from dlp_kit.onnx_ref import export_onnx, layer_weights, verify_onnx  # noqa: E402

#: Accumulated frozen fractions of the INQ steps.
DEFAULT_FRACTIONS = (0.5, 0.75, 0.875, 1.0)


class WeightConstraints:
    """Per-layer pruning masks and INQ frozen weights of a BN-free network.

    For every Conv2d / Linear weight ``W`` of ``model`` it keeps ``alive``
    (bool, False = pruned, value pinned to 0), ``frozen`` (bool, quantized and
    fixed) and ``value`` (the frozen values). :meth:`apply` writes the pinned
    values into the weights; :meth:`install_hooks` zeroes their gradients.
    """

    def __init__(self, model, masks=None):
        self.model = model
        self.layers = quant_layers(model)
        self.alive, self.frozen, self.value = {}, {}, {}
        for name, mod in self.layers:
            w = mod.weight
            alive = masks[name].clone().bool() if masks and name in masks else \
                torch.ones_like(w, dtype=torch.bool)
            self.alive[name] = alive
            self.frozen[name] = torch.zeros_like(w, dtype=torch.bool)
            self.value[name] = torch.zeros_like(w)
        self.n1 = None
        self._hooks = []
        self.apply()

    # -- masks ---------------------------------------------------------------
    def pinned(self, name):
        """Weights that must not change: pruned or frozen."""
        return self.frozen[name] | ~self.alive[name]

    @torch.no_grad()
    def apply(self):
        for name, mod in self.layers:
            w = mod.weight
            w.copy_(torch.where(self.pinned(name), self.value[name], w))

    def install_hooks(self):
        self.remove_hooks()
        for name, mod in self.layers:
            keep = (~self.pinned(name)).to(mod.weight.dtype)
            self._hooks.append(mod.weight.register_hook(lambda g, k=keep: g * k))

    def remove_hooks(self):
        for h in self._hooks:
            h.remove()
        self._hooks = []

    # -- pruning -------------------------------------------------------------
    @torch.no_grad()
    def prune_to(self, sparsity):
        """Per layer, prune (among the still alive weights) the smallest |w| until
        ``round(s * N)`` of the layer's N weights are pruned; ``sparsity`` is a
        float or a dict ``{layer name: s}``. Ties broken by index (stable)."""
        for name, mod in self.layers:
            s = sparsity[name] if isinstance(sparsity, dict) else sparsity
            shape = mod.weight.shape
            alive = self.alive[name].reshape(-1).clone()
            n = alive.numel()
            need = int(round(s * n)) - (n - int(alive.sum()))
            if need <= 0:
                continue
            a = mod.weight.detach().abs().reshape(-1).double()
            a = torch.where(alive, a, torch.full_like(a, math.inf))
            order = torch.from_numpy(np.argsort(a.numpy(), kind="stable"))[:need]
            alive[order] = False
            value = self.value[name].reshape(-1).clone()
            value[order] = 0.0
            self.alive[name] = alive.view(shape)
            self.value[name] = value.view(shape)
        self.apply()

    # -- INQ -----------------------------------------------------------------
    def fix_windows(self):
        """Compute the per-channel windows n1 from the current weights (once)."""
        self.n1 = {name: pow2.window_n1(mod.weight) for name, mod in self.layers}

    @torch.no_grad()
    def freeze_to(self, fraction):
        """Quantize + freeze the largest-|w| free weights of every layer until
        ``round(fraction * alive)`` are frozen; returns newly frozen counts."""
        if self.n1 is None:
            raise RuntimeError("fix_windows() first")
        added = {}
        for name, mod in self.layers:
            w = mod.weight.detach()
            alive = self.alive[name].reshape(-1)
            frozen = self.frozen[name].reshape(-1).clone()
            n_alive = int(alive.sum())
            target = n_alive if fraction >= 1.0 else int(round(fraction * n_alive))
            need = target - int((frozen & alive).sum())
            added[name] = max(need, 0)
            if need <= 0:
                continue
            free = alive & ~frozen
            a = w.abs().reshape(-1).double()
            a = torch.where(free, a, torch.full_like(a, -1.0))
            order = torch.from_numpy(np.argsort(-a.numpy(), kind="stable"))[:need]
            q, _ = pow2.pow2_quantize(w, self.n1[name])
            frozen[order] = True
            value = self.value[name].reshape(-1).clone()
            value[order] = q.reshape(-1)[order]
            self.frozen[name] = frozen.view(w.shape)
            self.value[name] = value.view(w.shape)
        self.apply()
        return added

    # -- reporting -----------------------------------------------------------
    def sparsity(self):
        out = {}
        for name, mod in self.layers:
            w = mod.weight.detach()
            out[name] = {"weights": w.numel(), "zeros": int((w == 0).sum()),
                         "pruned": int((~self.alive[name]).sum()),
                         "sparsity": round(float((w == 0).sum()) / w.numel(), 6)}
        return out


def _require(cond, msg):
    """``assert`` that survives ``python -O``."""
    if not cond:
        raise AssertionError(msg)


def check_model_pow2(cons):
    """Raise AssertionError unless every weight is frozen, pruned weights are 0,
    and every weight is in ``{0, +-2^n : n1-6 <= n <= n1}`` of its channel's INQ
    window and a fixed point of ``pow2_quantize`` with its own windows."""
    for name, mod in cons.layers:
        w = mod.weight.detach()
        _require(bool(cons.frozen[name][cons.alive[name]].all()), "%s: unfrozen weights" % name)
        _require(not bool(w[~cons.alive[name]].any()), "%s: pruned weights not zero" % name)
        problems = pow2.check_pow2(w, cons.n1[name])
        _require(not problems, "%s: %s" % (name, "; ".join(problems[:5])))


def make_optimizer(kind, params, lr, weight_decay):
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True,
                               weight_decay=weight_decay)
    raise ValueError("optimizer must be adam or sgd, got %r" % kind)


def retrain(model, cons, data, epochs, lr, args, gen, params=None, log=print, tag="",
            loss_fn=None):
    """``epochs`` epochs with the constraints of ``cons`` in force (cosine LR
    decay from ``lr`` over the whole run; ``loss_fn`` as in
    ``train_util.train_epoch``); returns the per-epoch records."""
    x_tr, y_tr, x_te, y_te = data
    if epochs <= 0:
        return []
    params = list(model.parameters()) if params is None else params
    opt = make_optimizer(args.optimizer, params, lr, args.weight_decay)
    steps = epochs * ((len(x_tr) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 0.5 * (1.0 + math.cos(math.pi * min(k, steps) / steps)))
    cons.install_hooks()
    hist = []
    for ep in range(1, epochs + 1):
        te = time.time()
        loss = train_epoch(model, opt, x_tr, y_tr, gen, args.batch_size,
                           flip=not args.no_flip, shift=args.shift, sched=sched,
                           after_step=cons.apply, loss_fn=loss_fn,
                           memory_format=getattr(model, "train_memory_format", None))
        acc = evaluate(model, x_te, y_te)
        hist.append({"epoch": ep, "loss": round(loss, 5), "test_acc": acc,
                     "time_s": round(time.time() - te, 1)})
        log("  %s epoch %d  loss %.4f  test acc %.4f  (%.1fs)"
            % (tag, ep, loss, acc, time.time() - te))
    cons.remove_hooks()
    return hist


def run_inq(model, cons, data, args, gen, log=print, loss_fn=None):
    """INQ over ``args.fractions`` on the BN-free ``model`` (weights constrained
    by ``cons``, whose pruning masks are kept); returns the step records."""
    _, _, x_te, y_te = data
    cons.fix_windows()
    steps = []
    for k, frac in enumerate(args.fractions):
        ts = time.time()
        added = cons.freeze_to(frac)
        acc_q = evaluate(model, x_te, y_te)
        log("INQ step %d: %.2f %% frozen (+%d weights), test acc after quantizing %.4f"
            % (k + 1, 100 * frac, sum(added.values()), acc_q))
        last = frac >= 1.0
        if last:
            # Every weight is frozen: only the (float) biases can still learn.
            bias = [p for n, p in model.named_parameters() if n.endswith("bias")]
            hist = retrain(model, cons, data, args.bias_epochs, args.lr, args, gen,
                           params=bias, log=log, tag="bias", loss_fn=loss_fn)
        else:
            hist = retrain(model, cons, data, args.epochs_per_step, args.lr, args, gen,
                           log=log, tag="step %d" % (k + 1), loss_fn=loss_fn)
        acc = evaluate(model, x_te, y_te)
        frozen = sum(int(cons.frozen[n].sum()) for n, _ in cons.layers)
        alive = sum(int(cons.alive[n].sum()) for n, _ in cons.layers)
        steps.append({"step": k + 1, "frozen_fraction": frac,
                      "frozen_weights": frozen, "alive_weights": alive,
                      "test_acc_after_quantize": acc_q,
                      "retrain": "biases only" if last else "free weights + biases",
                      "epochs": args.bias_epochs if last else args.epochs_per_step,
                      "test_acc_after_retrain": acc, "history": hist,
                      "time_s": round(time.time() - ts, 1)})
        log("INQ step %d done: test acc %.4f (%.0fs)" % (k + 1, acc, time.time() - ts))
    return steps


def layer_report(cons):
    out = {}
    for name, mod in cons.layers:
        w = mod.weight.detach()
        n1 = cons.n1[name]
        live = n1 != pow2.ZERO_CHANNEL
        own = pow2.window_n1(w)
        out[name] = {
            "shape": list(w.shape),
            "weights": w.numel(),
            "zeros": int((w == 0).sum()),
            "pruned": int((~cons.alive[name]).sum()),
            "sparsity": round(float((w == 0).sum()) / w.numel(), 6),
            "n1_min": int(n1[live].min()) if live.any() else None,
            "n1_max": int(n1[live].max()) if live.any() else None,
            "zero_channels": int((~live).sum()),
            "channels_whose_recomputed_n1_is_lower": int((own[live] < n1[live]).sum()),
            "exponent_histogram": pow2.exponent_histogram(w, n1),
            "n1": [None if v == pow2.ZERO_CHANNEL else int(v) for v in n1],
        }
    return out


def export_pow2(model, cons, onnx_path, x_te, y_te, log=print):
    """Check the weights, export, verify (numpy vs torch) and re-check the ONNX
    weights; returns a dict of results for the JSON."""
    check_model_pow2(cons)
    model.to(memory_format=torch.contiguous_format).eval()
    if hasattr(model, "fc_as_conv"):
        model.fc_as_conv = False
    export_onnx(model, onnx_path)
    tv = time.time()
    onnx_acc, max_diff, ops = verify_onnx(onnx_path, model, x_te, y_te)
    import onnx
    m = onnx.load(onnx_path)
    torch_w = {name: mod.weight.detach().numpy() for name, mod in cons.layers}
    seen = set()
    for node, op, w, _ in layer_weights(m):
        match = [n for n, tw in torch_w.items()
                 if n not in seen and tw.shape == w.shape and np.array_equal(tw, w)]
        _require(match, "ONNX %s %s weight matches no torch layer" % (op, node))
        seen.add(match[0])
        problems = pow2.check_pow2(w, cons.n1[match[0]])
        _require(not problems, "ONNX %s (%s): %s" % (node, match[0], problems[:3]))
    _require(seen == set(torch_w), "layers missing from the ONNX graph: %s"
             % (set(torch_w) - seen))
    size = os.path.getsize(onnx_path)
    log("exported %s: %d bytes, onnx(numpy) acc %.4f, max|onnx-torch| %.3g, ops %s "
        "(verify %.0fs)" % (onnx_path, size, onnx_acc, max_diff, sorted(set(ops)),
                            time.time() - tv))
    return {"onnx": os.path.basename(onnx_path), "onnx_bytes": size, "opset": 13,
            "onnx_numpy_test_accuracy": round(onnx_acc, 6),
            "onnx_vs_torch_max_abs_diff": max_diff, "onnx_ops": ops,
            "onnx_weights_checked_pow2": True}


def _fractions(s):
    v = tuple(float(x) for x in s.split(","))
    if not v or any(b <= a for a, b in zip(v, v[1:])) or v[-1] != 1.0 or v[0] <= 0:
        raise argparse.ArgumentTypeError("increasing fractions in (0, 1] ending with 1")
    return v


def add_training_args(ap, lr, epochs, optimizer="adam"):
    ap.add_argument("--epochs-per-step", type=int, default=epochs,
                    help="retraining epochs after each partial INQ step")
    ap.add_argument("--bias-epochs", type=int, default=2,
                    help="epochs retraining only the biases after the 100%% step")
    ap.add_argument("--fractions", type=_fractions, default=DEFAULT_FRACTIONS,
                    help="accumulated frozen fractions (default 0.5,0.75,0.875,1)")
    ap.add_argument("--optimizer", choices=("adam", "sgd"), default=optimizer)
    ap.add_argument("--lr", type=float, default=lr, help="initial LR of each step (cosine decay)")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--no-flip", action="store_true")
    ap.add_argument("--shift", type=int, default=0, help="random shift augmentation (px)")
    ap.add_argument("--distill", type=float, default=0.0, metavar="ALPHA",
                    help="weight of a distillation loss from the float (folded) model "
                         "(0: plain cross-entropy)")
    ap.add_argument("--distill-temperature", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out-dir", default=MODELS_DIR)
    ap.add_argument("--state-dir", default=STATE_DIR)


def make_loss_fn(model, args):
    """Distillation loss with a frozen copy of ``model`` (the float network
    before pruning / INQ) as teacher if ``--distill`` > 0, else None (CE)."""
    if args.distill <= 0:
        return None
    teacher = copy.deepcopy(model).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return distillation_loss(teacher, args.distill, args.distill_temperature)


def hyper_params(args):
    return {"optimizer": args.optimizer, "lr": args.lr, "lr_schedule": "cosine within each step",
            "weight_decay": args.weight_decay, "batch_size": args.batch_size,
            "epochs_per_step": args.epochs_per_step, "bias_epochs": args.bias_epochs,
            "fractions": list(args.fractions),
            "augmentation": ", ".join(
                (["random horizontal flip p=0.5"] if not args.no_flip else [])
                + (["random shift up to %d px" % args.shift] if args.shift else [])) or "none",
            "distillation": ({"alpha": args.distill, "temperature": args.distill_temperature,
                              "teacher": "the float model (BN folded)"}
                             if args.distill > 0 else None),
            "seed": args.seed, "threads": args.threads}


def load_folded(path, data, log=print):
    """Load a float checkpoint, fold its BatchNorms; returns (folded model,
    checkpoint, float acc, folded acc, arch kwargs of the BN-free model)."""
    _, _, x_te, y_te = data
    model, ck = load_checkpoint(path)
    acc_float = evaluate(model, x_te, y_te)
    folded = fold_batchnorm(model)
    acc_folded = evaluate(folded, x_te, y_te)
    kwargs = dict(ck["kwargs"], bn=False)
    log("%s (%s): float test acc %.4f, BN folded %.4f"
        % (path, ck["arch"], acc_float, acc_folded))
    if abs(acc_float - acc_folded) > 5e-4:
        raise RuntimeError("BN folding changed the accuracy: %.4f -> %.4f"
                           % (acc_float, acc_folded))
    # Training speed only (same numbers): the CNN computes its fc layers as
    # convolutions (see models.FmnistCNN), the ResNet runs channels-last.
    if ck["arch"] == "cnn":
        folded.fc_as_conv = True
    if ck["arch"] == "resnet":
        folded = folded.to(memory_format=torch.channels_last)
        folded.train_memory_format = torch.channels_last
    return folded, ck, acc_float, acc_folded, kwargs


def prepare(args):
    """Common start of an INQ run (also dlp_kit.prune): seeds, data, the
    BN-folded float model, its loss and weight constraints. Returns
    ``(t0, data, gen, model, ck, acc_float, acc_folded, kwargs, loss_fn, cons)``."""
    t0 = time.time()
    set_determinism(args.seed, args.threads)
    data = load_fmnist()
    gen = torch.Generator().manual_seed(args.seed)
    model, ck, acc_float, acc_folded, kwargs = load_folded(args.checkpoint, data)
    loss_fn = make_loss_fn(model, args)
    cons = WeightConstraints(model)
    return t0, data, gen, model, ck, acc_float, acc_folded, kwargs, loss_fn, cons


def save_pow2_checkpoint(args, ck, kwargs, model, cons, acc, **extra):
    """Writes ``STATE_DIR/NAME.pt`` with the INQ windows (unless --state-dir '')."""
    if args.state_dir:
        save_checkpoint(os.path.join(args.state_dir, args.name + ".pt"), ck["arch"], kwargs,
                        model, n1={k: v.tolist() for k, v in cons.n1.items()},
                        test_accuracy=acc, **extra)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help="float checkpoint (.pt, with BN)")
    ap.add_argument("--name", required=True, help="output base name, e.g. fmnist_cnn_inq")
    add_training_args(ap, lr=1e-3, epochs=4)
    args = ap.parse_args(argv)

    (t0, data, gen, model, ck, acc_float, acc_folded, kwargs, loss_fn,
     cons) = prepare(args)
    _, _, x_te, y_te = data
    tq = time.time()
    steps = run_inq(model, cons, data, args, gen, loss_fn=loss_fn)
    inq_time = time.time() - tq
    if hasattr(model, "fc_as_conv"):
        model.fc_as_conv = False
    acc = evaluate(model, x_te, y_te)
    os.makedirs(args.out_dir, exist_ok=True)
    res = export_pow2(model, cons, os.path.join(args.out_dir, args.name + ".onnx"), x_te, y_te)
    save_pow2_checkpoint(args, ck, kwargs, model, cons, acc)
    macs = count_macs(model)
    meta = dict(
        model=args.name, source_checkpoint=os.path.relpath(args.checkpoint),
        arch=ck["arch"], arch_kwargs=kwargs,
        weights="power-of-two 4-bit (per-output-channel windows n1 = floor(log2(4*max|W|/3)) "
                "fixed before INQ, 7 exponents n1-6..n1 and 0, log-domain rounding); "
                "biases float32; BatchNorm folded",
        **MODEL_IO,
        float_test_accuracy=acc_float, folded_test_accuracy=acc_folded,
        inq_steps=steps, final_test_accuracy=acc,
        accuracy_change_vs_float=round(acc - acc_float, 6),
        **res,
        test_samples=len(y_te), macs_per_image=sum(macs.values()),
        layers=layer_report(cons), hyper_parameters=hyper_params(args),
        inq_time_s=round(inq_time, 1), total_time_s=round(time.time() - t0, 1),
        torch_version=torch.__version__)
    write_json(args.out_dir, args.name, meta, indent=1)
    print("INQ %s: float %.4f -> pow2 %.4f (%+.2f points), onnx(numpy) %.4f, %.0fs"
          % (args.name, acc_float, acc, 100 * (acc - acc_float),
             res["onnx_numpy_test_accuracy"], time.time() - t0))
    ok = export_matches(acc, res["onnx_numpy_test_accuracy"],
                        res["onnx_vs_torch_max_abs_diff"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
