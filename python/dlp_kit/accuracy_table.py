"""The Fashion-MNIST accuracy table: every bundled model through our
evaluators (float: dlp-eval on the ONNX file; quantized: dlpc --emit=qnn,
then the bit-exact quantized evaluator) and, for every quantized row, the
same model compiled for the DLP (dlpc --target, same calibration table) and
run on the functional simulator (dlp-run), on the 10,000 test images.

Calibration uses the first --calib-samples *training* images; the mixed
precision configs (python/models/*.precision.json) were chosen by
dlp_kit.mixed_precision on training images 50000-51999 (no test data).
The GPTQ rows fit the rounding to the first 512 calibration images. The
--precision auto rows calibrate on the first --auto-calib-samples (3000)
training images: the rounding fit to the first 512, the top-1 agreement
with the float model measured on the next 2048 (dlpc --gptq-samples /
--auto-samples; on a few hundred images one image moves the agreement by
0.2-0.4 points, as much as a layer's precision does), and report the share
of MACs left on pow2-4 weights.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.accuracy_table --bin build/bin
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import fashion_mnist

MODELS = os.path.join(os.path.dirname(__file__), "..", "models")

# (model, row label, dlpc arguments or None for float)
ROWS = [
    ("fmnist_cnn", "float", None),
    ("fmnist_cnn", "PTQ pow2-4 weights (all layers)", []),
    ("fmnist_cnn", "PTQ pow2-4 (all layers, GPTQ rounding)", ["--weight-rounding=gptq"]),
    ("fmnist_cnn", "PTQ pow2-4 + int8 weights (mixed, precision.json)", ["--precision", "{model}.precision.json"]),
    ("fmnist_cnn", "--precision auto", ["--weight-rounding=gptq", "--precision", "auto"]),
    ("fmnist_cnn", "PTQ int8 weights", ["--weights", "int8"]),
    ("fmnist_cnn_inq", "INQ pow2-4 (float eval of the INQ model)", None),
    ("fmnist_cnn_inq", "INQ pow2-4", []),
    ("fmnist_cnn_sparse50_inq", "INQ pow2-4, 50 % sparse", []),
    ("fmnist_cnn_sparse90_inq", "INQ pow2-4, 90 % sparse", []),
    ("fmnist_resnet", "float", None),
    ("fmnist_resnet", "PTQ pow2-4 weights (all layers)", []),
    ("fmnist_resnet", "PTQ pow2-4 (all layers, GPTQ rounding)", ["--weight-rounding=gptq"]),
    ("fmnist_resnet", "PTQ pow2-4 + int8 weights (mixed, precision.json)", ["--precision", "{model}.precision.json"]),
    ("fmnist_resnet", "--precision auto", ["--weight-rounding=gptq", "--precision", "auto"]),
    ("fmnist_resnet", "PTQ int8 weights", ["--weights", "int8"]),
    ("fmnist_resnet_inq", "INQ pow2-4 (float eval of the INQ model)", None),
    ("fmnist_resnet_inq", "INQ pow2-4", []),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--calib-samples", type=int, default=1000)
    ap.add_argument("--auto-calib-samples", type=int, default=3000,
                    help="training images for the --precision auto rows")
    ap.add_argument("--work", default=None, help="directory for intermediates")
    ap.add_argument("--target", default=os.path.join(MODELS, "..", "..", "hw", "configs", "small.json"),
                    help="target config of the DLP column")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="dlp-acc-")
    os.makedirs(work, exist_ok=True)
    test_x, test_y = fashion_mnist.load("test")
    train_x, _ = fashion_mnist.load("train")
    images = os.path.join(work, "test_images.npy")
    calib = os.path.join(work, "calib.npy")
    np.save(images, test_x)
    np.save(calib, train_x[: args.calib_samples])
    calib_auto = os.path.join(work, "calib_auto.npy")
    np.save(calib_auto, train_x[: args.auto_calib_samples])
    dlpc = os.path.join(args.bin, "dlpc")
    ev = os.path.join(args.bin, "dlp-eval")
    run = os.path.join(args.bin, "dlp-run")

    print(f"Fashion-MNIST test set ({len(test_y)} images), calibration: first "
          f"{args.calib_samples} training images\n")
    print(f"DLP column: compiled for {os.path.basename(args.target)}, run on the "
          "functional simulator (dlp-run); '= eval' says whether its outputs "
          "equal the quantized evaluator's bit for bit\n")
    print("| model | variant | top-1 % | vs float | DLP top-1 % | = eval | compile s | eval s | DLP s |")
    print("|---|---|---|---|---|---|---|---|---|")
    float_acc = {}
    for model, label, extra in ROWS:
        onnx = os.path.join(MODELS, model + ".onnx")
        out = os.path.join(work, "out.npy")
        compile_s = 0.0
        if extra is None:
            target = onnx
        else:
            target = os.path.join(work, model + ".qnn.mlirbc")
            table = os.path.join(work, model + ".calibration.json")
            opts = [a.format(model=os.path.join(MODELS, model)) for a in extra]
            cal = calib_auto if "auto" in extra else calib
            cmd = [dlpc, onnx, "--calib", cal, "--calibration-out", table,
                   "--emit=qnn", "-o", target] + opts
            t0 = time.time()
            res = subprocess.run(cmd, check=True, stderr=subprocess.PIPE,
                                 text=True)
            compile_s = time.time() - t0
            sys.stderr.write(res.stderr)
            # --precision auto reports the MACs it left on pow2-4 weights.
            m = re.search(r"precision=auto: .*?([0-9.]+) % of MACs on pow2-4",
                          res.stderr)
            if m:
                label = f"{label} ({m.group(1)} % of MACs pow2-4)"
            binary = os.path.join(work, model + ".dlpb")
            # The same table; the weight rounding needs the samples too.
            subprocess.run([dlpc, onnx, "--calibration", table, "--calib",
                            cal, "--target", args.target, "-o", binary]
                           + opts, check=True)
        t0 = time.time()
        subprocess.run([ev, target, "--input", images, "--output", out], check=True)
        eval_s = time.time() - t0
        acc = (np.load(out).argmax(1) == test_y).mean() * 100
        dlp_cols = "| - | - "
        dlp_s = "-"
        if extra is not None:
            dout = os.path.join(work, "out-dlp.npy")
            t0 = time.time()
            subprocess.run([run, binary, "--input", images, "--output", dout],
                           check=True)
            dlp_s = f"{time.time() - t0:.2f}"
            dacc = (np.load(dout).argmax(1) == test_y).mean() * 100
            same = np.array_equal(np.load(dout), np.load(out))
            dlp_cols = f"| {dacc:.2f} | {'yes' if same else 'NO'} "
        base = model.split("_inq")[0].replace("_sparse50", "").replace("_sparse90", "")
        if extra is None and model == base:
            float_acc[base] = acc
        delta = acc - float_acc[base]
        print(f"| {model} | {label} | {acc:.2f} | {delta:+.2f} {dlp_cols}| "
              f"{compile_s:.2f} | {eval_s:.2f} | {dlp_s} |", flush=True)


if __name__ == "__main__":
    main()
