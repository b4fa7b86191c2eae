"""Greedy per-layer weight precision for post-training quantization.

Starts from all-pow2-4 weights and moves one conv / fully-connected layer at
a time to int8 weights, each time the one that most raises the agreement of
the quantized model's top-1 with the float model's on held-out *training*
images (no labels, no test data), until the agreement reaches --target.
Writes the precision config that ``dlpc --precision`` reads.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.mixed_precision \
        python/models/fmnist_resnet.onnx --calib cal.npy --select sel.npy \
        --out python/models/fmnist_resnet.precision.json
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

import numpy as np


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def layers_of(qnn_mlir):
    """Names of the conv / fully-connected layers of a dlpc output, in order."""
    text = open(qnn_mlir).read()
    names = re.findall(r'dense_resource<"([^"]+)\.w">', text)
    return list(dict.fromkeys(names))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--calib", required=True, help="calibration images .npy")
    ap.add_argument("--select", required=True,
                    help="held-out images .npy used to pick layers")
    ap.add_argument("--out", required=True, help="precision config to write")
    ap.add_argument("--target", type=float, default=98.5,
                    help="top-1 agreement with the float model, %%")
    ap.add_argument("--bin", default="build/bin")
    args = ap.parse_args()
    dlpc = os.path.join(args.bin, "dlpc")
    ev = os.path.join(args.bin, "dlp-eval")
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "cal.json")
        base = os.path.join(tmp, "base.mlir")
        run([dlpc, args.model, "--calib", args.calib, "--calibration-out", table,
             "-o", base])
        ref = os.path.join(tmp, "ref.npy")
        run([ev, args.model, "--input", args.select, "--output", ref])
        want = np.load(ref).argmax(1)

        def agreement(int8):
            cfg = os.path.join(tmp, "cfg.json")
            json.dump({"default": "pow2", "layers": {n: "int8" for n in int8}},
                      open(cfg, "w"))
            q, out = os.path.join(tmp, "q.mlir"), os.path.join(tmp, "q.npy")
            run([dlpc, args.model, "--calibration", table, "--precision", cfg,
                 "-o", q])
            run([ev, q, "--input", args.select, "--output", out])
            return (np.load(out).argmax(1) == want).mean() * 100

        chosen, layers = [], layers_of(base)
        score = agreement(chosen)
        print(f"all pow2: agreement {score:.2f} %")
        while score < args.target and len(chosen) < len(layers):
            trials = [(agreement(chosen + [l]), l) for l in layers if l not in chosen]
            score, best = max(trials)
            chosen.append(best)
            print(f"+ {best} (int8): agreement {score:.2f} %")
    json.dump({"default": "pow2", "layers": {n: "int8" for n in chosen}},
              open(args.out, "w"), indent=2)
    print(f"wrote {args.out}: {len(chosen)} of {len(layers)} layers int8")


if __name__ == "__main__":
    main()
