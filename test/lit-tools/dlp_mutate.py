#!/usr/bin/env python3
"""Randomized mutation test of dlp-run over a compiled .dlpb (numpy only).

  dlp_mutate.py M.dlpb --input X.npy [--dlp-run PATH] [-n N] [--seed S]
                [--jobs J] [--timeout T] [--keep DIR]

Writes N mutants of M.dlpb (bit flips, byte overwrites, truncations and
extensions, instruction-field edits at the field positions of docs/isa.md,
section-table and header edits per docs/binary-format.md, record edits inside
the TENSORS / IO / MEMORY / HOST sections) and runs `dlp-run MUTANT --input X`
on each with a timeout.  Every mutant must either

  * be refused: a non-zero exit status (not a signal) and a stderr of exactly
    one line starting with "dlp-run:", or
  * run to completion (exit 0),

and never crash (killed by a signal), hang (timeout), print a sanitizer
report, or exit non-zero with another stderr.  Prints the seed, the counts per
outcome and per mutation kind, and each failure (the mutant is kept in --keep
DIR, default the mutants' temporary directory); exits 1 on any failure.
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

# Instruction fields (docs/isa.md section 3): name -> (word, lsb, width).
COMMON = {"pop_prev": (0, 6, 1), "pop_next": (0, 7, 1), "push_prev": (0, 8, 1),
          "push_next": (0, 9, 1)}
FIELDS = {
    1: {"buf": (0, 10, 2), "wfmt": (0, 12, 2), "region": (0, 14, 2),
        "sram_addr": (0, 16, 24), "ddr_addr": (1, 0, 40), "n0": (1, 40, 24),
        "n1": (2, 0, 24), "s1": (2, 24, 40), "n2": (3, 0, 24), "s2": (3, 24, 40)},
    3: {"wfmt": (0, 10, 2), "accumulate": (0, 12, 1), "epilogue": (0, 13, 1),
        "in_addr": (0, 14, 24), "in_cstride": (0, 38, 24), "in_h": (1, 0, 12),
        "in_w": (1, 12, 12), "in_cb": (1, 24, 12), "out_h": (1, 36, 12),
        "out_w": (1, 48, 12), "k_h": (2, 0, 4), "k_w": (2, 4, 4),
        "stride_h": (2, 8, 4), "stride_w": (2, 12, 4), "dil_h": (2, 16, 4),
        "dil_w": (2, 20, 4), "pad_t": (2, 24, 4), "pad_l": (2, 28, 4),
        "w_addr": (2, 32, 24), "acc_addr": (3, 0, 20), "param_addr": (3, 20, 16),
        "out_addr": (3, 36, 24),
        # ISA v5: the fused max pool
        "pool_k": (1, 60, 2), "pool_s": (1, 62, 2), "pool_pad_t": (3, 60, 1),
        "pool_pad_l": (3, 61, 1), "pool_pad_b": (3, 62, 1), "pool_pad_r": (3, 63, 1)},
    4: {"mode": (0, 10, 2), "in_addr": (0, 14, 24), "in_cstride": (0, 38, 24),
        "in_h": (1, 0, 12), "in_w": (1, 12, 12), "cb": (1, 24, 12),
        "out_h": (1, 36, 12), "out_w": (1, 48, 12), "k_h": (2, 0, 8),
        "k_w": (2, 8, 8), "stride_h": (2, 16, 8), "stride_w": (2, 24, 8),
        "pad_t": (2, 32, 6), "pad_l": (2, 38, 6), "pad_b": (2, 44, 6),
        "pad_r": (2, 50, 6), "dil_h": (2, 56, 4), "dil_w": (2, 60, 4),
        "out_addr": (3, 0, 24), "out_cstride": (3, 24, 24)},
    5: {"unary": (0, 10, 1), "a_addr": (0, 14, 24), "b_addr": (0, 38, 24),
        "out_addr": (1, 0, 24), "n": (1, 24, 24), "cb": (1, 48, 12),
        "a_cstride": (2, 0, 24), "b_cstride": (2, 24, 24), "out_cstride": (3, 0, 24),
        "param_addr": (3, 24, 16)},
    6: {"segment": (0, 10, 16)},
}
FIELDS[3]["residual"] = (0, 62, 1)
FIELDS[2] = FIELDS[1]
FIELDS[7] = dict(FIELDS[3])                       # GEMM_CSR: GEMM's fields
FIELDS[9] = dict(FIELDS[3], slots=(2, 56, 8))     # GEMM_WIN: and slots
for f in FIELDS.values():
    f.update(COMMON)
FIELDS[0] = dict(COMMON)
FIELDS[8] = dict(COMMON)


def sections(d):
    n = struct.unpack_from("<I", d, 16)[0]
    out = {}
    for i in range(n):
        kind, _r, off, size = struct.unpack_from("<IIQQ", d, 32 + 24 * i)
        out[kind] = (i, off, size)
    return out


def field_value(rng, width, old):
    top = (1 << width) - 1
    return rng.choice([0, 1, 2, top, top - 1, old + 1, old - 1, old * 2, old // 2,
                       1 << rng.randrange(width), rng.randrange(top + 1)]) & top


def mutate(d, rng, secs):
    """One mutant of bytes d: (kind, description, bytes)."""
    d = bytearray(d)
    kind = rng.choice(["bitflip", "byte", "truncate", "field", "field", "field",
                       "section-table", "header", "record", "extend"])
    if kind == "bitflip":
        k = rng.choice([1, 1, 2, 4, 8])
        where = []
        for _ in range(k):
            p = rng.randrange(len(d))
            b = rng.randrange(8)
            d[p] ^= 1 << b
            where.append("%d.%d" % (p, b))
        return kind, "flip " + ",".join(where), bytes(d)
    if kind == "byte":
        p = rng.randrange(len(d))
        n = rng.choice([1, 1, 2, 4, 8, 32])
        v = rng.choice([0x00, 0xff, 0x80, 0x7f, None])
        for i in range(p, min(len(d), p + n)):
            d[i] = rng.randrange(256) if v is None else v
        return kind, "overwrite %d bytes at %d with %s" % (n, p, v), bytes(d)
    if kind == "truncate":
        n = rng.choice([rng.randrange(len(d)), rng.randrange(64),
                        len(d) - rng.randrange(1, 64)])
        n = max(0, min(n, len(d) - 1))
        return kind, "truncate to %d" % n, bytes(d[:n])
    if kind == "extend":
        n = rng.choice([1, 7, 8, 32, 4096])
        return kind, "append %d bytes" % n, bytes(d) + bytes(rng.randrange(256) for _ in range(n))
    if kind == "field":
        _i, off, size = secs[2]
        k = rng.randrange(size // 32)
        base = off + 32 * k
        ws = list(struct.unpack_from("<4Q", d, base))
        op = ws[0] & 63
        if rng.random() < 0.05:
            name, (w, lsb, width) = "op", (0, 0, 6)
        elif rng.random() < 0.05:
            # a reserved bit (not in the field table)
            used = [set() for _ in range(4)]
            for (w, lsb, width) in list(FIELDS.get(op, {}).values()) + [(0, 0, 6)]:
                used[w].update(range(lsb, lsb + width))
            free = [(w, b) for w in range(4) for b in range(64) if b not in used[w]]
            if not free:
                return kind, "no reserved bit", bytes(d)
            w, lsb = rng.choice(free)
            name, width = "reserved w%d[%d]" % (w, lsb), 1
        else:
            name, (w, lsb, width) = rng.choice(sorted(FIELDS.get(op, COMMON).items()))
        old = (ws[w] >> lsb) & ((1 << width) - 1)
        new = field_value(rng, width, old)
        ws[w] = (ws[w] & ~(((1 << width) - 1) << lsb)) | (new << lsb)
        struct.pack_into("<4Q", d, base, *ws)
        return kind, "instr %d (op %d) %s %d -> %d" % (k, op, name, old, new), bytes(d)
    if kind == "section-table":
        n = struct.unpack_from("<I", d, 16)[0]
        i = rng.randrange(n)
        e = 32 + 24 * i
        what = rng.choice(["kind", "reserved", "offset", "size"])
        if what == "kind":
            v = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffffffff])
            struct.pack_into("<I", d, e, v)
        elif what == "reserved":
            struct.pack_into("<I", d, e + 4, rng.choice([1, 0x80000000]))
        else:
            p = e + (8 if what == "offset" else 16)
            old = struct.unpack_from("<Q", d, p)[0]
            v = rng.choice([0, old + 1, old - 1, old + 8, old - 8, old * 2, len(d),
                            len(d) - old, 1 << 63, (1 << 64) - 1, old + (1 << 32)])
            struct.pack_into("<Q", d, p, v & ((1 << 64) - 1))
        return kind, "section entry %d %s" % (i, what), bytes(d)
    if kind == "header":
        what = rng.choice(["magic", "format", "isa", "fingerprint", "count", "reserved", "size"])
        off, fmt = {"magic": (0, "<I"), "format": (4, "<H"), "isa": (6, "<H"),
                    "fingerprint": (8, "<Q"), "count": (16, "<I"), "reserved": (20, "<I"),
                    "size": (24, "<Q")}[what]
        old = struct.unpack_from(fmt, d, off)[0]
        bits = struct.calcsize(fmt) * 8
        v = rng.choice([0, old + 1, old - 1, 1 << (bits - 1), (1 << bits) - 1, 100, 2])
        struct.pack_into(fmt, d, off, v & ((1 << bits) - 1))
        return kind, "header %s %d -> %d" % (what, old, v & ((1 << bits) - 1)), bytes(d)
    # record: a u32 / u64 inside a record section (counts, lengths, dims,
    # offsets, indices) or bytes of TARGET / CONST
    k = rng.choice([k for k in (1, 3, 4, 5, 6, 7, 8) if k in secs and secs[k][2] > 0])
    _i, off, size = secs[k]
    if k in (1, 3):
        p = off + rng.randrange(size)
        d[p] = rng.randrange(256)
        return kind, "section %d byte %d" % (k, p - off), bytes(d)
    w = rng.choice([4, 8]) if size >= 8 else 4
    p = off + rng.randrange(0, max(1, size - w + 1), 4 if k != 5 else 1)
    old = int.from_bytes(d[p:p + w], "little")
    top = (1 << (8 * w)) - 1
    v = rng.choice([0, 1, old + 1, old - 1, top, 1 << (8 * w - 1), old * 2, 1 << 31, 1 << 32]) & top
    d[p:p + w] = v.to_bytes(w, "little")
    return kind, "section %d: u%d at +%d %d -> %d" % (k, 8 * w, p - off, old, v), bytes(d)


def classify(rc, err, timed_out):
    if timed_out:
        return "hung"
    low = err.lower()
    if "sanitizer" in low or "runtime error:" in low:
        return "sanitizer"
    if rc < 0:
        return "crashed"
    if rc == 0:
        return "ran"
    lines = err.rstrip("\n").split("\n")
    if len(lines) == 1 and lines[0].startswith("dlp-run:"):
        return "refused"
    return "bad-message"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--dlp-run", default="dlp-run")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--keep", default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    print("seed %d, %d mutants of %s" % (seed, a.n, os.path.basename(a.binary)))
    sys.stdout.flush()
    orig = open(a.binary, "rb").read()
    secs = sections(orig)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="dlp-mutants-")
    keep = a.keep or tmp
    os.makedirs(keep, exist_ok=True)
    muts = [mutate(orig, rng, secs) for _ in range(a.n)]
    args = []
    for x in a.input:
        args += ["--input", x]

    def run(i):
        kind, desc, data = muts[i]
        path = os.path.join(tmp, "m%05d.dlpb" % i)
        with open(path, "wb") as f:
            f.write(data)
        try:
            p = subprocess.run([a.dlp_run, path] + args, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=a.timeout)
            rc, err, to = p.returncode, p.stderr.decode(errors="replace"), False
        except subprocess.TimeoutExpired as e:
            rc, err, to = None, (e.stderr or b"").decode(errors="replace"), True
        res = classify(rc, err, to)
        if res in ("ran", "refused"):
            os.unlink(path)
        else:
            kept = os.path.join(keep, "m%05d.dlpb" % i)
            if kept != path:
                os.replace(path, kept)
        return i, res, rc, err

    results = []
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        results = list(ex.map(run, range(a.n)))
    counts, per_kind, fails = {}, {}, []
    for i, res, rc, err in results:
        counts[res] = counts.get(res, 0) + 1
        kind = muts[i][0]
        per_kind.setdefault(kind, {}).setdefault(res, 0)
        per_kind[kind][res] += 1
        if res not in ("ran", "refused"):
            fails.append((i, res, rc, err))
    order = ["refused", "ran", "crashed", "hung", "sanitizer", "bad-message"]
    print("mutants: %d; " % a.n + ", ".join("%s %d" % (k, counts.get(k, 0)) for k in order))
    for kind in sorted(per_kind):
        print("  %-14s " % kind + ", ".join("%s %d" % (k, v) for k, v in
                                           sorted(per_kind[kind].items())))
    for i, res, rc, err in fails[:20]:
        print("FAIL mutant %d (%s: %s): %s, exit %s, stderr: %s" %
              (i, muts[i][0], muts[i][1], res, rc,
               err.strip().replace("\n", " | ")[:400]))
    if fails:
        print("failing mutants kept in %s (seed %d)" % (keep, seed))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
