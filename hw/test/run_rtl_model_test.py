#!/usr/bin/env python3
"""A bundled Fashion-MNIST model on the RTL core against the simulator.

    run_rtl_model_test.py --build BUILD --model M.onnx --precision P.json
        --target hw/configs/small.json [--images N] [--csr-density D]
        [--window-sparsity S] [--dlp-run PATH] [--tolerance 0.05]

Compiles the model with dlpc (calibrated on 200 training images), then for
each of N test images runs it with `dlp-run` on the functional simulator
and with `dlp-run --backend=rtl --rtl-compare` on the Verilated dlp_core,
both with --dump-dir. Passes when every dumped tensor (every layer the
binary keeps in DDR, not only the outputs) is bit-identical between the two
and the RTL's cycles of every layer are within the tolerance of the cycle
model's (docs/cycle-model.md; issue: within 5 %). Prints the per-layer
table of the first image and the RTL's wall time per image. With
--window-sparsity (a target with the window-sparse array), the model is
first pruned to that sparsity balanced for the target (dlp_kit.prune_onnx
--balance-for), so that its pow2 layers run as GEMM_WIN; the test fails
when the binary has no GEMM_WIN (or, with --csr-density, no GEMM_CSR):
it would test the dense path only. --dlp-run: the dlp-run whose RTL
backend is the target's core (default BUILD/bin/dlp-run; dlpc and
dlp-translate are always BUILD's).
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(f"FAILED: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
        sys.exit(1)
    return r.stdout


def parse_compare(text):
    """Rows (name, model, rtl) of dlp-run --rtl-compare."""
    rows, started = [], False
    for line in text.splitlines():
        parts = line.split()
        if parts[:4] == ["layer", "model", "rtl", "rtl/model"]:
            started = True
            continue
        if started and len(parts) >= 4:
            rows.append((" ".join(parts[:-3]), int(parts[-3]), int(parts[-2])))
    if not rows:
        sys.stderr.write("no --rtl-compare table in dlp-run's output:\n" + text)
        sys.exit(1)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--precision")
    ap.add_argument("--target", required=True)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--csr-density", type=float)
    ap.add_argument("--window-sparsity", type=float)
    ap.add_argument("--dlp-run")
    ap.add_argument("--tolerance", type=float, default=0.05)
    a = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    name = os.path.splitext(os.path.basename(a.model))[0]
    if a.csr_density is not None:
        name += f"-csr{a.csr_density}"
    if a.window_sparsity is not None:
        name += f"-win{a.window_sparsity}"
    work = os.path.join(a.build, "hw", "rtl-models", name)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"))
    py = "/usr/bin/python3"
    run([py, "-m", "dlp_kit.fashion_mnist", "--split", "test", "--limit",
         str(a.images), "--out", work], env=env)
    run([py, "-m", "dlp_kit.fashion_mnist", "--split", "train", "--limit",
         "200", "--out", os.path.join(work, "calib")], env=env)
    model = a.model
    if a.window_sparsity is not None:
        model = os.path.join(work, "balanced.onnx")
        run([py, "-m", "dlp_kit.prune_onnx", a.model, "--sparsity",
             str(a.window_sparsity), "--balance-for", a.target, "-o", model],
            env=env)
    binary = os.path.join(work, "model.dlpb")
    cmd = [os.path.join(a.build, "bin", "dlpc"), model, "--calib",
           os.path.join(work, "calib", "images.npy"), "--target", a.target,
           "-o", binary]
    if a.precision:
        cmd += ["--precision", a.precision]
    if a.csr_density is not None:
        cmd += ["--csr-density", str(a.csr_density)]
    run(cmd)
    # The instructions under test must be in the binary.
    dis = run([os.path.join(a.build, "bin", "dlp-translate"), "--binary-to-dlp",
               binary, "-o", "-"])
    for flag, op in ((a.window_sparsity, "dlp.gemm_win"),
                     (a.csr_density, "dlp.gemm_csr")):
        if flag is not None:
            n = dis.count(op + " ")
            print(f"{name}: {n} {op} instructions")
            if n == 0:
                sys.stderr.write(f"FAIL: the binary has no {op}: the test "
                                 "would not exercise it\n")
                sys.exit(1)

    images = np.load(os.path.join(work, "images.npy"))
    dlp_run = a.dlp_run or os.path.join(a.build, "bin", "dlp-run")
    failures, worst, rtl_seconds = [], 0.0, []
    for i in range(len(images)):
        x = os.path.join(work, f"x{i}.npy")
        np.save(x, images[i:i + 1])
        sim_dir, rtl_dir = os.path.join(work, f"sim{i}"), os.path.join(work, f"rtl{i}")
        run([dlp_run, binary, "--input", x, "--dump-dir", sim_dir])
        t = time.time()
        out = run([dlp_run, binary, "--backend=rtl", "--input", x,
                   "--dump-dir", rtl_dir, "--rtl-compare"])
        rtl_seconds.append(time.time() - t)
        names = sorted(f for f in os.listdir(sim_dir) if f.endswith(".npy"))
        for f in names:
            s, r = np.load(os.path.join(sim_dir, f)), np.load(os.path.join(rtl_dir, f))
            if s.shape != r.shape or not np.array_equal(s, r):
                diff = int(np.sum(s != r)) if s.shape == r.shape else -1
                failures.append(f"image {i}: tensor {f} differs ({diff} elements)")
        rows = parse_compare(out)
        waited = [int(l.split()[4]) for l in out.splitlines()
                  if l.startswith("RTL: the dispatcher waited")]
        if not waited:
            sys.stderr.write("no dispatcher line in dlp-run's output:\n" + out)
            sys.exit(1)
        # Full queues are normal (instructions waiting for tokens); they
        # matter only where a later instruction of another queue waits
        # behind them, which the per-layer cycles show.
        if i == 0:
            print(f"{'layer':<44} {'model':>9} {'rtl':>9} {'rtl/model':>9}")
        for layer, m, r in rows:
            ratio = r / m if m else float("inf") if r else 1.0
            if i == 0:
                print(f"{layer:<44} {m:>9} {r:>9} {ratio:>9.3f}")
            if layer in ("(idle)", "(unmapped)"):
                continue  # not layers: barrier bubbles, in the total
            # A layer the profile charges no cycles (its instructions all
            # hidden under others', e.g. an add run in the GEMMs that only
            # stores) must get none on the RTL either.
            if (m == 0) != (r == 0) or (m and abs(ratio - 1) > a.tolerance):
                failures.append(f"image {i}: layer {layer}: RTL {r} cycles, "
                                f"model {m}")
            elif layer != "total":
                worst = max(worst, abs(ratio - 1))
        print(f"image {i}: {len(names)} tensors compared, RTL "
              f"{rows[-1][2]} cycles (the dispatcher waited {waited[0]} for "
              f"a full queue), {rtl_seconds[-1]:.2f} s wall")
    print(f"{name} on {os.path.basename(a.target)}: {len(images)} images, "
          f"every tensor bit-identical: {'yes' if not any('tensor' in f for f in failures) else 'NO'}; "
          f"largest per-layer cycle difference {worst * 100:.2f} %; "
          f"RTL wall time {np.mean(rtl_seconds):.2f} s/image")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
