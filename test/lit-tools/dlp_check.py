#!/usr/bin/env python3
"""Test helpers for the DLP lit tests (numpy only).

  dlp_check.py inputs MODULE.mlir PREFIX [--seed S] [--batch N] [--range R]
      Writes one random float32 .npy per argument of MODULE's @main
      (PREFIX.0.npy, PREFIX.1.npy, ...), dynamic dimensions given --batch,
      values uniform in [-R, R]; prints the --input options.
  dlp_check.py same A.npy B.npy
      Exits 1 unless the two arrays have the same shape and values.
  dlp_check.py layers DIR_A DIR_B [--min N]
      Every .npy of DIR_A that DIR_B also holds must have the same values
      (a dump of one image in DIR_A is compared with the last image of a
      batch in DIR_B); prints "N layers equal" or the first differing
      layer; fails when fewer than N layers are common.
  dlp_check.py model TEST
      The lines of TEST starting "MODEL: " (without the prefix), each
      RAND(AxBx...) replaced by an arith.constant of seeded random floats
      (0.3 N(0, 1), 3 decimals; seed 3, in order of appearance).
  dlp_check.py trace DISASM.mlir LAYER
      The instructions of LAYER (by debug location) in a disassembly
      (`dlp-translate --binary-to-dlp --mlir-print-debuginfo`), one line
      each: "load W|F|P", "gemm block B" (B counted from the layer's first
      parameter entry), "store", "pool", "add", "sync"; a run of N equal
      lines as one, "... xN".
"""
import argparse
import json
import os
import re
import sys

import numpy as np


def cmd_inputs(a):
    text = open(a.module).read()
    m = re.search(r"func\.func\s+@main\((.*?)\)\s*->", text, re.S)
    if not m:
        sys.exit("no @main in " + a.module)
    rng = np.random.default_rng(a.seed)
    opts = []
    for i, t in enumerate(re.findall(r"tensor<([^>]*?)xf32>", m.group(1))):
        dims = [a.batch if d == "?" else int(d) for d in t.split("x")]
        path = "%s.%d.npy" % (a.prefix, i)
        np.save(path, rng.uniform(-a.range, a.range, dims).astype(np.float32))
        opts.append("--input " + path)
    print(" ".join(opts))


def same(x, y):
    return x.shape == y.shape and np.array_equal(x, y)


def cmd_same(a):
    x, y = np.load(a.a), np.load(a.b)
    if not same(x, y):
        diff = np.abs(x.astype(np.float64) - y).max() if x.shape == y.shape else None
        sys.exit("differ: %s %s vs %s %s (max |diff| %s)" %
                 (a.a, x.shape, a.b, y.shape, diff))
    print("equal", x.shape)


def cmd_layers(a):
    names = sorted(f for f in os.listdir(a.a) if f.endswith(".npy"))
    n = 0
    for f in names:
        pb = os.path.join(a.b, f)
        if not os.path.exists(pb):
            continue
        x, y = np.load(os.path.join(a.a, f)), np.load(pb)
        # dlp-run dumps the last image of a batch; dlp-eval the whole batch.
        if x.ndim == y.ndim and x.shape[0] == 1 and y.shape[0] > 1:
            y = y[-1:]
        if not same(x, y):
            if x.shape != y.shape:
                sys.exit("layer %s differs in shape: %s vs %s" % (f[:-4], x.shape, y.shape))
            bad = np.argwhere(x != y)
            i = tuple(bad[0])
            sys.exit("layer %s differs (%d of %d elements, first at %s: %r vs %r)" %
                     (f[:-4], len(bad), x.size, list(i), float(x[i]), float(y[i])))
        n += 1
    if n < a.min:
        sys.exit("only %d common layers (expected >= %d)" % (n, a.min))
    print("%d layers equal" % n)


def cmd_model(a):
    import json
    r = np.random.default_rng(3)
    text = "".join(l[7:] for l in open(a.test) if l.startswith("MODEL: "))

    def rand(m):
        shape = [int(v) for v in m.group(1).split("x")]
        vals = json.dumps(np.round(0.3 * r.standard_normal(shape), 3).tolist())
        return "arith.constant dense<%s> : tensor<%sxf32>" % (vals, m.group(1))
    sys.stdout.write(re.sub(r"RAND\(([0-9x]+)\)", rand, text))


