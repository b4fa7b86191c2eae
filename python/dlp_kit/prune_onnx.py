"""Magnitude pruning of an ONNX model's weights, without retraining.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.prune_onnx model.onnx \\
        --sparsity 0.9 -o model.sparse90.onnx

Every Conv, ConvTranspose, Gemm and MatMul whose weight (input 1) is an
initializer gets, per layer, its smallest-magnitude weights set to 0 until
the layer reaches the sparsity (ties broken by position, so the count is
exact: floor(sparsity * size) zeros). Biases are not pruned. For test
models with random weights (the 90 %-sparse ResNet-18 of the CSR tests);
trained models are pruned with fine-tuning by ``dlp_kit.prune``.

``--balance-for TARGET.json`` (a target with a window-sparse array,
``array.window`` W > 1) prunes balanced for its GEMM_WIN (docs/isa.md 3.8):
the weights of one output channel that share an array lane and a window of
W array steps (as the compiler lays a layer out in one K chunk: lane
``c mod L``, step ``tap * ceil(C / L) + c div L``; a model input's conv
with its kernel columns packed into channels as the compiler packs them;
a fully-connected layer's features as the compiler stores the C x H x W
map a Flatten made them from: lane ``c mod L``, step ``(c div L) * H * W
+ pixel``) keep at most ``max(1, floor((1 - sparsity) * W))`` of their
largest magnitudes, then the smallest kept ones go until the layer has
its zeros. Every window then needs that many slots (steps per output
pixel) instead of W. Grouped, 1-D and transposed convolutions are pruned
unbalanced. The groups follow the compiler's layout of a layer in one K
chunk (at most 64 channel blocks that fit a weight bank); in a layer the
compiler splits into K chunks the windows restart per chunk, so they
may need more slots.
"""

import argparse
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PRUNED_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def node_attr(node, name, default):
    """Attribute `name` of an ONNX node (as onnx.helper reads it), or
    `default`."""
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class _Graph:
    """What the balanced prune needs of the graph: the consumers of each
    value and the (C, H, W) a Flatten / Reshape turned into FC features."""

    def __init__(self, model):
        self.inputs = ({i.name for i in model.graph.input} -
                       {t.name for t in model.graph.initializer})
        self.uses, self.producer = {}, {}
        for n in model.graph.node:
            for i in n.input:
                self.uses[i] = self.uses.get(i, 0) + 1
            for o in n.output:
                self.producer[o] = n
        try:
            inferred = onnx.shape_inference.infer_shapes(model).graph
        except Exception:  # noqa: BLE001 (shapes only refine the groups)
            inferred = model.graph
        self.shapes = {}
        for v in list(inferred.value_info) + list(inferred.input):
            dims = v.type.tensor_type.shape.dim  # the batch may be symbolic
            self.shapes[v.name] = [d.dim_value if d.HasField("dim_value")
                                   else None for d in dims]

    def fc_chw(self, name, K):
        """(C, H, W) of an FC input `name` of K features: the 4-D tensor a
        Flatten or Reshape made it from, else (K, 1, 1)."""
        prod = self.producer.get(name)
        if prod is not None and prod.op_type in ("Flatten", "Reshape"):
            shape = self.shapes.get(prod.input[0])
            if (shape and len(shape) == 4 and None not in shape[1:] and
                    shape[1] * shape[2] * shape[3] == K):
                return tuple(shape[1:])
        return K, 1, 1


