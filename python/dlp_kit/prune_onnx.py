"""Magnitude pruning of an ONNX model's weights, without retraining.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.prune_onnx model.onnx \\
        --sparsity 0.9 -o model.sparse90.onnx

Every Conv, ConvTranspose, Gemm and MatMul whose weight (input 1) is an
initializer gets, per layer, its smallest-magnitude weights set to 0 until
the layer reaches the sparsity (ties broken by position, so the count is
exact: floor(sparsity * size) zeros). Biases are not pruned. For test
models with random weights (the 90 %-sparse ResNet-18 of the CSR tests);
trained models are pruned with fine-tuning by ``dlp_kit.prune``.
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PRUNED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def prune_model(model, sparsity):
    """Prunes `model` in place; returns {initializer name: zeros}."""
    inits = {t.name: t for t in model.graph.initializer}
    done = {}
    for node in model.graph.node:
        if node.op_type not in PRUNED_OPS or len(node.input) < 2:
            continue
        name = node.input[1]
        if name not in inits or name in done:
            continue
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        flat = w.reshape(-1).copy()
        k = int(np.floor(sparsity * flat.size))
        if k > 0:
            order = np.argsort(np.abs(flat), kind="stable")
            flat[order[:k]] = 0.0
        inits[name].CopyFrom(numpy_helper.from_array(flat.reshape(w.shape), name))
        done[name] = int((flat == 0).sum())
    return done


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--sparsity", type=float, required=True)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if not 0.0 <= args.sparsity < 1.0:
        print("prune_onnx: --sparsity must be in [0, 1)", file=sys.stderr)
        return 2
    model = onnx.load(args.model)
    zeros = prune_model(model, args.sparsity)
    onnx.save(model, args.output)
    total = sum(int(np.prod(t.dims)) for t in model.graph.initializer
                if t.name in zeros)
    print("pruned %d layers: %d of %d weights zero (%.1f %%)"
          % (len(zeros), sum(zeros.values()), total,
             100.0 * sum(zeros.values()) / max(total, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
