#!/usr/bin/python3
"""DLP benchmark: dlpc compile time and functional-simulator latency and
memory against onnxruntime, in one run.

    /usr/bin/python3 bench/dlp_bench.py --build BUILD [--models a,b,...]
                     [--target hw/configs/large.json] [--weights pow2]
                     [--threads 2] [--repeat 5] [--ort-repeat 20]

For each torchvision model (exported by test/models/export_torchvision.py
into BUILD/models/NAME: random init, BN re-estimated, batch 1):

  table     `dlpc --calib` on --calib-samples random N(0, 1) inputs writes the
            calibration table once (--calibration-out; its calibrate phase is
            shown as "table s"): a model upgrade re-uses it
  compile   `dlpc model.onnx --calibration table.json --target T --weights W
            -o m.dlpb --time`, median of --repeat processes: the phases
            (import, optimize, calibrate = reading the table, quantize,
            lower, write); their sum is compared with onnxruntime's session
            creation (target: <= 2x)
  simulate  `dlp-run m.dlpb --input x.npy --num-threads N --time --repeat R`
            at batch 1 (R = --ort-repeat): the median of the R runs of one
            process, as onnxruntime's latency is the median of R runs of one
            session; the median over --repeat processes of that, against
            onnxruntime-node's float latency in the same run (target on
            resnet18 and squeezenet1_1: simulator <= ORT); also each
            process's first (cold) run; peak RSS of the dlp-run process
            (wait4) against the binary's size + 200 MB

With --cpu avx2 both peers run as on an AVX2-class CPU (no AVX-512, VNNI or
AMX): bench/cpuid_mask.c, compiled here and LD_PRELOAD'ed into dlp-run and
node, masks those CPUID bits (Linux CPUID faulting; the bench stops where the
machine does not offer it). Both select their kernels from CPUID at run time,
so one machine measures the paths of the CPUs it is not. Where CPUID
faulting is missing:
  --cpu avx2-sim      the simulator as AVX2-class (DLPRT_CPU=avx2, the
                      runtime's own cap) against onnxruntime's native
                      kernels: ORT's wider kernels only make it faster, so
                      the ratio bounds the AVX2-class one from above;
  --cpu avx2-patched  the same against a copy of onnxruntime whose XGETBV
                      instructions (its CPU probes' question "does the OS
                      save AVX-512 state?") answer x87 + SSE + AVX only, so
                      MLAS takes its AVX2 / FMA kernels: both peers as on an
                      AVX2-class CPU of this micro-architecture. Each patched
                      site is checked by disassembly (objdump).

and prints one table. ORT is run --ort-sessions times (median of the session
creation times and of the latency medians). Nothing is asserted: this is a
measurement, not a test.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from float_bench import (LATENCY_TARGETS, MODELS, ensure_model, median,  # noqa: E402
                         run_measured, run_measured_stderr)

PHASES = ["import", "optimize", "calibrate", "quantize", "lower", "write"]
RSS_SLACK_MB = 200


def dlpc_phases(cmd):
    """Runs dlpc ... --time; returns (process wall s, {phase: s})."""
    wall, _, _, err = run_measured_stderr(cmd)
    m = re.search(r"dlpc: (.*)", err)
    phases = dict((k, float(v)) for k, v in re.findall(r"(\w+) ([\d.]+) s", m.group(1))) \
        if m else {}
    if set(PHASES) - set(phases):
        raise RuntimeError("unexpected dlpc --time output: " + err)
    return wall, phases


def cpuid_mask(work):
    """Compiles bench/cpuid_mask.c; returns the library, after checking that
    it takes effect here."""
    lib = os.path.join(work, "libcpuid_mask.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib,
                    os.path.join(HERE, "cpuid_mask.c")], check=True)
    probe = subprocess.run([sys.executable, "-c",
                            "print(open('/proc/self/status').read())"],
                           env=dict(os.environ, LD_PRELOAD=lib),
                           capture_output=True, text=True)
    if "cpuid_mask:" in probe.stderr:
        sys.exit("--cpu avx2: " + probe.stderr.strip())
    return lib


def xgetbv_lines(lib):
    """The disassembly lines of `lib`'s xgetbv instructions (streamed)."""
    proc = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", lib],
                            stdout=subprocess.PIPE, text=True)
    lines = [l for l in proc.stdout if l.rstrip().endswith("xgetbv")]
    if proc.wait():
        sys.exit("objdump failed on " + lib)
    return lines


