#!/usr/bin/python3
"""Import and float-evaluator benchmark against onnxruntime, in one run.

    /usr/bin/python3 bench/float_bench.py --build BUILD [--models a,b,...]
                     [--threads 2] [--repeat 20] [--ort-node-modules DIR]

For each torchvision model (exported by test/models/export_torchvision.py
into BUILD/models/NAME, random init, batch 1) it measures

  import    `dlp-eval --prepare-only` (import, nn-optimize, evaluator set-up,
            no run): process wall time and peak RSS, and the in-process time
            of those phases -- the counterpart of ORT's session creation
  run       dlp-eval latency at batch 1 on --threads threads: median (and
            minimum) of --repeat runs after the module is prepared
  ORT       onnxruntime-node, same input, same thread count, in the same
            run: InferenceSession.create time and median latency

and prints one table with the ratios the foundation issue sets targets for:
import <= 2x ORT session creation, latency <= 2x ORT (resnet18,
squeezenet1_1), import peak RSS <= model file size + 300 MB. Nothing is
asserted: this is a measurement, not a test.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ["resnet18", "squeezenet1_1", "mobilenet_v2", "googlenet",
          "resnet50", "alexnet", "vgg16"]
LATENCY_TARGETS = {"resnet18", "squeezenet1_1"}


def run_measured(cmd, env=None):
    """Runs cmd; returns (wall seconds, stdout, peak RSS in MiB). The child is
    reaped with wait4, whose rusage is that child's alone."""
    return run_measured_stderr(cmd, env)[:3]


def run_measured_stderr(cmd, env=None):
    """run_measured, plus the child's stderr as a fourth result."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError("%s failed (%d): %s" % (
                " ".join(cmd), proc.returncode, err.read().decode(errors="replace")))
        err.seek(0)
        err_text = err.read().decode(errors="replace")
    return wall, out.decode(), usage.ru_maxrss / 1024.0, err_text


def ensure_model(build, name):
    out = os.path.join(build, "models", name)
    subprocess.run([sys.executable, os.path.join(ROOT, "test", "models",
                                                 "export_torchvision.py"),
                    "--model", name, "--out", out], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--import-repeat", type=int, default=3)
    ap.add_argument("--ort-node-modules",
                    help="node_modules holding onnxruntime-node "
                         "(default BUILD/bench-node/node_modules)")
    ap.add_argument("--json", help="also write the measurements here")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    dlp_eval = os.path.join(build, "bin", "dlp-eval")
    node_modules = args.ort_node_modules or os.path.join(build, "bench-node",
                                                         "node_modules")
    env = dict(os.environ, NODE_PATH=node_modules)

    rows = []
    for name in args.models.split(","):
        d = ensure_model(build, name)
        model = os.path.join(d, "model.onnx")
        x = os.path.join(d, "input.npy")
        size_mb = os.path.getsize(model) / 2**20

        # Import as ORT's session creation does it: in one process, up to a
        # runnable model (import + nn-optimize + evaluator preparation).
        import_cmd = [dlp_eval, model, "--prepare-only", "--time"]
        walls, inproc, rss = [], [], 0.0
        for _ in range(args.import_repeat):
            wall, out, peak = run_measured(import_cmd)
            walls.append(wall)
            rss = max(rss, peak)
            m = re.search(r"import ([\d.]+) s, optimize ([\d.]+) s, "
                          r"prepare ([\d.]+) s", out)
            if not m:
                raise RuntimeError("unexpected dlp-eval --time output: " + out)
            inproc.append(sum(float(g) for g in m.groups()))

        _, out, _ = run_measured([dlp_eval, model, "--input", x, "--output",
                                  os.devnull, "--num-threads", str(args.threads),
                                  "--repeat", str(args.repeat), "--time"])
        m = re.search(r"import ([\d.]+) s, optimize ([\d.]+) s, prepare [\d.]+ s, "
                      r"run ([\d.]+) s \(median of \d+, min ([\d.]+) s\)", out)
        if not m:
            raise RuntimeError("unexpected dlp-eval --time output: " + out)
        run, run_min = float(m.group(3)), float(m.group(4))

        _, out, _ = run_measured(["node", os.path.join(HERE, "ort_bench.js"),
                                  model, x, "--threads", str(args.threads),
                                  "--repeat", str(args.repeat)], env=env)
        ort = json.loads(out.strip().splitlines()[-1])

        rows.append(dict(model=name, size_mb=size_mb,
                         import_process_s=median(walls), import_rss_mb=rss,
                         import_inproc_s=median(inproc), run_ms=run * 1e3,
                         run_min_ms=run_min * 1e3,
                         ort_create_ms=ort["create_ms"], ort_run_ms=ort["run_ms"],
                         ort_run_min_ms=ort["run_min_ms"]))
        print("measured %s" % name, file=sys.stderr, flush=True)

    hdr = ("%-14s %8s | %9s %9s %8s %9s | %9s %6s | %9s %9s %6s | %9s %6s" %
           ("model", "MB", "import s", "in-proc", "ORT s", "ratio",
            "RSS MB", "≤+300", "run ms", "ORT ms", "ratio", "run min", "ORT min"))
    print("\nFloat path, batch 1, %d threads (dlp vs onnxruntime-node)" % args.threads)
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        create_s = r["ort_create_ms"] / 1e3
        ratio_import = r["import_inproc_s"] / create_s
        ratio_run = r["run_ms"] / r["ort_run_ms"]
        rss_ok = r["import_rss_mb"] <= r["size_mb"] + 300
        print("%-14s %8.1f | %9.3f %9.3f %8.3f %8.2fx | %9.0f %6s | %9.2f %9.2f %5.2fx"
              "%s | %9.2f %6.2f" %
              (r["model"], r["size_mb"], r["import_process_s"], r["import_inproc_s"],
               create_s, ratio_import, r["import_rss_mb"], "yes" if rss_ok else "NO",
               r["run_ms"], r["ort_run_ms"], ratio_run,
               "*" if r["model"] in LATENCY_TARGETS else " ",
               r["run_min_ms"], r["ort_run_min_ms"]))
    print("import s: wall time of `dlp-eval --prepare-only` (process start to "
          "runnable model, median of %d);\nin-proc: import + nn-optimize + "
          "evaluator preparation inside that process; ratio: in-proc / ORT "
          "session creation;\nRSS: peak RSS of that process; run: median of %d "
          "runs; * = latency target (<= 2x ORT)" % (args.import_repeat, args.repeat))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
