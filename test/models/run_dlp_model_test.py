#!/usr/bin/python3
"""Bit-exactness of the DLP simulator against the quantized evaluator on one
torchvision model.

    /usr/bin/python3 test/models/run_dlp_model_test.py --model NAME --workdir DIR
        --dlpc PATH --dlp-run PATH --dlp-eval PATH --config CFG.json [--config ...]
        [--weights pow2,int8] [--images 2] [--calib-samples 3] [--threads 2]

1. Exports NAME into DIR/NAME (run_model_test.export_model: cached).
2. In DIR/NAME/dlp (emptied first): --calib-samples random N(0, 1) inputs
   (the distribution the BN statistics were estimated on) calibrate the model
   once (`dlpc --calib ... --calibration-out table.json`); every later compile
   reuses the table. --images other random inputs are the test inputs.
3. For each weight precision W: `dlpc --weights W --emit=qnn` and the
   quantized evaluator (`dlp-eval q.mlirbc`, the reference) on each image with
   --dump-dir. For each config: `dlpc --weights W --target CFG` to a .dlpb,
   `dlp-run` on the whole batch, twice in one process (--repeat 2: the
   second run on DDR regions and buffers the first used; its dump is the
   last image's), then on each
   other image alone (its dump); the outputs must equal the evaluator's bit
   for bit, and so must every tensor of the simulator's dump but the input
   (test/lit-tools/dlp_check.py `same` / `layers`).

Prints one line per (model, weights, config)
   dlp-model NAME W CONFIG: N images, outputs and K layers bit-exact, ... PASS|FAIL
(preceded by the failing command's message) and exits 0 iff all pass.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_model_test import export_model  # noqa: E402

DLP_CHECK = os.path.join(os.path.dirname(HERE), "lit-tools", "dlp_check.py")
DLP_RACES = os.path.join(os.path.dirname(HERE), "lit-tools", "dlp_races.py")
ROOT = os.path.dirname(os.path.dirname(HERE))
CALIB_SEED, IMAGE_SEED = 10, 11


class StepError(Exception):
    pass


def run(cmd, timeout=None):
    """Runs cmd; returns (seconds, stdout + stderr); raises StepError on failure."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StepError("timed out after %gs: %s" % (timeout, " ".join(cmd)))
    if r.returncode != 0:
        # dlpc's notes print whole ops, scale attributes and all: cut them.
        out = "\n".join(l if len(l) <= 400 else l[:400] + " ..."
                        for l in r.stdout.rstrip().splitlines())
        raise StepError("exit %d: %s\n%s" % (r.returncode, " ".join(cmd), out))
    return time.perf_counter() - t0, r.stdout


def check(*args):
    """dlp_check.py ARGS; returns its output line, raises StepError on a difference."""
    return run([sys.executable, DLP_CHECK] + list(args))[1].strip()