def _instructions(path):
    """(op, fields, layer) of each instruction of a disassembly with debug
    info, in program order (layer None without a named location)."""
    text = open(path).read()
    alias = dict(re.findall(r'^#(loc\d*) = loc\("([^"]*)"\)', text, re.M))
    for m in re.finditer(r'^\s*dlp\.(\w+)(?: \{(.*)\})? loc\(#(loc\d*)\)$', text,
                         re.M):
        yield (m.group(1), dict(re.findall(r"(\w+) = (-?\d+)", m.group(2) or "")),
               alias.get(m.group(3)))


def cmd_trace(a):
    ops = [(op, f) for op, f, layer in _instructions(a.disasm)
           if layer == a.layer]
    if not ops:
        sys.exit("no instruction of layer %s" % a.layer)
    params = [int(f["param_addr"]) for op, f in ops if op == "gemm"]
    lines = []
    for op, f in ops:
        if op == "load":
            lines.append("load " + "FWP"[int(f["buf"])])
        elif op == "gemm":
            lines.append("gemm block %d" % (int(f["param_addr"]) - min(params)))
        else:
            lines.append(op)
    i = 0
    while i < len(lines):
        n = 1
        while i + n < len(lines) and lines[i + n] == lines[i]:
            n += 1
        print(lines[i] + (" x%d" % n if n > 1 else ""))
        i += n


def cmd_same_but_stores(a):
    """Whether disassembly b is disassembly a without some of its STOREs:
    every other instruction the same, in order, field for field (token
    flags and SYNCs, which the STOREs' dependences place, aside), and b's
    STOREs a subsequence of a's, field for field."""
    def rest(path):
        return [(op, f) for op, f, _ in _instructions(path)
                if op not in ("store", "sync", "tensor", "const_data", "host_segment")]
    def stores_of(path):
        return [f for op, f, _ in _instructions(path) if op == "store"]
    sa, sb = stores_of(a.a), stores_of(a.b)
    it = iter(sa)
    for i, s in enumerate(sb):
        if not any(s == t for t in it):
            sys.exit("STORE %d of %s is not one of %s's, in order: %s" % (i, a.b, a.a, s))
    stores = [len(sa), len(sb)]
    x, y = rest(a.a), rest(a.b)
    for i, (u, v) in enumerate(zip(x, y)):
        if u != v:
            sys.exit("instruction %d (STOREs and SYNCs aside) differs: %s vs %s"
                     % (i, u, v))
    if len(x) != len(y):
        sys.exit("%d vs %d instructions (STOREs and SYNCs aside)" % (len(x), len(y)))
    print("%d instructions the same; STOREs %d -> %d" % (len(x), stores[0], stores[1]))


def cmd_wrows(a):
    """The WBUF rows a layer's LOADs bring (their n0 * n1 * n2), and how
    many LOADs."""
    loads = [f for op, f, layer in _instructions(a.disasm)
             if op == "load" and f.get("buf") == "1" and layer == a.layer]
    print("%d weight LOADs, %d rows" % (len(loads), sum(
        int(f["n0"]) * int(f["n1"]) * int(f["n2"]) for f in loads)))


def _gemm_steps(op, f, a):
    """(issued, taken) array steps of one GEMM, worked from its fields as
    docs/cycle-model.md 2.1 / 2.6 state them: pixel groups of `a.pixels`
    in raster order, steps s = (tap s / in_cb, channel block s mod in_cb)
    in windows of `a.window` (dense: 1), `slots` array steps issued per
    window (dense: 1); a window of a group takes the longer of its slots
    and, over its steps, the most reads of one of `a.banks` FBUF banks,
    each pixel reading the step's input vector at its absolute address
    (docs/isa.md 3.3: padding, strides, dilation and channel stride
    included; a padded tap's read counts too) -- without the model's
    claim that every step of a group conflicts alike."""
    g = {k: int(v) for k, v in f.items()}
    get = lambda k: g.get(k, 0)
    taps = [(ky, kx) for ky in range(g["k_h"]) for kx in range(g["k_w"])]
    steps = [(ky, kx, cb) for ky, kx in taps for cb in range(g["in_cb"])]
    win, slots = (a.window, g["slots"]) if op == "gemm_win" else (1, 1)
    pixels = [(y, x) for y in range(g["out_h"]) for x in range(g["out_w"])]
    issued = taken = 0
    for first in range(0, len(pixels), a.pixels):
        group = pixels[first:first + a.pixels]
        for w0 in range(0, len(steps), win):
            most = 1
            for ky, kx, cb in steps[w0:w0 + win]:
                banks = [(get("in_addr") + cb * get("in_cstride") +
                          (y * g["stride_h"] + ky * g["dil_h"] - get("pad_t")) * g["in_w"] +
                          x * g["stride_w"] + kx * g["dil_w"] - get("pad_l")) % a.banks
                         for y, x in group]
                most = max(most, max(banks.count(b) for b in banks))
            issued += slots
            taken += max(slots, most)
    return issued, taken


