#!/usr/bin/python3
"""Run ONNX's backend node tests (Debian libonnx-testdata) through dlp-eval.

Each test directory holds model.onnx and test_data_set_*/{input,output}_*.pb.
A test is attempted iff
  * every node is a default-domain op that `dlp-eval --list-onnx-ops` lists,
  * the model's default-domain opset is within [min, max] of every op it uses,
  * all graph inputs/outputs are plain tensors (no optional/sequence/map types),
  * the first graph input (the runtime data input) and all outputs are float32,
  * the test is deterministic (a training-mode Dropout with ratio > 0 draws a
    random mask that no implementation can reproduce; skipped as "random").
Every graph input except the first becomes an initializer holding the data of the
test data set (the model is rewritten per data set only when those inputs differ
between data sets); input_0 is passed as .npy and every output is compared with
numpy.

Use /usr/bin/python3 (Debian's onnx and numpy).  Exit status 0 iff no attempted
test failed and at least --min-passed tests passed.

The last line of output is `N passed, M failed, K skipped`.
"""

import argparse
import collections
import concurrent.futures
import copy
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"

# Tolerance: ONNX's own backend runner uses rtol=1e-3, atol=1e-7, and so does this
# one.  atol matters only for outputs near zero: a float32 evaluator that
# accumulates in another order than the numpy reference (a naive conv/matmul/pool
# loop vs. BLAS, or a float64 reference cast to float32) is off by roughly
# K * 2^-24 * max|term| on a K-term sum, and where the sum cancels to about zero
# rtol * |expected| is ~0, so atol alone must absorb it; on larger, random-data
# reductions that can exceed 1e-7, which is why 1e-5 is the usual fallback
# (`--atol 1e-5`).  For this data set 1e-7 suffices: a numpy model of a naive
# float32 evaluator (sequential float32 accumulation for MatMul/Gemm/AveragePool/
# GlobalAveragePool/LRN/Softmax, BatchNormalization folded to x*a+b) passes every
# such test at atol=1e-7; the largest atol any of them needed was 1.5e-8
# (test_averagepool_3d_default).  The FAIL line prints the max abs error.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7

SKIP_UNSUPPORTED = "unsupported op"
SKIP_OPSET = "opset out of range"
SKIP_TYPES = "optional/sequence types"
SKIP_DTYPE = "non-float dtype"
SKIP_NOINPUT = "no graph input"
SKIP_RANDOM = "random"
SKIP_TRAINING = "training mode (inference-only toolchain)"
SKIP_ORDER = [SKIP_UNSUPPORTED, SKIP_OPSET, SKIP_TYPES, SKIP_DTYPE, SKIP_NOINPUT,
              SKIP_RANDOM, SKIP_TRAINING]


