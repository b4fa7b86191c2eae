#!/usr/bin/python3
"""End-to-end float check of dlp-eval against torch on one torchvision model.

    /usr/bin/python3 test/models/run_model_test.py --model NAME --workdir DIR \\
        --dlp-eval PATH [--threads N] [--force-export] [--timeout S]

1. Exports NAME into DIR/NAME with export_torchvision.py (cached: re-used when
   DIR/NAME/meta.json is newer than the export script).
2. Runs  DLP_EVAL DIR/NAME/model.onnx --input DIR/NAME/input.npy
         --output DIR/NAME/ours.npy [--num-threads N]
3. Compares ours.npy with torch's DIR/NAME/output.npy:
   PASS iff max|ours - torch| <= 1e-4 * max(1, max|torch|)  (and shapes match,
   everything finite).

Prints one line
   model NAME: max_abs_err=... bound=... max|torch|=... PASS|FAIL
(preceded by diagnostics on failure) and exits 0 on PASS, 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT_SCRIPT = os.path.join(HERE, "export_torchvision.py")
REL_TOL = 1e-4


def export_model(name, mdir, threads=None, force=False):
    """Exports NAME into MDIR with export_torchvision.py (a subprocess: keeps
    torch out of this process; cached there). Echoes the exporter's summary;
    returns None, or the error message."""
    cmd = [sys.executable, EXPORT_SCRIPT, "--model", name, "--out", mdir]
    if threads:
        cmd += ["--threads", str(threads)]
    if force:
        cmd.append("--force")
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        return "export of %s failed (exit %d):\n%s%s" % (name, r.returncode, r.stdout,
                                                         r.stderr)
    sys.stdout.write(r.stdout)
    sys.stdout.flush()
    return None


def compare(ours, ref, rel_tol=REL_TOL):
    """Return (ok, max_abs_err, bound, max_abs_ref, reason)."""
    max_ref = float(np.abs(ref).max()) if ref.size else 0.0
    bound = rel_tol * max(1.0, max_ref)
    if ours.shape != ref.shape:
        # Accept a pure reshape (e.g. 1x1000 vs 1000) but say so.
        if ours.size != ref.size:
            return False, float("nan"), bound, max_ref, \
                "shape mismatch: ours %s vs torch %s" % (ours.shape, ref.shape)
        print("warning: shape ours %s vs torch %s, comparing flattened" % (ours.shape, ref.shape))
        ours = ours.reshape(ref.shape)
    if not np.isfinite(ours).all():
        n_bad = int((~np.isfinite(ours)).sum())
        return False, float("nan"), bound, max_ref, "%d non-finite values in ours" % n_bad
    err = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
    max_err = float(err.max()) if err.size else 0.0
    reason = None
    if not max_err <= bound:
        i = np.unravel_index(int(err.argmax()), err.shape)
        reason = "worst element %s: ours=%.8g torch=%.8g" % (tuple(int(v) for v in i),
                                                             ours[i], ref[i])
    return max_err <= bound, max_err, bound, max_ref, reason


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--dlp-eval", required=True, help="path to the dlp-eval executable")
    ap.add_argument("--threads", type=int, default=None,
                    help="passed to dlp-eval as --num-threads N (and to the exporter)")
    ap.add_argument("--force-export", action="store_true")
    ap.add_argument("--timeout", type=float, default=None, help="dlp-eval timeout in seconds")
    args = ap.parse_args(argv)

    name = args.model
    mdir = os.path.join(os.path.abspath(args.workdir), name)

    def fail(msg):
        print(msg, file=sys.stderr)
        print("model %s: max_abs_err=nan bound=nan max|torch|=nan FAIL" % name, flush=True)
        return 1

    # 1. export
    err = export_model(name, mdir, args.threads, args.force_export)
    if err:
        return fail(err)

    # 2. dlp-eval
    onnx_path = os.path.join(mdir, "model.onnx")
    in_path = os.path.join(mdir, "input.npy")
    ours_path = os.path.join(mdir, "ours.npy")
    if os.path.exists(ours_path):
        os.remove(ours_path)  # never compare a stale result
    cmd = [args.dlp_eval, onnx_path, "--input", in_path, "--output", ours_path]
    if args.threads:
        cmd += ["--num-threads", str(args.threads)]
    t0 = time.time()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=args.timeout)
    except FileNotFoundError as e:
        return fail("cannot run dlp-eval: %s" % e)
    except subprocess.TimeoutExpired:
        return fail("dlp-eval timed out after %gs: %s" % (args.timeout, " ".join(cmd)))
    dt = time.time() - t0
    if r.returncode != 0:
        return fail("dlp-eval failed (exit %d): %s\n--- stderr ---\n%s" % (
            r.returncode, " ".join(cmd), r.stderr.rstrip()))
    if not os.path.exists(ours_path):
        return fail("dlp-eval exited 0 but did not write %s\n--- stderr ---\n%s"
                    % (ours_path, r.stderr.rstrip()))

    # 3. compare
    try:
        ours = np.load(ours_path)
    except Exception as e:  # noqa: BLE001 - report any unreadable .npy
        return fail("cannot load %s: %s" % (ours_path, e))
    ref = np.load(os.path.join(mdir, "output.npy"))
    if ours.dtype != np.float32:
        print("warning: ours.npy has dtype %s, expected float32" % ours.dtype)
    ok, max_err, bound, max_ref, reason = compare(ours, ref)
    if reason:
        print(reason)
    print("dlp-eval time: %.2fs" % dt)
    print("model %s: max_abs_err=%.3e bound=%.3e max|torch|=%.4g %s"
          % (name, max_err, bound, max_ref, "PASS" if ok else "FAIL"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
