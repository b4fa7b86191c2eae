#!/usr/bin/python3
"""Weight-rounding benchmark: pow2-4 weights rounded by the contract's
nearest rule vs by GPTQ (dlpc --weight-rounding=gptq) on the torchvision
models: quantization time and the quantized model's output SQNR.

    /usr/bin/python3 bench/gptq_bench.py --build BUILD [--models a,b,...]
                     [--calib-samples 32] [--eval-samples 4]

Each model comes from test/models/export_torchvision.py (random init,
BatchNorm statistics re-estimated on random data, batch 1). Calibration:
--calib-samples N(0, 1) inputs (the distribution the BN statistics were
estimated on); `dlpc --time` gives the quantize phase (for gptq: the
layer-by-layer plan on those samples -- Hessians, GPTQ, bias correction --
plus the rewrite). SQNR: the quantized evaluator's output against the float
evaluator's on --eval-samples other N(0, 1) inputs, one at a time (dB over
all of them). pow2-4 weights in every layer, per-output-channel windows.

Nothing is asserted: this is a measurement, not a test.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from float_bench import MODELS, ensure_model  # noqa: E402


def sqnr_db(ref, approx):
    ref = ref.astype(np.float64)
    err = float(((ref - approx) ** 2).sum())
    return float("inf") if err == 0 else 10 * np.log10(float((ref ** 2).sum()) / err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--calib-samples", type=int, default=32)
    ap.add_argument("--eval-samples", type=int, default=4)
    ap.add_argument("--rounding", default="nearest,gptq")
    args = ap.parse_args()
    dlpc = os.path.join(args.build, "bin", "dlpc")
    dlp_eval = os.path.join(args.build, "bin", "dlp-eval")
    work = tempfile.mkdtemp(prefix="dlp-gptq-")
    roundings = args.rounding.split(",")
    rows = []
    for name in args.models.split(","):
        d = ensure_model(args.build, name)
        model = os.path.join(d, "model.onnx")
        shape = np.load(os.path.join(d, "input.npy")).shape
        calib = os.path.join(work, name + ".calib.npy")
        np.save(calib, np.random.default_rng(0).standard_normal(
            (args.calib_samples,) + shape[1:]).astype(np.float32))
        xs = np.random.default_rng(1).standard_normal(
            (args.eval_samples,) + shape[1:]).astype(np.float32)
        inputs = []
        for i in range(args.eval_samples):
            p = os.path.join(work, "%s.x%d.npy" % (name, i))
            np.save(p, xs[i:i + 1])
            inputs.append(p)

        def outputs(target):
            ys = []
            for p in inputs:
                y = os.path.join(work, name + ".y.npy")
                subprocess.run([dlp_eval, target, "--input", p, "--output", y],
                               check=True, stdout=subprocess.DEVNULL)
                ys.append(np.load(y))
            return np.concatenate(ys)

        ref = outputs(model)
        row = dict(model=name)
        for r in roundings:
            q = os.path.join(work, "%s.%s.mlirbc" % (name, r))
            t0 = time.time()
            p = subprocess.run([dlpc, model, "--calib", calib, "--calib-batch", "1",
                                "--gptq-samples", str(args.calib_samples),
                                "--weight-rounding", r, "-o", q, "--time"],
                               capture_output=True, text=True)
            wall = time.time() - t0
            if p.returncode:
                sys.stderr.write(p.stderr)
                raise SystemExit("dlpc failed on %s (%s)" % (name, r))
            m = re.search(r"calibrate ([\d.]+) s, quantize ([\d.]+) s", p.stderr)
            row[r] = dict(calib_s=float(m.group(1)), quant_s=float(m.group(2)),
                          wall_s=wall, sqnr=sqnr_db(ref, outputs(q)))
        rows.append(row)
        print("measured %s" % name, file=sys.stderr, flush=True)

    cols = " | ".join("%s quant s | %s out dB" % (r, r) for r in roundings)
    print("\npow2-4 weights everywhere; calibration on %d N(0,1) samples, SQNR on %d "
          "others\n" % (args.calib_samples, args.eval_samples))
    print("| model | calib s | " + cols + " | gain dB |")
    print("|---|---|" + "---|---|" * len(roundings) + "---|")
    for row in rows:
        cells = " | ".join("%.2f | %.2f" % (row[r]["quant_s"], row[r]["sqnr"])
                           for r in roundings)
        gain = (row[roundings[-1]]["sqnr"] - row[roundings[0]]["sqnr"]
                if len(roundings) > 1 else 0.0)
        print("| %s | %.2f | %s | %+.2f |" % (row["model"], row[roundings[0]]["calib_s"],
                                              cells, gain))


if __name__ == "__main__":
    main()
