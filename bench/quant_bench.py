#!/usr/bin/python3
"""Quantization benchmark: calibrate + quantize the torchvision models, then
quantized evaluator vs float evaluator vs onnxruntime, in one run.

    /usr/bin/python3 bench/quant_bench.py --build BUILD [--models a,b,...]
                     [--weights pow2,int8] [--threads 2] [--repeat 10]
                     [--calib-samples 8] [--sqnr-table]

For each model (exported by test/models/export_torchvision.py: random init,
BatchNorm statistics re-estimated on random data, batch 1) and each weight
precision:

  compile   `dlpc model.onnx --calib calib.npy --weights W` (import,
            nn-optimize, calibration over --calib-samples random N(0, 1)
            inputs -- the distribution the BN statistics were estimated on --
            and --dlp-quantize): the phases from --time; calibration +
            quantization is part of a model upgrade's time
  latency   batch 1, --threads threads, median of --repeat runs: the
            quantized evaluator on the qnn module, the float evaluator on the
            ONNX file, and onnxruntime-node (float) on the same input
  SQNR      `dlp-eval q.mlirbc --reference model.onnx`: every quantized
            layer's dequantized output against the float evaluator's (dB);
            the summary shows the output layer's SQNR, the lowest layer and
            the first layer below 20 dB; --sqnr-table prints every layer.
            For scale, "noise" is the float model's own output SQNR when its
            input is perturbed by Gaussian noise at 30 dB: deep random-init
            networks amplify small errors (resnet50 turns 30 dB into ~0 dB),
            so a low quantized SQNR there says more about the model than
            about the quantizer.

Nothing is asserted: this is a measurement, not a test.
"""

