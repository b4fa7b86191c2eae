#!/usr/bin/python3
"""Design-space report: latency of a model against the resources of the
array and the on-chip buffers, from the cycle model.

    /usr/bin/python3 bench/explore.py --build BUILD --model resnet18
        [--base hw/configs/large.json] [--arrays 16,32,64,128]
        [--sram-scales 0.5,1,2] [--csr-density 0.5 --prune 0.9]
        [--windows 1,10 --prune 0.9 --balance] [--pixels 1,4]
        [--banks default,4] [--tile-search] [--elide-dead-stores]

For every array size N (L = Q = N) and every scale s of the base config's
SRAM (feature, weight-bank and accumulator bytes times s; parameter entries
as the base), writes the derived config, compiles the model for it with
`dlpc --target` and times it with `dlp-run --timing-only --profile-json`.
Prints one row per design: PEs, SRAM bytes, cycles, latency at the base
clock, the layers-in-sequence efficiency, and which designs are on the
Pareto front of (PEs + SRAM, latency). A design the compiler cannot tile
for (a layer that does not fit) is listed with the compiler's error. The
clock and DDR of the base config are kept: what a larger array costs in
timing closure is the RTL's resource estimate to answer (issue 11).

--windows adds the window-sparse array (array.window W, docs/isa.md 3.8;
1: none) as a dimension; with --prune and --balance each design's model is
pruned balanced for its own L and W (dlp_kit.prune_onnx --balance-for) and
calibrated for it; a window design has pow2 weights only and no CSR
decoder, as hw/configs/large-win.json. A window PE is not a dense PE (139
LUT against 65 in Yosys at W = 10, pow2 only, hw/README.md), so W is a
resource of its own in the Pareto test.

--pixels adds the output pixels the array finishes per step (array.pixels
P, docs/cycle-model.md 2.1: P copies of the N x N array sharing its
weights, N * N * P PEs; timing only: the RTL's window array takes P but
its core issues one pixel per step, so dlp-hwgen refuses such a target).
--banks sweeps the FBUF banks the array's input reads go to
(sram.feature_banks N_bank, docs/cycle-model.md 2.1; `default`: 1 at one pixel
per step, else the power of two at or above 2 P): a group's pixels whose
reads share a bank wait for each other. The `FBUF x W` column counts the
FBUF copies a window target's W reads per cycle take (each window slot its
own copy, in N_bank banks), beside the SRAM column's one copy (hw/README.md
adds two more for the readers beside the array).
--tile-search compiles with the cycle-model tile search,
--elide-dead-stores without the STOREs of maps nothing reads from DDR
(docs/lowering.md).
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
from float_bench import ensure_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--base", default=os.path.join(ROOT, "hw", "configs", "large.json"))
    ap.add_argument("--arrays", default="16,32,64,128")
    ap.add_argument("--sram-scales", default="0.5,1,2")
    ap.add_argument("--weights", default="pow2")
    ap.add_argument("--prune", type=float, default=0.0,
                    help="magnitude-prune conv / FC weights to this sparsity first")
    ap.add_argument("--csr-density", default=None)
    ap.add_argument("--windows", default="1",
                    help="array.window values to sweep (1: no window array)")
    ap.add_argument("--pixels", default="1",
                    help="array.pixels values to sweep (output pixels per step)")
    ap.add_argument("--banks", default="default",
                    help="sram.feature_banks values to sweep at P > 1 (default: the field's "
                         "default for the design's P)")
    ap.add_argument("--tile-search", action="store_true",
                    help="compile with dlpc --tile-search")
    ap.add_argument("--elide-dead-stores", action="store_true",
                    help="compile with dlpc --elide-dead-stores")
    ap.add_argument("--balance", action="store_true",
                    help="with --prune: prune balanced for each design's window array")
    args, _ = ap.parse_known_args()
    build = os.path.abspath(args.build)
    dlpc, dlp_run = (os.path.join(build, "bin", t) for t in ("dlpc", "dlp-run"))
    base = json.load(open(args.base))
    mdir = ensure_model(build, args.model)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        shape = np.load(os.path.join(mdir, "input.npy")).shape[1:]
        calib = os.path.join(tmp, "calib.npy")
        np.save(calib, np.random.default_rng(10).standard_normal((4,) + shape)
                .astype(np.float32))
        prepared = {}

        def prepare(balance):
            """The model (pruned, balanced for `balance` = (L, W) or not)
            and its calibration table."""
            if balance in prepared:
                return prepared[balance]
            model = os.path.join(mdir, "model.onnx")
            tag = "m%d" % len(prepared)
            if args.prune:
                import onnx
                from dlp_kit.prune_onnx import prune_model
                m = onnx.load(model)
                prune_model(m, args.prune, balance)
                model = os.path.join(tmp, tag + ".onnx")
                onnx.save(m, model)
            table = os.path.join(tmp, tag + ".table.json")
            subprocess.run([dlpc, model, "--calib", calib, "--calib-batch", "1",
                            "--calibration-out", table, "--emit=qnn", "-o",
                            os.path.join(tmp, "q.mlirbc")], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            prepared[balance] = (model, table)
            return prepared[balance]

        for n in [int(v) for v in args.arrays.split(",")]:
          for win, px, banks in [(int(w), int(q), b) for w in args.windows.split(",")
                                 for q in args.pixels.split(",")
                                 for b in args.banks.split(",")]:
            if px == 1 and banks != "default":
                continue  # one pixel per step shares no bank (the field is refused)
            balanced = args.balance and args.prune and win > 1
            model, table = prepare((n, win) if balanced else None)
            for s in [float(v) for v in args.sram_scales.split(",")]:
                cfg = copy.deepcopy(base)
                cfg["name"] = "explore-%dx%d%s%s%s-s%g" % (
                    n, n, "x%d" % px if px > 1 else "", "-w%d" % win if win > 1 else "",
                    "-b" + banks if banks != "default" else "", s)
                cfg["array"] = {"L": n, "Q": n}
                if px > 1:
                    cfg["array"]["pixels"] = px
                if win > 1:  # as large-win.json: pow2 only, no CSR decoder
                    cfg["array"]["window"] = win
                    cfg["weight_formats"] = ["pow2"]
                    cfg["csr"] = False
                for k in ("feature_bytes", "weight_bank_bytes", "acc_bytes"):
                    cfg["sram"][k] = int(base["sram"][k] * s) // (4 * n) * (4 * n)
                cfg["sram"].pop("feature_banks", None)
                if banks != "default":
                    cfg["sram"]["feature_banks"] = int(banks)
                path = os.path.join(tmp, cfg["name"] + ".json")
                json.dump(cfg, open(path, "w"))
                sram = sum(cfg["sram"][k] for k in ("feature_bytes", "acc_bytes")) + \
                    2 * cfg["sram"]["weight_bank_bytes"]
                row = dict(name=cfg["name"], pes=n * n * px, sram=sram, window=win,
                           fcopies=win * cfg["sram"]["feature_bytes"])
                dlpb = os.path.join(tmp, "m.dlpb")
                opts = (["--csr-density", args.csr_density]
                        if args.csr_density and cfg.get("csr") else [])
                r = subprocess.run([dlpc, model, "--calibration", table, "--target", path,
                                    "--weights", args.weights, "-o", dlpb] + opts +
                                   (["--tile-search"] if args.tile_search else []) +
                                   (["--elide-dead-stores"] if args.elide_dead_stores else []),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   universal_newlines=True)
                if r.returncode:
                    err = [l for l in r.stdout.splitlines() if "error" in l]
                    row["error"] = (err[0] if err else r.stdout.strip())[-110:]
                    rows.append(row)
                    continue
                prof = os.path.join(tmp, "p.json")
                subprocess.run([dlp_run, dlpb, "--timing-only", "--profile-json", prof],
                               check=True, stdout=subprocess.DEVNULL)
                p = json.load(open(prof))
                row.update(cycles=p["total_cycles"], ms=p["latency_us"] / 1e3,
                           eff=p["layers_bound_cycles"] / p["total_cycles"])
                rows.append(row)
                print("measured %s" % cfg["name"], file=sys.stderr, flush=True)
    ok = [r for r in rows if "error" not in r]
    for r in ok:  # Pareto: no design with fewer resources is as fast
        key = ("pes", "sram", "window", "ms")
        r["pareto"] = not any(o is not r and all(o[k] <= r[k] for k in key) and
                              any(o[k] != r[k] for k in key)
                              for o in ok)
    print("\nDesign space: %s%s, base %s (%g MHz, %g DDR bytes/cycle)"
          % (args.model, " pruned to %d %%%s" % (round(100 * args.prune),
                                                  ", balanced" if args.balance else
                                                  ", CSR" if args.csr_density else "")
             if args.prune else "",
             base["name"], base["clock_mhz"], base["ddr"]["bytes_per_cycle"]))
    hdr = "%-32s %7s %3s %10s %12s %12s %10s %7s %s" % (
        "design", "PEs", "W", "SRAM KiB", "FBUF x W KiB", "cycles", "ms", "eff %", "pareto")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        if "error" in r:
            print("%-32s %7d %3d %10d %12d  %s" % (r["name"], r["pes"], r["window"],
                                                   r["sram"] // 1024, r["fcopies"] // 1024,
                                                   r["error"]))
            continue
        print("%-32s %7d %3d %10d %12d %12d %10.3f %7.1f %s" %
              (r["name"], r["pes"], r["window"], r["sram"] // 1024, r["fcopies"] // 1024,
               r["cycles"], r["ms"], 100 * r["eff"], "*" if r["pareto"] else ""))
    print("PEs: L * Q * pixels; W: the window-sparse array's window (1: dense array); "
          "SRAM: feature + "
          "accumulator + 2 weight banks; FBUF x W: the FBUF copies of a window "
          "target's W reads per cycle; eff: layers-in-sequence roofline / cycles; "
          "*: no design with fewer PEs, SRAM and window is as fast")


if __name__ == "__main__":
    main()
