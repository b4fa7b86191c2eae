#!/usr/bin/python3
"""Quantization benchmark: calibrate + quantize the torchvision models, then
quantized evaluator vs float evaluator vs onnxruntime, in one run.

    /usr/bin/python3 bench/quant_bench.py --build BUILD [--models a,b,...]
                     [--threads 2] [--repeat 10] [--calib-samples 8]
                     [--sqnr-table]

For each model (exported by test/models/export_torchvision.py: random init,
BatchNorm statistics re-estimated on random data, batch 1):

  compile   `dlpc model.onnx --calib calib.npy --emit=qnn` (import,
            nn-optimize, calibration over --calib-samples random N(0, 1)
            inputs -- the distribution the BN statistics were estimated on --
            and --dlp-quantize with pow2-4 weights): the phases from --time;
            calibration + quantization is part of a model upgrade's time
  latency   batch 1, --threads threads, median of --repeat runs: the
            quantized evaluator on the qnn module, the float evaluator on the
            ONNX file, and onnxruntime-node (float) on the same input
  SQNR      `dlp-eval q.mlirbc --reference model.onnx`: every quantized
            layer's dequantized output against the float evaluator's (dB);
            the summary shows the output layer's SQNR, the lowest layer and
            the first layer below 20 dB; --sqnr-table prints every layer.

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
    ap.add_argument("--weights", default="pow2", choices=["pow2", "int8"])
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
        q = os.path.join(work, name + ".qnn.mlirbc")
        phases = dlpc_phases(dlpc, model, calib, q, args.weights)

        def latency(target):
            _, out, _ = run_measured([dlp_eval, target, "--input", x, "--output", os.devnull,
                                      "--num-threads", str(args.threads), "--repeat",
                                      str(args.repeat), "--time"])
            m = re.search(r"run ([\d.]+) s \(median of \d+, min ([\d.]+) s\)", out)
            return float(m.group(1)) * 1e3, float(m.group(2)) * 1e3

        q_ms, q_min = latency(q)
        f_ms, f_min = latency(model)
        _, out, _ = run_measured(["node", os.path.join(HERE, "ort_bench.js"), model, x,
                                  "--threads", str(args.threads), "--repeat",
                                  str(args.repeat)], env=env)
        ort = json.loads(out.strip().splitlines()[-1])

        _, out, _ = run_measured([dlp_eval, q, "--input", x, "--output", os.devnull,
                                  "--reference", model, "--sqnr-bound", "20"])
        layers = []
        for line in out.splitlines():
            m = re.match(r"(\S+)\s+(qnn\.\S+|nn\.\S+)\s+(-?[\d.]+|inf|-inf)$", line.strip())
            if m:
                layers.append((m.group(1), m.group(2), float(m.group(3))))
        tables[name] = out
        below = re.search(r"first layer below 20 dB: (\S+) \(([-\d.]+|inf) dB\)", out)
        finite = [l for l in layers if l[2] != float("inf")]
        low = min(finite, key=lambda l: l[2]) if finite else ("-", "-", float("inf"))
        rows.append(dict(model=name, calibrate_s=phases["calibrate"],
                         quantize_s=phases["quantize"], import_s=phases["import"] + phases["optimize"],
                         q_ms=q_ms, q_min_ms=q_min,
                         f_ms=f_ms, f_min_ms=f_min, ort_ms=ort["run_ms"],
                         out_sqnr=layers[-1][2] if layers else float("nan"),
                         min_sqnr=low[2], min_layer=low[0], layers=len(layers),
                         first_below=below.group(1) if below else "-"))
        print("measured %s" % name, file=sys.stderr, flush=True)

    hdr = ("%-14s | %7s %7s %7s | %8s %8s %8s %6s %6s | %7s %7s  %s" %
           ("model", "import", "calib", "quant", "q ms", "float ms",
            "ORT ms", "q/f", "q/ORT", "out dB", "min dB", "lowest layer"))
    print("\nQuantized path (%s weights, int8 feature maps), batch 1, %d threads; "
          "calibration on %d samples" % (args.weights, args.threads, args.calib_samples))
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print("%-14s | %7.2f %7.2f %7.2f | %8.2f %8.2f %8.2f %5.2fx %5.2fx | %7.2f %7.2f  %s" %
              (r["model"], r["import_s"], r["calibrate_s"], r["quantize_s"],
               r["q_ms"], r["f_ms"], r["ort_ms"], r["q_ms"] / r["f_ms"], r["q_ms"] / r["ort_ms"],
               r["out_sqnr"], r["min_sqnr"], r["min_layer"]))
    print("import/calib/quant: seconds in dlpc (import+nn-optimize, calibration, "
          "--dlp-quantize);\nq/float/ORT: median latency of %d runs "
          "(quantized evaluator, float evaluator, onnxruntime-node);\nout dB: SQNR of "
          "the model output vs the float evaluator; min dB: lowest layer SQNR" % args.repeat)
    if args.sqnr_table:
        for name, out in tables.items():
            print("\nLayer-by-layer SQNR, %s\n%s" % (name, out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


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