def cmd_steps(a):
    """The array steps the disassembly's GEMMs issue (_gemm_steps),
    independently of dlp-run."""
    total = 0
    for op, f, _ in _instructions(a.disasm):
        if op in ("gemm", "gemm_csr", "gemm_win"):
            total += _gemm_steps(op, f, a)[0]
    print("%d array steps" % total)


def cmd_gemm_cycles(a):
    """Every GEMM / GEMM_WIN's cycles in a dlp-run --trace against
    docs/cycle-model.md 2.1 / 2.6 worked from its fields: the alignment
    reads (GEMM_WIN: ceil(in_cb / L)), the array steps with the groups'
    bank waits (_gemm_steps), P_gemm = 4 + log2 L (+ 1 on a window
    target), P_epi = 3 per post-processing pass (a second with residual),
    P_fpool = 2 with pool_k."""
    events = sorted((e["args"]["instruction"], e["args"]["end_cycle"] - e["args"]["start_cycle"])
                    for e in json.load(open(a.trace))["traceEvents"]
                    if e.get("ph") == "X" and e["name"].split()[0] in ("gemm", "gemm_win"))
    gemms = [(op, f) for op, f, _ in _instructions(a.disasm) if op in ("gemm", "gemm_win")]
    if len(gemms) != len(events):
        sys.exit("%d GEMMs in the disassembly, %d in the trace" % (len(gemms), len(events)))
    n = 0
    for (op, f), (i, took) in zip(gemms, events):
        g = {k: int(v) for k, v in f.items()}
        want = _gemm_steps(op, f, a)[1] + 4 + a.L.bit_length() - 1 + (a.window > 1)
        if op == "gemm_win":
            want += -(-g["in_cb"] // a.L)
        if g.get("epilogue"):
            want += 3 * (1 + g.get("residual", 0)) + 2 * (g.get("pool_k", 0) > 0)
        if took != want:
            sys.exit("instruction %d (%s): %d cycles in the trace, %d worked out"
                     % (i, op, took, want))
        n += 1
    print("%d GEMMs: cycles as worked out" % n)


def cmd_count(a):
    """Instructions `a.op` per layer of a disassembly with debug info, one
    'layer count' line per layer in program order."""
    counts = {}
    for op, _, layer in _instructions(a.disasm):
        if op == a.op:
            counts[layer or "?"] = counts.get(layer or "?", 0) + 1
    if not counts:
        sys.exit("no dlp.%s in %s" % (a.op, a.disasm))
    for name, n in counts.items():
        print(name, n)


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
s = sub.add_parser("inputs")
s.add_argument("module"); s.add_argument("prefix")
s.add_argument("--seed", type=int, default=0)
s.add_argument("--batch", type=int, default=1)
s.add_argument("--range", type=float, default=2.0)
s = sub.add_parser("same"); s.add_argument("a"); s.add_argument("b")
s = sub.add_parser("layers"); s.add_argument("a"); s.add_argument("b")
s.add_argument("--min", type=int, default=1)
s = sub.add_parser("model"); s.add_argument("test")
s = sub.add_parser("trace"); s.add_argument("disasm"); s.add_argument("layer")
s = sub.add_parser("count"); s.add_argument("disasm"); s.add_argument("op")
s = sub.add_parser("same-but-stores"); s.add_argument("a"); s.add_argument("b")
s = sub.add_parser("wrows"); s.add_argument("disasm"); s.add_argument("layer")
s = sub.add_parser("steps"); s.add_argument("disasm")
s.add_argument("--pixels", type=int, default=1); s.add_argument("--window", type=int, default=1)
s.add_argument("--banks", type=int, default=1)
s = sub.add_parser("gemm-cycles"); s.add_argument("disasm"); s.add_argument("trace")
s.add_argument("--L", type=int, required=True)
s.add_argument("--pixels", type=int, default=1); s.add_argument("--window", type=int, default=1)
s.add_argument("--banks", type=int, default=1)
a = p.parse_args()
{"inputs": cmd_inputs, "same": cmd_same, "layers": cmd_layers,
 "count": cmd_count, "same-but-stores": cmd_same_but_stores, "steps": cmd_steps, "gemm-cycles": cmd_gemm_cycles, "wrows": cmd_wrows,
 "model": cmd_model, "trace": cmd_trace}[a.cmd](a)