def read_supported(dlp_eval):
    """Return {op_type: (min_opset, max_opset)} from `dlp-eval --list-onnx-ops`."""
    try:
        p = subprocess.run([dlp_eval, "--list-onnx-ops"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    except OSError as e:
        sys.exit("error: cannot run %s: %s" % (dlp_eval, e))
    if p.returncode != 0:
        sys.exit("error: %s --list-onnx-ops failed (%s): %s"
                 % (dlp_eval, describe_rc(p.returncode), first_line(p.stderr)))
    ops = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (3, 4):
            sys.exit("error: bad --list-onnx-ops line: %r" % line)
        # A 4th column "import-time" marks ops evaluated only on constants
        # while importing (shape subgraphs): unsupported on runtime data.
        ops[parts[0]] = (int(parts[1]), int(parts[2]),
                         len(parts) == 4 and parts[3] == "import-time")
    if not ops:
        sys.exit("error: %s --list-onnx-ops listed no ops" % dlp_eval)
    return ops


def describe_rc(rc):
    if rc < 0:
        try:
            return "killed by " + signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def all_nodes(graph):
    """Nodes of a graph including those of subgraphs (If/Loop/Scan bodies)."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from all_nodes(g)


def default_opset(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return None


INT_OUT = (onnx.TensorProto.INT64, onnx.TensorProto.INT32)


def is_float_tensor(value_info):
    t = value_info.type
    return (t.WhichOneof("value") == "tensor_type"
            and t.tensor_type.elem_type == onnx.TensorProto.FLOAT)


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def constant_value(model, name):
    """Value of `name` if it is an initializer or a Constant node output, else None."""
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output[0] == name:
            for attr in node.attribute:
                if attr.name == "value":
                    return numpy_helper.to_array(attr.t)
    return None


def is_training(model, test_dir):
    """BatchNormalization with training_mode=1, or Dropout fed training_mode
    (even with ratio 0): training semantics, which an inference compiler does
    not implement."""
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            for a in node.attribute:
                if a.name == "training_mode" and a.i != 0:
                    return True
        if node.op_type == "Dropout" and len(node.input) >= 3 and node.input[2]:
            inputs = [i.name for i in model.graph.input]
            flag = constant_value(model, node.input[2])
            if flag is None and node.input[2] in inputs:
                path = os.path.join(test_dir, "test_data_set_0", "input_%d.pb"
                                    % inputs.index(node.input[2]))
                if os.path.exists(path):
                    flag = numpy_helper.to_array(load_tensor(path))
            if flag is None or bool(np.asarray(flag)):
                return True
    return False


def is_random(model, test_dir):
    """Training-mode Dropout with a non-zero ratio samples a random mask."""
    inputs = [i.name for i in model.graph.input]
    set0 = os.path.join(test_dir, "test_data_set_0")

    def value(name, default):
        if not name:
            return default
        if name in inputs:
            path = os.path.join(set0, "input_%d.pb" % inputs.index(name))
            if os.path.exists(path):
                return numpy_helper.to_array(load_tensor(path))
            return None
        v = constant_value(model, name)
        return default if v is None else v

    for node in model.graph.node:
        if node.op_type != "Dropout" or len(node.input) < 3:
            continue
        training = value(node.input[2], False)
        ratio = value(node.input[1] if len(node.input) > 1 else "", 0.5)
        if training is None or ratio is None:
            return True  # cannot tell; be conservative
        if bool(np.asarray(training)) and float(np.asarray(ratio)) != 0.0:
            return True
    return False


def classify(model, supported, test_dir):
    """Return (reason, detail) for a skipped test, or None if it is attempted."""
    opset = default_opset(model)
    unsupported = set()
    out_of_range = set()
    for node in all_nodes(model.graph):
        if node.domain not in ("", "ai.onnx"):
            unsupported.add("%s:%s" % (node.domain, node.op_type))
        elif node.op_type not in supported:
            unsupported.add(node.op_type)
        else:
            lo, hi, import_time = supported[node.op_type]
            if import_time and model.graph.input and \
                    model.graph.input[0].name in node.input:
                unsupported.add(node.op_type + "(runtime data)")
            elif opset is None or not lo <= opset <= hi:
                out_of_range.add("%s@%s" % (node.op_type, opset))
    if unsupported:
        return SKIP_UNSUPPORTED, sorted(unsupported)
    if out_of_range:
        return SKIP_OPSET, sorted(out_of_range)
    g = model.graph
    for vi in list(g.input) + list(g.output):
        kind = vi.type.WhichOneof("value")
        if kind != "tensor_type":
            return SKIP_TYPES, ["%s:%s" % (vi.name, kind)]
    if not g.input:
        return SKIP_NOINPUT, []
    # Integer outputs of ArgMax / ArgMin (indices) come back as float32 and
    # must be exactly the expected integers.
    indices = {o for n in g.node if n.op_type in ("ArgMax", "ArgMin") for o in n.output}
    bad = [vi.name for vi in [g.input[0]] if not is_float_tensor(vi)] + \
        [vi.name for vi in g.output
         if not is_float_tensor(vi) and
         not (vi.name in indices and vi.type.tensor_type.elem_type in INT_OUT)]
    if bad:
        return SKIP_DTYPE, bad
    if is_random(model, test_dir):
        return SKIP_RANDOM, []
    if is_training(model, test_dir):
        return SKIP_TRAINING, []
    return None


def rewrite_model(model, constants):
    """Copy of `model` whose graph inputs 1.. are initializers with `constants`."""
    m = copy.deepcopy(model)
    g = m.graph
    keep = g.input[0]
    names = [vi.name for vi in g.input[1:]]
    if m.ir_version >= 4:  # before IR 4 every initializer must be an input
        del g.input[:]
        g.input.append(keep)
    for name, tensor in zip(names, constants):
        for i, init in enumerate(g.initializer):
            if init.name == name:
                del g.initializer[i]
                break
        t = copy.deepcopy(tensor)
        t.name = name
        g.initializer.append(t)
    return m


class Result:
    def __init__(self, name, ok, message=""):
        self.name, self.ok, self.message = name, ok, message


def compare(ours, expected, rtol, atol):
    """Return an error string or None."""
    if ours.shape != expected.shape:
        return "shape %s != expected %s" % (list(ours.shape), list(expected.shape))
    if expected.dtype.kind == "i" and ours.dtype == np.float32:
        if np.array_equal(ours, expected.astype(np.float32)):
            return None
        return "integers differ: got %s, expected %s" % (ours.ravel()[:8], expected.ravel()[:8])
    if ours.dtype != expected.dtype:
        return "dtype %s != expected %s" % (ours.dtype, expected.dtype)
    if np.allclose(ours, expected, rtol=rtol, atol=atol, equal_nan=True):
        return None
    with np.errstate(invalid="ignore"):
        diff = np.abs(ours.astype(np.float64) - expected.astype(np.float64))
    both_nan = np.isnan(ours) & np.isnan(expected)
    diff[both_nan] = 0
    diff[np.isnan(diff)] = np.inf
    i = np.unravel_index(np.argmax(diff), diff.shape) if diff.size else ()
    bad = int(np.count_nonzero(~np.isclose(ours, expected, rtol=rtol, atol=atol,
                                           equal_nan=True)))
    return "max abs error %.3g at %s (got %.8g, expected %.8g; %d of %d elements off)" % (
        diff[i], list(i), ours[i], expected[i], bad, ours.size)


def run_test(test_dir, args):
    name = os.path.basename(test_dir)
    try:
        return run_test_inner(test_dir, name, args)
    except Exception as e:  # a runner problem for one test must not stop the rest
        return Result(name, False, "runner error: %s: %s" % (type(e).__name__, e))


def run_test_inner(test_dir, name, args):
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    n_in, n_out = len(model.graph.input), len(model.graph.output)
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")),
                  key=lambda p: int(p.rsplit("_", 1)[1]))
    if not sets:
        return Result(name, False, "no test_data_set_* directory")
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)

    # Constant inputs of every data set; one model unless they differ.
    consts = []
    for s in sets:
        consts.append([load_tensor(os.path.join(s, "input_%d.pb" % i))
                       for i in range(1, n_in)])
    arrays = [[numpy_helper.to_array(t) for t in c] for c in consts]
    same = all(len(a) == len(arrays[0]) and all(
        x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
        for x, y in zip(a, arrays[0])) for a in arrays)
    model_paths = []
    for k, c in enumerate(consts):
        if k > 0 and same:
            model_paths.append(model_paths[0])
            continue
        path = os.path.join(work, "model.onnx" if same else "model_%d.onnx" % k)
        onnx.save(rewrite_model(model, c), path)
        model_paths.append(path)

    for k, s in enumerate(sets):
        tag = "" if len(sets) == 1 else " [%s]" % os.path.basename(s)
        sdir = os.path.join(work, os.path.basename(s))
        os.makedirs(sdir, exist_ok=True)
        x = numpy_helper.to_array(load_tensor(os.path.join(s, "input_0.pb")))
        in_path = os.path.join(sdir, "input_0.npy")
        np.save(in_path, x)
        out_paths = [os.path.join(sdir, "output_%d.npy" % i) for i in range(n_out)]
        for p in out_paths:
            if os.path.exists(p):
                os.remove(p)
        cmd = [args.dlp_eval, model_paths[k], "--input", in_path]
        for p in out_paths:
            cmd += ["--output", p]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, errors="replace",
                               timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return Result(name, False, "timeout after %gs%s" % (args.timeout, tag))
        if p.returncode != 0:
            msg = describe_rc(p.returncode)
            line = first_line(p.stderr)
            return Result(name, False, "%s%s%s" % (msg, tag, ": " + line if line else ""))
        for i, out_path in enumerate(out_paths):
            expected = numpy_helper.to_array(
                load_tensor(os.path.join(s, "output_%d.pb" % i)))
            if not os.path.exists(out_path):
                return Result(name, False, "output %d not written%s" % (i, tag))
            ours = np.load(out_path)
            err = compare(ours, expected, args.rtol, args.atol)
            if err:
                return Result(name, False, "output %d (%s)%s: %s"
                              % (i, model.graph.output[i].name, tag, err))
    return Result(name, True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dlp-eval", required=True, help="path to the dlp-eval binary")
    ap.add_argument("--data", default=DEFAULT_DATA, help="node test directory")
    ap.add_argument("--filter", help="only tests whose name matches this regex (re.search)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel dlp-eval runs")
    ap.add_argument("--workdir", help="keep rewritten models, inputs and outputs here "
                    "(default: a temporary directory, removed afterwards)")
    ap.add_argument("--min-passed", type=int, default=150,
                    help="fail unless at least this many tests pass")
    ap.add_argument("--rtol", type=float, default=DEFAULT_RTOL)
    ap.add_argument("--atol", type=float, default=DEFAULT_ATOL)
    ap.add_argument("--timeout", type=float, default=120, help="seconds per dlp-eval run")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print a line for every passed and skipped test too")
    args = ap.parse_args()

    supported = read_supported(args.dlp_eval)
    tests = sorted(d for d in glob.glob(os.path.join(args.data, "*"))
                   if os.path.isfile(os.path.join(d, "model.onnx")))
    if not tests:
        sys.exit("error: no tests (*/model.onnx) under %s" % args.data)
    if args.filter:
        rx = re.compile(args.filter)
        tests = [t for t in tests if rx.search(os.path.basename(t))]

    skipped = collections.Counter()
    skipped_ops = collections.Counter()
    skipped_opsets = collections.Counter()
    attempted = []
    load_failures = 0
    for t in tests:
        name = os.path.basename(t)
        try:
            why = classify(onnx.load(os.path.join(t, "model.onnx")), supported, t)
        except Exception as e:
            print("FAIL %s: cannot load model: %s" % (name, e))
            load_failures += 1
            continue
        if why is None:
            attempted.append(t)
            continue
        reason, detail = why
        skipped[reason] += 1
        if reason == SKIP_UNSUPPORTED:
            skipped_ops.update(detail)
        elif reason == SKIP_OPSET:
            skipped_opsets.update(detail)
        if args.verbose:
            print("SKIP %s: %s%s" % (name, reason, " (%s)" % ", ".join(detail) if detail else ""))

    tmp = None
    if args.workdir:
        args.workdir = os.path.abspath(args.workdir)
        os.makedirs(args.workdir, exist_ok=True)
    else:
        tmp = args.workdir = tempfile.mkdtemp(prefix="dlp-node-tests-")

    passed, failed = 0, load_failures
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for r in pool.map(lambda t: run_test(t, args), attempted):
                if r.ok:
                    passed += 1
                    if args.verbose:
                        print("PASS %s" % r.name)
                else:
                    failed += 1
                    print("FAIL %s: %s" % (r.name, r.message))
                sys.stdout.flush()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    if skipped_ops:
        print("unsupported ops (tests): " + ", ".join(
            "%s %d" % kv for kv in sorted(skipped_ops.items(), key=lambda kv: (-kv[1], kv[0]))))
    if skipped_opsets:
        print("ops at out-of-range opsets (tests): " + ", ".join(
            "%s %d" % kv for kv in sorted(skipped_opsets.items())))
    print("skipped by reason: " + (", ".join(
        "%s %d" % (r, skipped[r]) for r in SKIP_ORDER if skipped[r]) or "none"))
    print("%d passed, %d failed, %d skipped" % (passed, failed, sum(skipped.values())))
    return 0 if failed == 0 and passed >= args.min_passed else 1


if __name__ == "__main__":
    sys.exit(main())
