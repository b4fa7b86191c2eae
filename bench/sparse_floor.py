#!/usr/bin/python3
"""Lower bounds on a sparse model's latency for any array of a given shape,
from the model alone (no compiler, no cycle model): what a better schedule
or a better zero-skipping array could at best reach.

    /usr/bin/python3 bench/sparse_floor.py --model resnet18 --prune 0.9
        [--balance] [--target hw/configs/large-win.json]
        [--shapes 64x64,32x128,16x64x4] [--budget-ms 0.174]

For every conv / fully-connected layer (weights an initializer) and every
array shape L x Q (default: the target's) or L x Q x P, two floors in
cycles:

  work    the layer's MACs with a non-zero weight and an input inside the
          map (padding excluded) over L * Q * P: an array of that many PEs
          that skipped every zero weight and every padded input at full
          utilization (zero activations count: an array that also skipped
          those could go lower);
  output  ceil(output pixels / P) x ceil(C_out / Q): an array that, like
          this ISA's GEMM (docs/isa.md 3.3) and the DLP's and TF2's arrays,
          finishes at most one Q-vector of channels for P output pixels per
          cycle (P = 1 there: its Q accumulators hold one pixel's channels)
          needs one cycle per output vector however few its non-zero terms
          are.

The layer's floor is the larger; the model's is their sum for an array
that runs one layer at a time, all its PEs on the same layer's output
vectors (as this ISA's GEMM: one instruction on the array at a time). An
array split into parts running several layers as a pipeline is bounded
by max(total work, total output) instead (the columns' totals). Pooling layers
are listed apart (one input vector of L channels per cycle, as the pool
unit reads) and counted both ways: in sequence, and hidden under the
array (free). DDR is not counted (a floor: it can only add). The latency
is at the target's clock; --budget-ms prints the cycles a budget allows.
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))


def _valid_taps(out_n, in_n, k, stride, dil, pad):
    """For each kernel offset, the output positions whose input is inside."""
    o = np.arange(out_n)
    return np.array([int(((o * stride + t * dil - pad >= 0) &
                          (o * stride + t * dil - pad < in_n)).sum())
                     for t in range(k)])


def layers(model):
    """(name, kind, output pixels, C_out, non-zero MACs, pool input vectors
    per channel) of every conv / FC / pool of a shape-inferred model."""
    from onnx import numpy_helper
    from dlp_kit.prune_onnx import node_attr
    inits = {t.name: t for t in model.graph.initializer}
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + \
            list(model.graph.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    out = []
    for n in model.graph.node:
        name = n.name or n.output[0]
        if n.op_type == "Conv" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim != 4:
                continue
            x, y = shapes[n.input[0]], shapes[n.output[0]]
            strides = node_attr(n, "strides", [1, 1])
            dils = node_attr(n, "dilations", [1, 1])
            pads = node_attr(n, "pads", [0, 0, 0, 0])
            if node_attr(n, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise SystemExit("%s: auto_pad is not handled" % name)
            vh = _valid_taps(y[2], x[2], w.shape[2], strides[0], dils[0], pads[0])
            vw = _valid_taps(y[3], x[3], w.shape[3], strides[1], dils[1], pads[1])
            nz = (w != 0).sum(axis=(0, 1))  # per tap
            macs = int(y[0] * (nz * np.outer(vh, vw)).sum())
            out.append((name, "conv", y[0] * y[2] * y[3], y[1], macs, 0))
        elif n.op_type in ("Gemm", "MatMul") and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim != 2:
                continue
            y = shapes[n.output[0]]
            rows = int(np.prod(y[:-1]))
            out.append((name, "fc", rows, y[-1], rows * int((w != 0).sum()), 0))
        elif n.op_type in ("MaxPool", "AveragePool", "GlobalAveragePool",
                           "GlobalMaxPool"):
            x = shapes[n.input[0]]
            out.append((name, "pool", 0, x[1], 0, x[0] * x[2] * x[3]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default="resnet18",
                    help="a torchvision name (exported to BUILD/models) or an .onnx")
    ap.add_argument("--prune", type=float, default=0.0)
    ap.add_argument("--balance", action="store_true",
                    help="with --prune: balanced for the target's window array")
    ap.add_argument("--target", default=os.path.join(ROOT, "hw", "configs",
                                                     "large-win.json"))
    ap.add_argument("--shapes", default="",
                    help="array shapes LxQ or LxQxP, P output pixels per "
                         "cycle (default: the target's, P = 1)")
    ap.add_argument("--budget-ms", type=float, default=0.0)
    ap.add_argument("--per-layer", action="store_true")
    args = ap.parse_args()

    import onnx
    from dlp_kit.prune_onnx import prune_model, window_of
    path = args.model
    if not path.endswith(".onnx"):
        from float_bench import ensure_model
        path = os.path.join(ensure_model(args.build, args.model), "model.onnx")
    model = onnx.load(path)
    if args.prune > 0:
        prune_model(model, args.prune,
                    window_of(args.target) if args.balance else None)
    model = onnx.shape_inference.infer_shapes(model)
    with open(args.target) as f:
        cfg = json.load(f)
    clock = float(cfg["clock_mhz"])
    shapes = ([tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
              if args.shapes else [(int(cfg["array"]["L"]), int(cfg["array"]["Q"]))])
    shapes = [s if len(s) == 3 else s + (1,) for s in shapes]
    if any(len(s) != 3 or min(s) < 1 for s in shapes):
        raise SystemExit("--shapes: LxQ or LxQxP, positive")
    ls = layers(model)
    nz = sum(r[4] for r in ls)
    print("%s%s: %d conv / FC layers, %.4g G MACs with a non-zero weight and "
          "an input inside the map; %d pools; clock %g MHz"
          % (os.path.basename(path), " pruned %g %%%s" % (
              100 * args.prune, " balanced" if args.balance else "")
             if args.prune else "", sum(r[1] != "pool" for r in ls), nz / 1e9,
             sum(r[1] == "pool" for r in ls), clock))
    if args.budget_ms:
        print("budget %.3f ms = %d cycles" % (args.budget_ms,
                                              round(args.budget_ms * clock * 1e3)))
    head = "%-10s %10s %10s %10s %10s %10s %9s %9s" % (
        "array", "work", "output", "floor", "pools", "+pools", "ms", "ms+pools")
    print(head)
    print("-" * len(head))
    for L, Q, P in shapes:
        work = outp = floor = pools = 0
        rows = []
        for name, kind, pix, cout, macs, pin in ls:
            if kind == "pool":
                p = pin * -(-cout // L)
                pools += p
                rows.append((name, 0, 0, p))
                continue
            a, b = macs / (L * Q * P), -(-pix // P) * -(-cout // Q)
            work += a
            outp += b
            floor += max(a, b)
            rows.append((name, a, b, 0))
        print("%-10s %10.0f %10.0f %10.0f %10.0f %10.0f %9.3f %9.3f" % (
            "%dx%d" % (L, Q) + ("x%d" % P if P > 1 else ""), work, outp,
            floor, pools, floor + pools,
            floor / clock / 1e3, (floor + pools) / clock / 1e3))
        if args.per_layer:
            for name, a, b, p in rows:
                print("    %-40s %10.0f %10.0f %10.0f" % (name[-40:], a, b, p))


if __name__ == "__main__":
    main()