def window_groups(node, w, graph, L, W):
    """Group id of every weight of `node` (flattened as `w`) for a balanced
    prune on an array of L lanes with windows of W steps, or None."""
    if (node.op_type == "Conv" and w.ndim == 4 and
            node_attr(node, "group", 1) == 1):
        O, C, kh, kw = w.shape
        o, c, ky, kx = np.meshgrid(np.arange(O), np.arange(C), np.arange(kh),
                                   np.arange(kw), indexing="ij")
        # The compiler's PackTaps (LowerGemm.cpp, lowerConv): a model
        # input read by this conv alone, when packing saves steps.
        packed = (node.input[0] in graph.inputs and
                  graph.uses.get(node.input[0]) == 1 and kw > 1 and
                  (C * kw + L - 1) // L < kw * ((C + L - 1) // L))
        if packed:  # the compiler's PackTaps: channel kx * C + c, taps ky
            pc = kx * C + c
            step = ky * ((C * kw + L - 1) // L) + pc // L
            lane = pc % L
        else:
            step = (ky * kw + kx) * ((C + L - 1) // L) + c // L
            lane = c % L
    elif node.op_type in ("Gemm", "MatMul") and w.ndim == 2:
        trans = node.op_type == "Gemm" and node_attr(node, "transB", 0)
        K, O = (w.shape[1], w.shape[0]) if trans else w.shape
        k, o = np.meshgrid(np.arange(K), np.arange(O), indexing="ij")
        if trans:
            k, o = k.T, o.T
        # Feature k of a flattened C x H x W map is channel k // (H W) at
        # pixel k % (H W); the compiler's storage unit of it is
        # (channel block, pixel), its lane the channel's.
        C, H, Wd = graph.fc_chw(node.input[0], K)
        c, pix = k // (H * Wd), k % (H * Wd)
        step, lane = (c // L) * H * Wd + pix, c % L
    else:
        return None
    return ((o * L + lane) * (int(step.max()) // W + 1) + step // W).reshape(-1)


def prune_model(model, sparsity, balance=None):
    """Prunes `model` in place; returns {initializer name: zeros}.
    `balance`: (L, W) of a window-sparse target (module docstring)."""
    inits = {t.name: t for t in model.graph.initializer}
    graph = _Graph(model) if balance else None
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
        groups = (window_groups(node, w, graph, *balance)
                  if balance and k > 0 else None)
        if groups is not None:
            cap = max(1, int(np.floor((1.0 - sparsity) * balance[1] + 1e-9)))
            # Rank within each group by magnitude (largest first).
            order = np.lexsort((-np.abs(flat), groups))
            g = groups[order]
            first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
            rank = np.arange(flat.size) - np.repeat(first, np.diff(
                np.r_[first, flat.size]))
            flat[order[rank >= cap]] = 0.0
            kept = np.flatnonzero(flat != 0.0)
            extra = kept.size - (flat.size - k)
            if extra > 0:
                smallest = kept[np.argsort(np.abs(flat[kept]), kind="stable")]
                flat[smallest[:extra]] = 0.0
        elif k > 0:
            order = np.argsort(np.abs(flat), kind="stable")
            flat[order[:k]] = 0.0
        inits[name].CopyFrom(numpy_helper.from_array(flat.reshape(w.shape), name))
        done[name] = int((flat == 0).sum())
    return done


def window_of(target_path):
    """(L, W) of a target config with a window-sparse array."""
    with open(target_path) as f:
        array = json.load(f)["array"]
    L, W = int(array["L"]), int(array.get("window", 1))
    if W < 2:
        raise ValueError("array.window is %d: the target has no window-sparse "
                         "array" % W)
    return L, W


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--sparsity", type=float, required=True)
    ap.add_argument("--balance-for", metavar="TARGET.json",
                    help="prune balanced for this target's window-sparse array")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if not 0.0 <= args.sparsity < 1.0:
        print("prune_onnx: --sparsity must be in [0, 1)", file=sys.stderr)
        return 2
    balance = None
    if args.balance_for:
        try:
            balance = window_of(args.balance_for)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("prune_onnx: %s: %s" % (args.balance_for, e), file=sys.stderr)
            return 2
    model = onnx.load(args.model)
    zeros = prune_model(model, args.sparsity, balance)
    onnx.save(model, args.output)
    total = sum(int(np.prod(t.dims)) for t in model.graph.initializer
                if t.name in zeros)
    print("pruned %d layers: %d of %d weights zero (%.1f %%)"
          % (len(zeros), sum(zeros.values()), total,
             100.0 * sum(zeros.values()) / max(total, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