def ort_avx2_copy(modules, work):
    """Copies the onnxruntime-node modules into `work` and patches every
    XGETBV (0f 01 d0) of its libonnxruntime into `mov al, 7; nop` (b0 07
    90): XCR0 then reads x87 | SSE | AVX, so ORT's probes see no AVX-512
    (or AMX) state and keep AVX2. Returns the copy's node_modules."""
    dst = os.path.join(work, "ort-avx2", "node_modules")
    shutil.copytree(modules, dst, symlinks=True)
    libs = []
    for root, _, files in os.walk(dst):
        libs += [os.path.join(root, f) for f in files
                 if f.startswith("libonnxruntime.so") and "x64" in root]
    if not libs:
        sys.exit("--cpu avx2-patched: no x64 libonnxruntime.so under " + modules)
    for lib in libs:
        # Instruction addresses, mapped to file offsets through the sections.
        # (Streamed: this process's size would show in the RSS of the
        # dlp-run processes it forks.)
        addrs = [int(l.split(":")[0], 16) for l in xgetbv_lines(lib)]
        secs = subprocess.run(["objdump", "-h", "-w", lib], capture_output=True,
                              text=True, check=True).stdout
        spans = []
        for l in secs.splitlines():
            cols = l.split()  # Idx Name Size VMA LMA File-off ...
            if len(cols) > 6 and cols[0].isdigit():
                spans.append((int(cols[3], 16), int(cols[2], 16), int(cols[5], 16)))
        with open(lib, "r+b") as f:
            for a in addrs:
                off = next((o + a - v for v, n, o in spans if v <= a < v + n), None)
                f.seek(off or 0)
                if off is None or f.read(3) != b"\x0f\x01\xd0":
                    sys.exit("--cpu avx2-patched: xgetbv at 0x%x not found in %s" % (a, lib))
                f.seek(off)
                f.write(b"\xb0\x07\x90")
        left = len(xgetbv_lines(lib))
        if not addrs or left:
            sys.exit("--cpu avx2-patched: %d xgetbv patched in %s, %d left" %
                     (len(addrs), lib, left))
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--target", default=os.path.join(ROOT, "hw", "configs", "large.json"))
    ap.add_argument("--weights", default="pow2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5,
                    help="dlpc compiles and dlp-run processes per model")
    ap.add_argument("--ort-repeat", type=int, default=20)
    ap.add_argument("--ort-sessions", type=int, default=3)
    ap.add_argument("--calib-samples", type=int, default=4)
    ap.add_argument("--ort-node-modules")
    ap.add_argument("--json", help="also write the measurements here")
    ap.add_argument("--cpu", choices=["native", "avx2", "avx2-sim", "avx2-patched"],
                    default="native",
                    help="run both peers as on this CPU, or as on an AVX2-class "
                         "one (CPUID masked), or only the simulator as AVX2-class "
                         "(DLPRT_CPU=avx2) against ORT's native kernels, or against "
                         "a copy of ORT patched to see no AVX-512 state")
    # scripts/bench.sh passes the other benchmarks' options too.
    args, _ = ap.parse_known_args()

    build = os.path.abspath(args.build)
    dlpc, dlp_run = (os.path.join(build, "bin", t) for t in ("dlpc", "dlp-run"))
    env = dict(os.environ, NODE_PATH=args.ort_node_modules or
               os.path.join(build, "bench-node", "node_modules"))
    target = os.path.abspath(args.target)
    work = tempfile.mkdtemp(prefix="dlp-bench-")
    if args.cpu == "avx2":
        env["LD_PRELOAD"] = cpuid_mask(work)
    sim_env = dict(os.environ, LD_PRELOAD=env.get("LD_PRELOAD", ""))
    if args.cpu in ("avx2-sim", "avx2-patched"):
        sim_env["DLPRT_CPU"] = "avx2"
    if args.cpu == "avx2-patched":
        env["NODE_PATH"] = ort_avx2_copy(env["NODE_PATH"], work)
    rows = []
    load_start = os.getloadavg()[0]
    for name in args.models.split(","):
        d = ensure_model(build, name)
        model, x = os.path.join(d, "model.onnx"), os.path.join(d, "input.npy")
        calib, table = (os.path.join(work, name + s) for s in (".calib.npy", ".table.json"))
        dlpb = os.path.join(work, name + ".dlpb")
        rng = np.random.default_rng(0)
        np.save(calib, rng.standard_normal((args.calib_samples,) + np.load(x).shape[1:])
                .astype(np.float32))
        compile_cmd = [dlpc, model, "--target", target, "--weights", args.weights,
                       "-o", dlpb, "--time"]
        try:
            _, once = dlpc_phases(compile_cmd + ["--calib", calib, "--calib-batch", "1",
                                                 "--num-threads", str(args.threads),
                                                 "--calibration-out", table])
        except RuntimeError as e:  # a model the compiler refuses: say so, go on
            m = re.search(r"error: (.*)", str(e))
            rows.append(dict(model=name, error=(m.group(1) if m else str(e))[:300]))
            print("dlpc failed on %s:\n%s" % (name, str(e)[:2000]), file=sys.stderr)
            continue
        compiles = [dlpc_phases(compile_cmd + ["--calibration", table])
                    for _ in range(args.repeat)]
        phases = {p: median([c[1][p] for c in compiles]) for p in PHASES}

        sims, rss = [], 0.0
        for _ in range(args.repeat):
            _, _, peak, err = run_measured_stderr([dlp_run, dlpb, "--input", x,
                                                   "--num-threads", str(args.threads),
                                                   "--time", "--repeat",
                                                   str(args.ort_repeat)],
                                                  env=sim_env)
            m = re.search(r"load ([\d.]+) ms, run ([\d.]+) ms.*median ([\d.]+) ms, "
                          r"min ([\d.]+) ms", err)
            if not m:
                raise RuntimeError("unexpected dlp-run --time output: " + err)
            sims.append(tuple(float(m.group(i)) for i in range(1, 5)))
            k = re.search(r"\[kernels: ([^\]]*)\]", err)
            kernels = k.group(1) if k else "?"
            rss = max(rss, peak)

        orts = []
        for _ in range(args.ort_sessions):
            _, out, _ = run_measured(["node", os.path.join(HERE, "ort_bench.js"), model, x,
                                      "--threads", str(args.threads), "--repeat",
                                      str(args.ort_repeat)], env=env)
            orts.append(json.loads(out.strip().splitlines()[-1]))

        rows.append(dict(model=name, bin_mb=os.path.getsize(dlpb) / 2**20,
                         kernels=kernels,
                         table_s=once["calibrate"], phases=phases,
                         compile_s=sum(phases.values()),
                         compile_wall_s=median([c[0] for c in compiles]),
                         ort_create_s=median([o["create_ms"] for o in orts]) / 1e3,
                         sim_load_ms=median([s[0] for s in sims]),
                         sim_first_ms=median([s[1] for s in sims]),
                         sim_ms=median([s[2] for s in sims]),
                         sim_min_ms=min(s[3] for s in sims),
                         ort_ms=median([o["run_ms"] for o in orts]),
                         ort_min_ms=min(o["run_min_ms"] for o in orts), sim_rss_mb=rss))
        print("measured %s" % name, file=sys.stderr, flush=True)

    print_table(rows, args)
    # Both sides share the machine's cores: say how busy it was.
    print("1-minute load average: %.2f at the start, %.2f at the end (%d cores)"
          % (load_start, os.getloadavg()[0], os.cpu_count()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def print_table(rows, args):
    hdr = ("%-13s %6s %6s | %6s %6s %6s %6s %6s %6s %6s %6s | %6s %6s | %8s %8s %6s %8s | "
           "%8s %6s %7s %3s" %
           ("model", "bin MB", "table", "import", "opt", "calib", "quant", "lower", "write",
            "sum s", "wall s", "ORT s", "ratio", "sim ms", "ORT ms", "ratio", "sim min",
            "1st run", "RSS MB", "bin+200", "ok"))
    print("\nDLP, target %s, %s weights, batch 1, %d threads, CPU %s (dlpc + dlp-run vs "
          "onnxruntime-node)" % (os.path.basename(args.target), args.weights, args.threads,
                                 {"native": "native",
                                  "avx2": "as AVX2-class (AVX-512 / VNNI / AMX masked)",
                                  "avx2-sim": "native for ORT, AVX2-class for the "
                                              "simulator (DLPRT_CPU=avx2)",
                                  "avx2-patched": "AVX2-class (DLPRT_CPU=avx2; ORT "
                                                  "patched to see no AVX-512 state)"}[args.cpu]))
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        if "error" in r:
            print("%-13s dlpc failed: %s" % (r["model"], r["error"]))
            continue
        p = r["phases"]
        limit = r["bin_mb"] + RSS_SLACK_MB
        print("%-13s %6.1f %6.2f | %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f | %6.3f "
              "%5.2fx | %8.1f %8.2f %5.1fx%s %8.1f %8.1f | %6.0f %7.0f %3s" %
              (r["model"], r["bin_mb"], r["table_s"], p["import"], p["optimize"],
               p["calibrate"], p["quantize"], p["lower"], p["write"], r["compile_s"],
               r["compile_wall_s"], r["ort_create_s"], r["compile_s"] / r["ort_create_s"],
               r["sim_ms"], r["ort_ms"], r["sim_ms"] / r["ort_ms"],
               "*" if r["model"] in LATENCY_TARGETS else " ", r["sim_min_ms"],
               r["sim_first_ms"], r["sim_rss_mb"], limit, "yes" if r["sim_rss_mb"] <= limit else "NO"))
    kinds = sorted({r["kernels"] for r in rows if "kernels" in r})
    print("simulator kernels (dlp-run --time): %s" % ", ".join(kinds))
    print("table: calibrate phase of the one dlpc run that wrote the calibration table "
          "(%d samples);\nimport..write: dlpc phases with that table (median of %d "
          "compiles; calib = reading the table);\nsum: their sum, wall: the dlpc process; "
          "ratio: sum / ORT session creation (target <= 2x);\nsim: dlp-run run time "
          "(load excluded), median of %d runs in one process, median of %d processes; "
          "sim min: fastest run;\n1st run: each process's first (cold) run, median; "
          "ORT: float latency, median of %d runs x %d sessions;\n* = latency target (simulator <= ORT); RSS: peak RSS of dlp-run "
          "(wait4), ok if <= bin MB + %d"
          % (args.calib_samples, args.repeat, args.ort_repeat, args.repeat,
             args.ort_repeat, args.ort_sessions, RSS_SLACK_MB))


if __name__ == "__main__":
    main()