import argparse
import json
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from float_bench import MODELS, ensure_model, run_measured  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--calib-samples", type=int, default=8)
    ap.add_argument("--weights", default="pow2,int8",
                    help="weight precisions to compare (comma-separated: pow2, int8)")
    ap.add_argument("--sqnr-table", action="store_true",
                    help="print the SQNR of every layer")
    ap.add_argument("--ort-node-modules")
    ap.add_argument("--json", help="also write the measurements here")
    # scripts/bench.sh passes float_bench.py's options too.
    args, _ = ap.parse_known_args()

    build = os.path.abspath(args.build)
    dlpc = os.path.join(build, "bin", "dlpc")
    dlp_eval = os.path.join(build, "bin", "dlp-eval")
    env = dict(os.environ, NODE_PATH=args.ort_node_modules or
               os.path.join(build, "bench-node", "node_modules"))
    work = tempfile.mkdtemp(prefix="dlp-qbench-")
    rows, tables = [], {}
    for name in args.models.split(","):
        d = ensure_model(build, name)
        model, x = os.path.join(d, "model.onnx"), os.path.join(d, "input.npy")
        shape = np.load(x).shape
        calib = os.path.join(work, name + ".calib.npy")
        rng = np.random.default_rng(0)
        np.save(calib, rng.standard_normal((args.calib_samples,) + shape[1:]).astype(np.float32))

        def latency(target):
            _, out, _ = run_measured([dlp_eval, target, "--input", x, "--output", os.devnull,
                                      "--num-threads", str(args.threads), "--repeat",
                                      str(args.repeat), "--time"])
            m = re.search(r"run ([\d.]+) s \(median of \d+, min ([\d.]+) s\)", out)
            return float(m.group(1)) * 1e3, float(m.group(2)) * 1e3

        f_ms, f_min = latency(model)
        _, out, _ = run_measured(["node", os.path.join(HERE, "ort_bench.js"), model, x,
                                  "--threads", str(args.threads), "--repeat",
                                  str(args.repeat)], env=env)
        ort = json.loads(out.strip().splitlines()[-1])
        noise_sqnr = float_noise_sqnr(dlp_eval, model, x, work, name)

        for weights in args.weights.split(","):
            q = os.path.join(work, "%s.%s.mlirbc" % (name, weights))
            phases = dlpc_phases(dlpc, model, calib, q, weights)
            q_ms, q_min = latency(q)
            _, out, _ = run_measured([dlp_eval, q, "--input", x, "--output", os.devnull,
                                      "--reference", model, "--sqnr-bound", "20"])
            layers = []
            for line in out.splitlines():
                m = re.match(r"(\S+)\s+(qnn\.\S+|nn\.\S+)\s+(-?[\d.]+|inf|-inf)$",
                             line.strip())
                if m:
                    layers.append((m.group(1), m.group(2), float(m.group(3))))
            tables[name + " " + weights] = out
            below = re.search(r"first layer below 20 dB: (\S+) \(([-\d.]+|inf) dB\)", out)
            finite = [l for l in layers if l[2] != float("inf")]
            low = min(finite, key=lambda l: l[2]) if finite else ("-", "-", float("inf"))
            rows.append(dict(model=name, weights=weights, calibrate_s=phases["calibrate"],
                             quantize_s=phases["quantize"],
                             import_s=phases["import"] + phases["optimize"],
                             q_ms=q_ms, q_min_ms=q_min,
                             f_ms=f_ms, f_min_ms=f_min, ort_ms=ort["run_ms"],
                             out_sqnr=layers[-1][2] if layers else float("nan"),
                             noise_sqnr=noise_sqnr,
                             min_sqnr=low[2], min_layer=low[0], layers=len(layers),
                             first_below=below.group(1) if below else "-"))
        print("measured %s" % name, file=sys.stderr, flush=True)

    hdr = ("%-14s %-4s | %6s %6s %6s | %7s %8s %7s %5s %5s | %6s %6s %6s  %s" %
           ("model", "w", "import", "calib", "quant", "q ms", "float ms",
            "ORT ms", "q/f", "q/ORT", "out dB", "noise", "min dB", "lowest layer"))
    print("\nQuantized path (int8 feature maps; w = weight precision), batch 1, %d threads; "
          "calibration on %d samples" % (args.threads, args.calib_samples))
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print("%-14s %-4s | %6.2f %6.2f %6.2f | %7.2f %8.2f %7.2f %4.2fx %4.2fx | %6.2f %6.2f %6.2f  %s" %
              (r["model"], r["weights"], r["import_s"], r["calibrate_s"], r["quantize_s"],
               r["q_ms"], r["f_ms"], r["ort_ms"], r["q_ms"] / r["f_ms"], r["q_ms"] / r["ort_ms"],
               r["out_sqnr"], r["noise_sqnr"], r["min_sqnr"], r["min_layer"]))
    print("import/calib/quant: seconds in dlpc (import+nn-optimize, calibration, "
          "--dlp-quantize);\nq/float/ORT: median latency of %d runs "
          "(quantized evaluator, float evaluator, onnxruntime-node);\nout dB: SQNR of "
          "the quantized model's output vs the float evaluator's; noise: SQNR of the float\n"
          "model's own output when its input gets Gaussian noise at %g dB (how much these\n"
          "random-init networks amplify a small error); min dB: lowest layer SQNR"
          % (args.repeat, NOISE_DB))
    if args.sqnr_table:
        for name, out in tables.items():
            print("\nLayer-by-layer SQNR, %s\n%s" % (name, out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


NOISE_DB = 30.0


def sqnr_db(ref, approx):
    err = float(((ref.astype(np.float64) - approx) ** 2).sum())
    return float("inf") if err == 0 else 10 * np.log10(float((ref.astype(np.float64) ** 2).sum()) / err)


def float_noise_sqnr(dlp_eval, model, x, work, name):
    """Output SQNR of the float model when its input gets NOISE_DB of noise."""
    xs = np.load(x)
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(xs.shape)
    noise *= np.sqrt((xs.astype(np.float64) ** 2).sum() / (noise ** 2).sum() / 10 ** (NOISE_DB / 10))
    xn = os.path.join(work, name + ".noisy.npy")
    np.save(xn, (xs + noise).astype(np.float32))
    outs = []
    for inp in (x, xn):
        y = os.path.join(work, name + ".y.npy")
        run_measured([dlp_eval, model, "--input", inp, "--output", y])
        outs.append(np.load(y))
    return sqnr_db(outs[0], outs[1])


def dlpc_phases(dlpc, model, calib, out, weights):
    import subprocess
    p = subprocess.run([dlpc, model, "--calib", calib, "--calib-batch", "1", "--weights",
                        weights, "-o", out, "--time"], capture_output=True, text=True,
                       check=True)
    m = re.search(r"import ([\d.]+) s, optimize ([\d.]+) s, calibrate ([\d.]+) s, "
                  r"quantize ([\d.]+) s", p.stderr)
    return dict(**{k: float(v) for k, v in zip(
        ["import", "optimize", "calibrate", "quantize"], m.groups())})


if __name__ == "__main__":
    main()