def check_layers(sim_dump, eval_dump):
    """Every tensor the simulator dumps except the model input (which the
    evaluator names after its quantize op) and a first layer's packed taps
    (a DLP-only layout of the input, checked through the conv that reads
    it) must be in the evaluator's dump with the same values; returns that
    count."""
    n = len([f for f in os.listdir(sim_dump) if f.endswith(".npy") and
             f != "input.npy" and not f.endswith("_packed_taps.npy")])
    check("layers", sim_dump, eval_dump, "--min", str(n))
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--dlpc", required=True)
    ap.add_argument("--dlp-run", required=True)
    ap.add_argument("--dlp-eval", required=True)
    ap.add_argument("--config", action="append", required=True,
                    help="target config JSON (repeatable)")
    ap.add_argument("--weights", default="pow2,int8")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--calib-samples", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=None, help="per command, seconds")
    ap.add_argument("--prune", type=float, default=0.0,
                    help="magnitude-prune every conv / FC weight to this sparsity "
                         "first (dlp_kit.prune_onnx)")
    ap.add_argument("--balance-for", default=None, metavar="TARGET.json",
                    help="with --prune: prune balanced for this target's "
                         "window-sparse array; its compiles must then hold "
                         "GEMM_WIN")
    ap.add_argument("--csr-density", default=None,
                    help="passed to dlpc for the DLP compiles (CSR weights)")
    ap.add_argument("--tile-search", action="store_true",
                    help="compile for the configs with dlpc --tile-search "
                         "(its chosen tilings, merged stores included)")
    ap.add_argument("--weight-rounding", default=None,
                    help="passed to dlpc for every compile (gptq: with the "
                         "calibration samples)")
    args = ap.parse_args(argv)

    name = args.model
    mdir = os.path.join(os.path.abspath(args.workdir), name)
    err = export_model(name, mdir)
    if err:
        print(err, file=sys.stderr)
        print("dlp-model %s: export FAIL" % name, flush=True)
        return 1

    suffix = "-sparse%d" % round(100 * args.prune) if args.prune else ""
    if args.prune and args.balance_for:
        suffix += "-balanced"
    if args.weight_rounding:
        suffix += "-" + args.weight_rounding
    work = os.path.join(mdir, "dlp" + suffix)
    shutil.rmtree(work, ignore_errors=True)  # never compare stale results
    os.makedirs(work)

    def path(*parts):
        return os.path.join(work, ".".join(parts))

    onnx_path = os.path.join(mdir, "model.onnx")
    if args.prune:
        sys.path.insert(0, os.path.join(ROOT, "python"))
        import onnx
        from dlp_kit.prune_onnx import prune_model, window_of
        model = onnx.load(onnx_path)
        prune_model(model, args.prune,
                    window_of(args.balance_for) if args.balance_for else None)
        onnx_path = path("model", "onnx")
        onnx.save(model, onnx_path)
    name += suffix
    dlp_opts = ["--csr-density", args.csr_density] if args.csr_density else []
    shape = np.load(os.path.join(mdir, "input.npy")).shape[1:]
    calib = path("calib", "npy")
    np.save(calib, np.random.default_rng(CALIB_SEED).standard_normal(
        (args.calib_samples,) + shape).astype(np.float32))
    x = np.random.default_rng(IMAGE_SEED).standard_normal(
        (args.images,) + shape).astype(np.float32)
    batch = path("x", "npy")
    np.save(batch, x)
    images = [path("x", str(i), "npy") for i in range(args.images)]
    for i, p in enumerate(images):
        np.save(p, x[i:i + 1])
    table = path("table", "json")
    threads = ["--num-threads", str(args.threads)]

    def dlpc(weights, *opts):
        calib_opts = (["--calibration", table] if os.path.exists(table) else
                      ["--calib", calib, "--calib-batch", "1", "--calibration-out", table])
        if args.weight_rounding:
            # The same table; the rounding also reads the samples.
            calib_opts += ["--weight-rounding", args.weight_rounding]
            if "--calib" not in calib_opts:
                calib_opts += ["--calib", calib]
        return run([args.dlpc, onnx_path, "--weights", weights] + calib_opts + threads +
                   list(opts), args.timeout)[0]

    def listing(dlpb):
        """The binary's disassembly (dlp-translate --binary-to-dlp)."""
        return run([os.path.join(os.path.dirname(args.dlpc), "dlp-translate"),
                    "--binary-to-dlp", dlpb], args.timeout)[1]

    failures = 0
    for weights in args.weights.split(","):
        try:
            qnn = path("q", weights, "mlirbc")
            dlpc(weights, "--emit=qnn", "-o", qnn)
            evals = []  # per image: (output, dump dir)
            for i, p in enumerate(images):
                out, dump = path("eval", weights, str(i), "npy"), path("eval", weights, str(i))
                run([args.dlp_eval, qnn, "--input", p, "--output", out, "--dump-dir", dump] +
                    threads, args.timeout)
                evals.append((out, dump))
            ref = path("eval", weights, "npy")
            np.save(ref, np.concatenate([np.load(o) for o, _ in evals]))
        except StepError as e:
            print("%s\ndlp-model %s %s: qnn reference FAIL" % (e, name, weights), flush=True)
            failures += 1
            continue

        for cfg in args.config:
            cname = os.path.splitext(os.path.basename(cfg))[0]
            tag = "dlp-model %s %s %s" % (name, weights, cname)
            try:
                dlpb = path("m", weights, cname, "dlpb")
                search = ["--tile-search"] if args.tile_search else []
                compile_s = dlpc(weights, "--target", cfg, "-o", dlpb,
                                 *(dlp_opts + search))
                if dlp_opts:
                    # CSR layers: GEMM_CSR in the program, and a smaller binary.
                    dense = path("m", weights, cname, "dense", "dlpb")
                    dlpc(weights, "--target", cfg, "-o", dense)
                    n_csr = listing(dlpb).count("dlp.gemm_csr")
                    if n_csr == 0:
                        raise StepError("no dlp.gemm_csr in the CSR compile")
                    tag += " csr (%d GEMM_CSR, binary %.0f%% of dense)" % (
                        n_csr, 100.0 * os.path.getsize(dlpb) / os.path.getsize(dense))
                if args.balance_for and weights == "pow2":
                    # Pruned balanced: GEMM_WIN in the program.
                    n_win = listing(dlpb).count("dlp.gemm_win")
                    if n_win == 0:
                        raise StepError("no dlp.gemm_win in the balanced compile")
                    tag += " window (%d GEMM_WIN)" % n_win
                # Every cross-queue conflict ordered by tokens or barriers
                # (independent of the simulator's replay order).
                run([sys.executable, DLP_RACES, dlpb], args.timeout)
                # The whole batch: outputs of every image, dump of the last;
                # run twice in the process (--repeat 2), so the second run
                # finds regions an earlier image used (re-zeroed only where
                # the program reads before writing).
                out, dump = path("sim", weights, cname, "npy"), path("sim", weights, cname)
                sim_s, _ = run([args.dlp_run, dlpb, "--input", batch, "--output", out,
                                "--dump-dir", dump, "--repeat", "2"] + threads,
                               args.timeout)
                check("same", out, ref)
                layers = check_layers(dump, evals[-1][1])
                # Every other image alone, for its dump.
                for i in range(args.images - 1):
                    o, d = path("sim", weights, cname, str(i), "npy"), \
                        path("sim", weights, cname, str(i))
                    run([args.dlp_run, dlpb, "--input", images[i], "--output", o,
                         "--dump-dir", d] + threads, args.timeout)
                    check("same", o, evals[i][0])
                    check_layers(d, evals[i][1])
                print("%s: no races; %d images, outputs and %d layers bit-exact, dlpc %.2fs, "
                      "dlp-run batch %d %.2fs PASS"
                      % (tag, args.images, layers, compile_s, args.images, sim_s), flush=True)
            except StepError as e:
                print("%s\n%s: FAIL" % (e, tag), flush=True)
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
