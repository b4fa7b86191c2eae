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

  lanes   for an array whose PEs, like this ISA's and the DLP's, each hold
          weights of one output channel and apply each one to P pixels
          (an output channel's L x P PEs take its non-zero weights L at a
          time, the Q channels of a block in step): per block and output
          pixel, the most non-zero weights with an input inside the map
          that one of the block's channels has, over L, rounded up, at
          least 1; the pixels' sum over P (which is loose for P > 1: a
          group of P pixels takes its slowest one's cycles). It counts
          what the work floor does not: a 3 x 3 conv of 64 channels keeps
          about 58 weights per output channel at 90 %, which 64 lanes take
          in one cycle, not in 0.9, and channels of one block wait for the
          fullest (channels ranked fullest first into blocks, per class of
          pixels: no order of them does better). Any zero-weight skipping
          inside that structure (windows, CSR, the same pruning with the
          channels in any order) stays at or above it; another pruning of
          the same density per output channel and tap could go lower, as
          could an array that moves weights between output channels' PEs
          or pixels between cycles.

The layer's floor is the larger; the model's is their sum for an array
that runs one layer at a time, all its PEs on the same layer's output
vectors (as this ISA's GEMM: one instruction on the array at a time). An
array split into parts running several layers as a pipeline is bounded
by max(total work, total output) instead (the columns' totals). Pooling layers
are listed apart (one input vector of L channels per cycle, as the pool
unit's streaming path reads; a target without units.pool_streaming takes
one window element per cycle, not modelled here) and counted both ways: in sequence, and hidden under the
array (free). DDR is not counted (a floor: it can only add). The latency
is at the target's clock; --budget-ms prints the cycles a budget allows.
--sweep N lists the --top shapes L x Q x P (powers of 2, N PEs) with the
lowest lanes floor.
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


def _tap_masks(out_n, in_n, k, stride, dil, pad):
    """The distinct masks of valid kernel offsets over the output positions
    of one dimension: [(positions, mask of k bools)]."""
    o = np.arange(out_n)[:, None]
    t = np.arange(k)[None, :]
    pos = o * stride + t * dil - pad
    valid = (pos >= 0) & (pos < in_n)
    masks, counts = np.unique(valid, axis=0, return_counts=True)
    return list(zip(counts.tolist(), masks))


def _conv_classes(w, x, y, strides, dils, pads):
    """The output pixels of a conv grouped by which taps fall inside the
    input: [(pixels, non-zero weights with a valid input per output
    channel)]."""
    nz = (w != 0).sum(axis=1)  # (O, kh, kw)
    rows = _tap_masks(y[2], x[2], w.shape[2], strides[0], dils[0], pads[0])
    cols = _tap_masks(y[3], x[3], w.shape[3], strides[1], dils[1], pads[1])
    return [(y[0] * nr * nc, (nz * np.outer(mr, mc)).sum(axis=(1, 2)))
            for nr, mr in rows for nc, mc in cols]


def lane_cycles(classes, L, Q, P):
    """The lane floor of one layer on an L x Q x P array (module docstring):
    per Q-block of output channels and output pixel, the most non-zero
    weights with a valid input that one output channel's L PEs share,
    divided among them, at least one cycle; the pixels' cycles over P.
    The channels go into blocks fullest first, per class of pixels: no
    order of the channels (which a compiler may choose) does better."""
    total = 0.0
    for pix, per_o in classes:
        ranked = np.sort(np.asarray(per_o))[::-1]
        for b in range(0, len(ranked), Q):
            total += pix * max(1, -(-int(ranked[b]) // L))
    return total / P


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
            classes = _conv_classes(w, x, y, strides, dils, pads)
            macs = sum(pix * int(per_o.sum()) for pix, per_o in classes)
            out.append((name, "conv", y[0] * y[2] * y[3], y[1], macs, 0,
                        classes))
        elif n.op_type in ("Gemm", "MatMul") and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim != 2:
                continue
            y = shapes[n.output[0]]
            rows = int(np.prod(y[:-1]))
            trans = n.op_type == "Gemm" and node_attr(n, "transB", 0)
            per_o = (w != 0).sum(axis=1 if trans else 0)
            out.append((name, "fc", rows, y[-1], rows * int((w != 0).sum()), 0,
                        [(rows, per_o)]))
        elif n.op_type in ("MaxPool", "AveragePool", "GlobalAveragePool",
                           "GlobalMaxPool"):
            x = shapes[n.input[0]]
            out.append((name, "pool", 0, x[1], 0, x[0] * x[2] * x[3], []))
    return out


def prune_global(model, sparsity):
    """Zeroes the conv / FC weights below one magnitude threshold over all
    of them: the smallest floor(sparsity * total) (ties by position)."""
    from onnx import numpy_helper
    from dlp_kit.prune_onnx import PRUNED_OPS
    inits = {t.name: t for t in model.graph.initializer}
    names = []
    for n in model.graph.node:
        if (n.op_type in PRUNED_OPS and len(n.input) > 1 and
                n.input[1] in inits and n.input[1] not in names):
            names.append(n.input[1])
    ws = [numpy_helper.to_array(inits[n]).astype(np.float32) for n in names]
    flat = np.concatenate([w.reshape(-1) for w in ws])
    k = int(np.floor(sparsity * flat.size))
    flat[np.argsort(np.abs(flat), kind="stable")[:k]] = 0.0
    at = 0
    for n, w in zip(names, ws):
        inits[n].CopyFrom(numpy_helper.from_array(
            flat[at:at + w.size].reshape(w.shape), n))
        at += w.size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default="resnet18",
                    help="a torchvision name (exported to BUILD/models) or an .onnx")
    ap.add_argument("--prune", type=float, default=0.0)
    ap.add_argument("--prune-global", action="store_true",
                    help="with --prune: one magnitude threshold over all "
                         "conv / FC weights instead of per layer")
    ap.add_argument("--balance", action="store_true",
                    help="with --prune: balanced for the target's window array")
    ap.add_argument("--target", default=os.path.join(ROOT, "hw", "configs",
                                                     "large-win.json"))
    ap.add_argument("--shapes", default="",
                    help="array shapes LxQ or LxQxP, P output pixels per "
                         "cycle (default: the target's, P its array.pixels)")
    ap.add_argument("--budget-ms", type=float, default=0.0)
    ap.add_argument("--per-layer", action="store_true")
    ap.add_argument("--sweep", type=int, default=0, metavar="N",
                    help="every L x Q x P of powers of 2 with N PEs, "
                         "sorted by the lane floor (--top of them)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()

    import onnx
    from dlp_kit.prune_onnx import prune_model, window_of
    path = args.model
    if not path.endswith(".onnx"):
        from float_bench import ensure_model
        path = os.path.join(ensure_model(args.build, args.model), "model.onnx")
    model = onnx.load(path)
    if args.prune > 0 and args.prune_global:
        if args.balance:
            raise SystemExit("--prune-global and --balance: choose one")
        prune_global(model, args.prune)
    elif args.prune > 0:
        prune_model(model, args.prune,
                    window_of(args.target) if args.balance else None)
    model = onnx.shape_inference.infer_shapes(model)
    with open(args.target) as f:
        cfg = json.load(f)
    clock = float(cfg["clock_mhz"])
    shapes = ([tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
              if args.shapes else [(int(cfg["array"]["L"]), int(cfg["array"]["Q"]),
                                    int(cfg["array"].get("pixels", 1)))])
    shapes = [s if len(s) == 3 else s + (1,) for s in shapes]
    if args.sweep:
        if args.sweep & (args.sweep - 1):
            raise SystemExit("--sweep: a power of 2")
        n = args.sweep.bit_length() - 1
        shapes = [(1 << i, 1 << j, 1 << (n - i - j))
                  for i in range(n + 1) for j in range(n + 1 - i)]
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
    results = []
    for L, Q, P in shapes:
        work = outp = floor = lanes = pools = 0
        rows = []
        for name, kind, pix, cout, macs, pin, classes in ls:
            if kind == "pool":
                p = pin * -(-cout // L)
                pools += p
                rows.append((name, 0, 0, p, 0))
                continue
            a, b = macs / (L * Q * P), -(-pix // P) * -(-cout // Q)
            c = max(lane_cycles(classes, L, Q, P), b)
            work += a
            outp += b
            floor += max(a, b)
            lanes += c
            rows.append((name, a, b, 0, c))
        results.append(((L, Q, P), work, outp, floor, pools, lanes, rows))
    if args.sweep:
        results.sort(key=lambda r: r[5])
        results = results[:args.top]
    head = "%-10s %10s %10s %10s %10s %10s %9s %9s %10s %9s" % (
        "array", "work", "output", "floor", "pools", "+pools", "ms",
        "ms+pools", "lanes", "ms lanes")
    print(head)
    print("-" * len(head))
    for (L, Q, P), work, outp, floor, pools, lanes, rows in results:
        print("%-10s %10.0f %10.0f %10.0f %10.0f %10.0f %9.3f %9.3f %10.0f %9.3f"
              % ("%dx%d" % (L, Q) + ("x%d" % P if P > 1 else ""), work, outp,
                 floor, pools, floor + pools, floor / clock / 1e3,
                 (floor + pools) / clock / 1e3, lanes, lanes / clock / 1e3))
        if args.per_layer:
            for name, a, b, p, c in rows:
                print("    %-40s %10.0f %10.0f %10.0f %10.0f"
                      % (name[-40:], a, b, p, c))

if __name__ == "__main__":
    main()
