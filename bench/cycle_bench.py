#!/usr/bin/python3
"""Cycle-model benchmark: simulated latency, schedule efficiency and binary
size of the torchvision models compiled for a target, dense and (ResNet-18,
ResNet-50) magnitude-pruned to 90 % with CSR weights.

    /usr/bin/python3 bench/cycle_bench.py --build BUILD [--models a,b,...]
                     [--target hw/configs/large.json] [--sparse resnet18,resnet50]
                     [--sparsity 0.9] [--csr-density 0.5] [--balance]
                     [--tile-search] [--elide-dead-stores]

On a target with the window-sparse array (array.window > 1, e.g.
hw/configs/large-win.json) --balance prunes the sparse rows balanced for
it (dlp_kit.prune_onnx --balance-for: GEMM_WIN with one slot per window)
and the sparse rows compile without --csr-density when the target has no
CSR decoder (the compiler picks GEMM_WIN where it shortens a layer).

Per model: `dlpc --target T` (calibration on 4 random N(0, 1) inputs; the
sparse rows prune every conv / FC weight per layer by magnitude with
dlp_kit.prune_onnx and compile with --csr-density) and `dlp-run --timing-only
--profile-json` (the cycle model alone, docs/cycle-model.md). Columns:
cycles and latency at the target's clock; efficiency two ways (the whole
program's roofline bound: all MAC slots against all DDR bytes; and the
layers in sequence: the sum of the per-layer bounds) over the cycles; the
binary size; the wall time of the timing-only dlp-run (load + validate +
model). With --tile-search also the conv / FC layers the search made
weight-stationary (of all, from `dlpc --report-tiles`) and the lowering's
wall time (`dlpc --time`: the trial lowerings included). Nothing is
asserted: this is a measurement, not a test.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
from float_bench import (MODELS, ensure_model, run_measured,  # noqa: E402
                         run_measured_stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--target", default=os.path.join(ROOT, "hw", "configs", "large.json"))
    ap.add_argument("--sparse", default="resnet18,resnet50")
    ap.add_argument("--sparsity", type=float, default=0.9)
    ap.add_argument("--csr-density", default="0.5")
    ap.add_argument("--weights", default="pow2")
    ap.add_argument("--balance", action="store_true",
                    help="prune the sparse rows balanced for the target's "
                         "window-sparse array")
    ap.add_argument("--tile-search", action="store_true",
                    help="compile with dlpc --tile-search")
    ap.add_argument("--elide-dead-stores", action="store_true",
                    help="compile with dlpc --elide-dead-stores")
    args, _ = ap.parse_known_args()
    build = os.path.abspath(args.build)
    dlpc, dlp_run = (os.path.join(build, "bin", t) for t in ("dlpc", "dlp-run"))
    import onnx
    from dlp_kit.prune_onnx import prune_model, window_of
    with open(args.target) as f:
        has_csr = bool(json.load(f).get("csr"))
    balance = window_of(args.target) if args.balance else None

    runs = [(m, False) for m in args.models.split(",")]
    runs += [(m, True) for m in args.sparse.split(",") if m and m in args.models.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sparse in runs:
            mdir = ensure_model(build, name)
            model = os.path.join(mdir, "model.onnx")
            shape = np.load(os.path.join(mdir, "input.npy")).shape[1:]
            calib = os.path.join(tmp, name + ".calib.npy")
            np.save(calib, np.random.default_rng(10).standard_normal((4,) + shape)
                    .astype(np.float32))
            opts = []
            if sparse:
                m = onnx.load(model)
                prune_model(m, args.sparsity, balance)
                model = os.path.join(tmp, name + ".sparse.onnx")
                onnx.save(m, model)
                opts = ["--csr-density", args.csr_density] if has_csr else []
            dlpb = os.path.join(tmp, name + (".sparse" if sparse else "") + ".dlpb")
            err = run_measured_stderr(
                [dlpc, model, "--calib", calib, "--calib-batch", "1",
                 "--target", args.target, "--weights", args.weights,
                 "-o", dlpb] + opts +
                (["--elide-dead-stores"] if args.elide_dead_stores else []) +
                (["--tile-search", "--report-tiles", "--time"]
                 if args.tile_search else []))[3]
            ws = err.count("tiled weight-stationary")
            gemms = ws + err.count("tiled output-stationary")
            lower = re.search(r"lower ([0-9.]+) s", err)
            prof = os.path.join(tmp, "p.json")
            wall = min(run_measured([dlp_run, dlpb, "--timing-only", "--profile-json",
                                     prof])[0] for _ in range(3))
            p = json.load(open(prof))
            cyc = p["total_cycles"]
            kind = "bal." if balance else "CSR" if has_csr else "unstr."
            rows.append(dict(model=name + (" %d%% %s" % (round(100 * args.sparsity), kind)
                                           if sparse else ""),
                             cycles=cyc, latency_ms=p["latency_us"] / 1e3,
                             eff_prog=p["total"]["bound_cycles"] / cyc,
                             eff_seq=p["layers_bound_cycles"] / cyc,
                             bin_mb=os.path.getsize(dlpb) / 2**20, wall_s=wall,
                             ws="%d/%d" % (ws, gemms),
                             lower_s=float(lower.group(1)) if lower else 0))
            print("measured %s" % rows[-1]["model"], file=sys.stderr, flush=True)
    tgt = json.load(open(args.target))
    px = tgt["array"].get("pixels", 1)
    print("\nCycle model, target %s (%dx%d%s, %g MHz), %s weights%s%s"
          % (tgt["name"], tgt["array"]["L"], tgt["array"]["Q"],
             "x%d" % px if px > 1 else "", tgt["clock_mhz"],
             args.weights, ", --tile-search" if args.tile_search else "",
             ", --elide-dead-stores" if args.elide_dead_stores else ""))
    hdr = "%-18s %12s %10s %9s %9s %8s %9s" % ("model", "cycles", "ms", "eff prog",
                                            "eff seq", "bin MB", "timing s")
    if args.tile_search:
        hdr += " %7s %8s" % ("WS", "lower s")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        line = ("%-18s %12d %10.3f %8.1f%% %8.1f%% %8.1f %9.3f" %
                (r["model"], r["cycles"], r["latency_ms"], 100 * r["eff_prog"],
                 100 * r["eff_seq"], r["bin_mb"], r["wall_s"]))
        if args.tile_search:
            line += " %7s %8.2f" % (r["ws"], r["lower_s"])
        print(line)
    print("eff prog: whole-program roofline bound / cycles; eff seq: sum of the "
          "layers' bounds / cycles;\ntiming s: wall time of `dlp-run --timing-only` "
          "(load, validate, cycle model), best of 3" +
          ("; WS: conv / FC layers weight-stationary of all; lower s: dlpc's "
           "lowering incl. the search" if args.tile_search else ""))


if __name__ == "__main__":
    main()
