"""Check the committed models of ``python/models`` without retraining anything.

    PYTHONPATH=python /usr/bin/python3 -m dlp_kit.check_models [--limit N] [NAME ...]

For every ``NAME.onnx`` with a ``NAME.json`` next to it (or the given names):

* ``onnx.checker`` (full check), opset 13, input "input" / output "logits",
  dynamic batch axis;
* power-of-two models (JSON with ``inq_steps``): every Conv / Gemm weight read
  from the ONNX file is 0 or +-2^n with all exponents of an output channel in
  one 7-exponent window, i.e. a fixed point of ``pow2.pow2_quantize`` with
  windows recomputed from the file (what the compiler does); the windows in the
  JSON (fixed before INQ) contain them; the zero counts match the JSON;
* the numpy reference evaluator (``dlp_kit.onnx_ref``) on the first ``--limit``
  test images (default: all 10000): with the full set its accuracy must equal
  the JSON's ``onnx_numpy_test_accuracy``.

Exits 1 on the first mismatch. Torch is not needed.
"""

import argparse
import json
import os
import sys

from dlp_kit import fashion_mnist, pow2
from dlp_kit.onnx_ref import layer_weights, run_onnx_numpy

_MODELS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "models"))


def check(name, models_dir, x, y, chunk=500):
    import onnx
    path = os.path.join(models_dir, name + ".onnx")
    with open(os.path.join(models_dir, name + ".json")) as f:
        meta = json.load(f)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.opset_import[0].version == 13, m.opset_import
    assert [i.name for i in m.graph.input] == ["input"], m.graph.input
    assert [o.name for o in m.graph.output] == ["logits"], m.graph.output
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param, "static batch"
    info = []
    if "inq_steps" in meta:
        layers = list(meta["layers"].values())
        weights = layer_weights(m)
        assert len(weights) == len(layers), (len(weights), len(layers))
        zeros = 0
        for (node, op, w, _), lay in zip(weights, layers):
            problems = pow2.check_pow2(w)
            assert not problems, "%s %s: %s" % (op, node, problems[:3])
            codes, own_n1 = pow2.pow2_encode(w)
            assert (pow2.pow2_decode(codes, own_n1) == w).all(), "%s: code round trip" % node
            assert list(w.shape) == lay["shape"], (node, w.shape, lay["shape"])
            n1 = [pow2.ZERO_CHANNEL if v is None else v for v in lay["n1"]]
            problems = pow2.check_pow2(w, n1)
            assert not problems, "%s %s vs JSON windows: %s" % (op, node, problems[:3])
            assert int((w == 0).sum()) == lay["zeros"], (node, int((w == 0).sum()), lay["zeros"])
            zeros += int((w == 0).sum())
        total = sum(w.size for _, _, w, _ in weights)
        info.append("pow2 ok, %d layers, %.1f %% zero weights" % (len(weights), 100 * zeros / total))
    correct = 0
    for i in range(0, len(x), chunk):
        (logits,) = run_onnx_numpy(m, {"input": x[i:i + chunk]})
        correct += int((logits.argmax(1) == y[i:i + chunk]).sum())
    acc = correct / len(x)
    if len(x) == meta.get("test_samples", 10000):
        assert abs(acc - meta["onnx_numpy_test_accuracy"]) < 1e-9, (acc, meta)
    info.append("numpy acc %.4f on %d images" % (acc, len(x)))
    return "; ".join(info)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--limit", type=int, default=None, help="test images to evaluate")
    ap.add_argument("--models-dir", default=_MODELS)
    args = ap.parse_args(argv)
    names = args.names or sorted(
        f[:-5] for f in os.listdir(args.models_dir)
        if f.endswith(".onnx") and os.path.exists(os.path.join(args.models_dir, f[:-5] + ".json")))
    x, y = fashion_mnist.load("test", limit=args.limit)
    for name in names:
        try:
            print("%-26s %s" % (name, check(name, args.models_dir, x, y)), flush=True)
        except AssertionError as e:
            print("%-26s FAILED: %s" % (name, e), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
