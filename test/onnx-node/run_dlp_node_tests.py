#!/usr/bin/python3
"""ONNX's backend node tests (Debian libonnx-testdata) on the DLP.

For every test whose inputs are float32: quantize it with dlpc (calibrated on
the test's own inputs; a model dlpc cannot quantize is skipped), compile it
for hw/configs/small.json with dlpc --target, and run the inputs through the
quantized evaluator (dlp-eval) and the simulator (dlp-run). A test passes
when the simulator's outputs equal the evaluator's bit for bit; it is
"refused" when dlpc refuses the model with an error message (ops without a
DLP lowering or host kernel, batch-mixing ops) and fails on a crash, a hang,
a run error or any differing output.

The last line of output is `N passed, M failed, K refused, S skipped`; the
exit status is 0 iff nothing failed and at least --min-passed tests passed.
"""
import argparse
import concurrent.futures
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"


def inputs_of(test_dir):
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not sets:
        return None
    arrays = []
    for p in sorted(glob.glob(os.path.join(sets[0], "input_*.pb"))):
        t = onnx.TensorProto()
        try:
            t.ParseFromString(open(p, "rb").read())
            a = numpy_helper.to_array(t)
        except Exception:
            return None
        if a.dtype != np.float32:
            return None
        arrays.append(a)
    return arrays or None


def crashed(proc):
    return proc.returncode < 0 or "Stack dump" in proc.stderr


def run_one(args, test_dir):
    name = os.path.basename(test_dir)
    arrays = inputs_of(test_dir)
    if arrays is None:
        return name, "skipped", "non-float or no inputs"
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    paths = []
    for i, a in enumerate(arrays):
        paths.append(os.path.join(work, "in%d.npy" % i))
        np.save(paths[-1], a)
    model = os.path.join(test_dir, "model.onnx")
    calib = sum([["--calib", p] for p in paths], [])
    ins = sum([["--input", p] for p in paths], [])
    bin_ = lambda t: os.path.join(args.bin, t)
    run = lambda cmd: subprocess.run(cmd, capture_output=True, text=True,
                                     timeout=args.timeout)
    try:
        q = os.path.join(work, "q.mlirbc")
        table = os.path.join(work, "table.json")
        r = run([bin_("dlpc"), model] + calib +
                ["--calibration-out", table, "-o", q])
        if crashed(r):
            return name, "failed", "dlpc --emit=qnn crashed: " + r.stderr[-300:]
        if r.returncode:
            return name, "skipped", "not quantizable"
        dlpb = os.path.join(work, "m.dlpb")
        r = run([bin_("dlpc"), model, "--calibration", table, "--target",
                 args.target, "-o", dlpb])
        if crashed(r):
            return name, "failed", "dlpc --target crashed: " + r.stderr[-300:]
        if r.returncode:
            if not r.stderr.strip():
                return name, "failed", "refused without a message"
            return name, "refused", r.stderr.strip().splitlines()[0][-160:]
        n_out = len(onnx.load(model).graph.output)
        e_out = [os.path.join(work, "e%d.npy" % i) for i in range(n_out)]
        s_out = [os.path.join(work, "s%d.npy" % i) for i in range(n_out)]
        r = run([bin_("dlp-eval"), q] + ins + sum([["--output", p] for p in e_out], []))
        if r.returncode:
            return name, "failed", "dlp-eval: " + r.stderr[-300:]
        r = run([bin_("dlp-run"), dlpb] + ins + sum([["--output", p] for p in s_out], []))
        if r.returncode:
            return name, "failed", "dlp-run: " + r.stderr[-300:]
        for a, b in zip(e_out, s_out):
            x, y = np.load(a), np.load(b)
            if x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
                return name, "failed", "output %s differs" % os.path.basename(b)
        return name, "passed", ""
    except subprocess.TimeoutExpired:
        return name, "failed", "timeout"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--min-passed", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    dirs = sorted(d for d in glob.glob(os.path.join(args.data, "test_*"))
                  if os.path.exists(os.path.join(d, "model.onnx")))
    counts = {"passed": 0, "failed": 0, "refused": 0, "skipped": 0}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, status, why in pool.map(lambda d: run_one(args, d), dirs):
            counts[status] += 1
            if status == "failed" or (args.verbose and status == "refused"):
                print("%s %s: %s" % (status.upper(), name, why))
    print("%d passed, %d failed, %d refused, %d skipped" %
          (counts["passed"], counts["failed"], counts["refused"],
           counts["skipped"]))
    return 0 if counts["failed"] == 0 and counts["passed"] >= args.min_passed else 1


if __name__ == "__main__":
    sys.exit(main())
