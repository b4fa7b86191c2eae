#!/usr/bin/env python3
"""Independent iteration-space coverage checker for compiled DLP binaries.

  dlp_coverage.py M.dlpb [--qnn Q.mlir] [--verbose]

Written from docs/isa.md and docs/binary-format.md only (numpy, no import of
the toolchain).  It parses the .dlpb (header, section table, TARGET, CODE,
CONST, MEMORY, TENSORS, IO, HOST), then executes the instruction stream
*symbolically*: buffers hold provenance tags instead of numbers.

  * A PackTaps host segment (kind 20) makes each byte of its output stand
    for the input byte it copies (channel kx*C + c, column x = input
    channel c, column x*stride + kx*dilation - pad; outside the input, and
    the output's pad lanes, are padding / an input pad lane), so a packed
    first layer is checked against the untiled conv on the model input.

  * LOAD into FBUF tags every lane with the DDR byte it came from; a byte of
    a tensor resolves (through the tensor descriptors' channel-blocked
    layout, byte ((cb*H + y)*W + x)*L + l = channel cb*L + l) to
    (tensor, channel, y, x), or to "zero pad" for channels >= C.
  * LOAD into WBUF tags every weight row with its CONST byte offset and
    format; LOAD into PBUF tags every entry with its CONST byte offset.
  * GEMM records, for every output vector it writes (ABUF, and FBUF with the
    epilogue), the list of (input tag, weight-row tag) products it
    accumulates over its k_h x k_w x in_cb x L rows (accumulate=1 continues
    the ABUF vector, 0 starts from the bias entry); inputs outside the input
    tile are GEMM padding. Lane q of that vector pairs each input with entry
    q of the weight row.
  * GEMM_CSR (section 3.7) is a GEMM whose K weight rows are decoded from
    the CSR stream its WBUF rows hold (bytes of each row as its LOAD
    brought them, zeros for rows never loaded and past WBUF): row k's
    entry q is the code / int8 weight of the stream entry of channel q with
    row index k (none: 0; a pow2 code 8 reads 0; two entries for one (k, q)
    are refused), its alignment align[k] mod 32. Those decoded rows stand
    in for weight rows in the checks below.
  * POOL and ADD propagate provenance: every output lane of a POOL is a
    derived tag recording its window of input FBUF tags (in_h / in_w,
    padding, stride and dilation honoured: positions outside the input tile
    are not read) and the mode; every output lane of an ADD records its
    (a, b) input tags (b absent with unary).  A GEMM with the residual flag
    is that GEMM, then the ADD of (its output tile, the tile after it) into
    its output tile; one with pool_k > 0 (ISA v5) is that GEMM into a tile
    outside FBUF, then the POOL (mode 0, its pool window, stride and pads)
    of that tile into out_addr.  STORE carries lane tags, plain or derived,
    to DDR.

Then per GEMM layer (GEMM outputs grouped by the tensor their STOREs write)
it checks the iteration space against the untiled layer taken from the qnn
module (qnn.conv / qnn.fully_connected: shapes, pads, strides, dilations,
weight and bias constants): every output element (o, y, x) is stored exactly
once from one GEMM epilogue lane; its real products are exactly
{input (c, iy, ix) of every in-bounds tap (ky, kx) and channel c}, each once,
paired with a weight row whose lane-o entry (decoded from CONST: pow2 nibble
or int8 byte) equals the qnn weight w[o][c][ky][kx] and whose alignment is
max_j f_j - f_c; zero-pad channels meet only zero weights; the bias entry
equals the qnn bias; the pad lanes of the output's last channel block meet
only zero weights and a zero bias.  A fully-connected layer is the conv whose
kernel covers its whole input: feature k of a flattened C x H x W input is
channel k // (H W), pixel k % (H W); the checker finds where that element
lives from the descriptor's layout (so the compiler's permutation of weight
columns into channel-blocked order is verified, not assumed).

Fused epilogues: a conv whose output tensor is not in the binary and whose
only user in the qnn module is a pool or an add is located through that
op's stored tensor.
  * pool (max / avg / global avg): every stored pool output (o, py, px) must
    be a POOL lane of the qnn mode whose window is, position by position,
    exactly the conv outputs (o, py*s - pad + wy*d, px*s - pad + wx*d) inside
    the conv output (the others not read), each a GEMM epilogue lane o % L of
    one vector per window position; that reconstructs the conv output
    coordinates of the GEMM vectors (one vector may stand for one output
    only), on which the per-output checks above run.  Conv outputs no pool
    window covers (floor mode) need not be computed; their count is reported.
    Where windows overlap, a conv output may come from two GEMM vectors (row
    bands compute the rows their windows share twice): each is checked.
  * add: every stored sum (o, y, x) must be an ADD lane (not unary) of one
    GEMM epilogue lane o % L (the conv output (o, y, x)) and element
    (o, y, x) of the other operand's tensor, in either operand order.

Feature maps on chip: a GEMM may read its input from FBUF where the layer
before left it instead of loading it.  An input lane whose tag is a GEMM
epilogue, POOL or ADD lane that a STORE also wrote to an element of the
layer's input tensor stands for that element (the same value); every other
check is unchanged.

Prints "layer NAME: N outputs, M products, covered" per layer, or the first
violation of each layer, and exits 1 on any violation.
"""
import argparse
import json
import re
import struct
import sys

import numpy as np

# ----------------------------------------------------------------------------
# Binary format (docs/binary-format.md)

SECTION_NAMES = {1: "TARGET", 2: "CODE", 3: "CONST", 4: "MEMORY", 5: "TENSORS",
                 6: "IO", 7: "HOST", 8: "DEBUG"}


class Reader:
    def __init__(self, data, what):
        self.d, self.p, self.what = data, 0, what

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError("%s: truncated record" % self.what)
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def i32(self):
        return struct.unpack("<i", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def i64(self):
        return struct.unpack("<q", self.take(8))[0]

    def done(self):
        if self.p != len(self.d):
            raise ValueError("%s: %d trailing bytes" % (self.what, len(self.d) - self.p))


def parse_binary(path):
    data = open(path, "rb").read()
    if len(data) < 32 or data[:4] != b"DLPB":
        raise ValueError("not a .dlpb (magic)")
    fmt_ver, isa_ver = struct.unpack_from("<HH", data, 4)
    nsec, _res, fsize = struct.unpack_from("<IIQ", data, 16)
    if fsize != len(data):
        raise ValueError("file size %d != header %d" % (len(data), fsize))
    secs = {}
    for i in range(nsec):
        kind, _r, off, size = struct.unpack_from("<IIQQ", data, 32 + 24 * i)
        if kind not in SECTION_NAMES or off + size > len(data):
            raise ValueError("bad section entry %d" % i)
        secs[SECTION_NAMES[kind]] = data[off:off + size]
    b = {"version": (fmt_ver, isa_ver)}
    b["target"] = json.loads(secs["TARGET"].decode())
    code = secs["CODE"]
    if len(code) % 32:
        raise ValueError("CODE size not a multiple of 32")
    b["code"] = [struct.unpack_from("<4Q", code, i) for i in range(0, len(code), 32)]
    b["const"] = np.frombuffer(secs["CONST"], np.uint8)
    b["data_bytes"] = struct.unpack("<Q", secs["MEMORY"])[0]
    r = Reader(secs["TENSORS"], "TENSORS")
    tensors = []
    for _ in range(r.u32()):
        name = r.take(r.u32()).decode()
        dims = [r.i64() for _ in range(r.u32())]
        off = r.u64()
        C, H, W = r.i64(), r.i64(), r.i64()
        fb = r.i64()
        frac = [r.i32() for _ in range(r.u32())]
        dtype = r.u32()  # 0 int8 channel-blocked, 1 float32 (host segments)
        tensors.append(dict(name=name, dims=dims, off=off, C=C, H=H, W=W,
                            frac_block=fb, frac=frac, dtype=dtype))
    r.done()
    b["tensors"] = tensors
    r = Reader(secs["IO"], "IO")
    b["inputs"] = [r.u32() for _ in range(r.u32())]
    b["outputs"] = [r.u32() for _ in range(r.u32())]
    r.done()
    r = Reader(secs["HOST"], "HOST")
    host = []
    for _ in range(r.u32()):
        kind = r.u32()
        ins = [r.u32() for _ in range(r.u32())]
        outs = [r.u32() for _ in range(r.u32())]
        params = [r.i64() for _ in range(r.u32())]
        r.u64(), r.u64()  # const offset, size
        host.append(dict(kind=kind, inputs=ins, outputs=outs, params=params))
    r.done()
    b["host"] = host
    return b


PACK_TAPS = 20  # host kind (docs/binary-format.md)


def pack_taps_remap(b, L):
    """DDR address -> the address whose byte it holds: identity, except that
    each byte of a PackTaps output (docs/binary-format.md, host kind 20) is
    the input byte it copies (GPAD where it is a zero from outside the
    input)."""
    remap = np.arange(b["data_bytes"], dtype=np.int64)
    for h in b["host"]:
        if h["kind"] != PACK_TAPS:
            continue
        x, y = b["tensors"][h["inputs"][0]], b["tensors"][h["outputs"][0]]
        k, s, d, pad = h["params"]
        # The output's pad lanes hold zeros: stand in one of the input's pad
        # lanes for them (checked against zero weights), or GPAD.
        for c in range(y["C"], blocks(y["C"], L) * L):
            for yy in range(y["H"]):
                for xx in range(y["W"]):
                    dst = y["off"] + ((c // L * y["H"] + yy) * y["W"] + xx) * L + c % L
                    zc = x["C"]
                    remap[dst] = (x["off"] + ((zc // L * x["H"] + yy) * x["W"]) * L + zc % L
                                  if x["C"] % L else GPAD)
        for c in range(y["C"]):
            kx, ci = divmod(c, x["C"])
            for yy in range(y["H"]):
                for xx in range(y["W"]):
                    ix = xx * s + kx * d - pad
                    dst = y["off"] + ((c // L * y["H"] + yy) * y["W"] + xx) * L + c % L
                    remap[dst] = (x["off"] + ((ci // L * x["H"] + yy) * x["W"] + ix) * L +
                                  ci % L) if 0 <= ix < x["W"] else GPAD
    return remap


# ----------------------------------------------------------------------------
# Instruction fields (docs/isa.md section 3)

def bits(w, lsb, width):
    return (w >> lsb) & ((1 << width) - 1)


def pooled_dims(f):
    """(rows, columns) of a pooling GEMM's pooled tile (docs/isa.md 3.3,
    ISA v5), 0 where the padded tile is smaller than the window."""
    def side(n, a, b):
        return max(0, (n + a + b - f["pool_k"]) // f["pool_s"] + 1)
    return (side(f["out_h"], f["pool_pad_t"], f["pool_pad_b"]),
            side(f["out_w"], f["pool_pad_l"], f["pool_pad_r"]))


def decode(ws):
    w0, w1, w2, w3 = ws
    op = bits(w0, 0, 6)
    f = {"op": op}
    if op in (1, 2):
        f.update(buf=bits(w0, 10, 2), wfmt=bits(w0, 12, 2), region=bits(w0, 14, 2),
                 sram=bits(w0, 16, 24), ddr=bits(w1, 0, 40), n0=bits(w1, 40, 24),
                 n1=bits(w2, 0, 24), s1=bits(w2, 24, 40), n2=bits(w3, 0, 24),
                 s2=bits(w3, 24, 40))
    elif op in (3, 7, 9):
        f.update(wfmt=bits(w0, 10, 2), accumulate=bits(w0, 12, 1),
                 epilogue=bits(w0, 13, 1), residual=bits(w0, 62, 1),
                 in_addr=bits(w0, 14, 24),
                 in_cstride=bits(w0, 38, 24), in_h=bits(w1, 0, 12),
                 in_w=bits(w1, 12, 12), in_cb=bits(w1, 24, 12),
                 out_h=bits(w1, 36, 12), out_w=bits(w1, 48, 12),
                 k_h=bits(w2, 0, 4), k_w=bits(w2, 4, 4), stride_h=bits(w2, 8, 4),
                 stride_w=bits(w2, 12, 4), dil_h=bits(w2, 16, 4),
                 dil_w=bits(w2, 20, 4), pad_t=bits(w2, 24, 4), pad_l=bits(w2, 28, 4),
                 w_addr=bits(w2, 32, 24), acc_addr=bits(w3, 0, 20),
                 param_addr=bits(w3, 20, 16), out_addr=bits(w3, 36, 24),
                 pool_k=bits(w1, 60, 2), pool_s=bits(w1, 62, 2),
                 pool_pad_t=bits(w3, 60, 1), pool_pad_l=bits(w3, 61, 1),
                 pool_pad_b=bits(w3, 62, 1), pool_pad_r=bits(w3, 63, 1))
        if op == 9:  # GEMM_WIN (docs/isa.md 3.8)
            f.update(slots=bits(w2, 56, 8))
    elif op == 4:
        f.update(mode=bits(w0, 10, 2), in_addr=bits(w0, 14, 24),
                 in_cstride=bits(w0, 38, 24), in_h=bits(w1, 0, 12),
                 in_w=bits(w1, 12, 12), cb=bits(w1, 24, 12), out_h=bits(w1, 36, 12),
                 out_w=bits(w1, 48, 12), k_h=bits(w2, 0, 8), k_w=bits(w2, 8, 8),
                 stride_h=bits(w2, 16, 8), stride_w=bits(w2, 24, 8),
                 pad_t=bits(w2, 32, 6), pad_l=bits(w2, 38, 6), pad_b=bits(w2, 44, 6),
                 pad_r=bits(w2, 50, 6), dil_h=bits(w2, 56, 4), dil_w=bits(w2, 60, 4),
                 out_addr=bits(w3, 0, 24), out_cstride=bits(w3, 24, 24))
    elif op == 5:
        f.update(unary=bits(w0, 10, 1), a_addr=bits(w0, 14, 24), b_addr=bits(w0, 38, 24),
                 out_addr=bits(w1, 0, 24), n=bits(w1, 24, 24), cb=bits(w1, 48, 12),
                 a_cstride=bits(w2, 0, 24), b_cstride=bits(w2, 24, 24),
                 out_cstride=bits(w3, 0, 24), param_addr=bits(w3, 24, 16))
    elif op == 6:
        f.update(segment=bits(w0, 10, 16))
    return f


# ----------------------------------------------------------------------------
# Symbolic execution

UNWRITTEN = -1     # buffer never written (holds 0)
GPAD = -2          # GEMM padding (input outside the tile: 0)
OPAQUE = -3        # a load from CONST into FBUF
WOUT = -4          # POOL window position outside the input tile (not read)
NOB = -5           # ADD second operand of a unary ADD
GEMM_BASE = 1 << 50  # + vector_id * L + lane
VIRT_BASE = 1 << 48  # weight-row tag of a decoded CSR row: + its index
DERIV_BASE = 1 << 58  # + derived id (POOL / ADD output lane)


def is_gemm(t):
    return (t >= GEMM_BASE) & (t < DERIV_BASE)


class Machine:
    def __init__(self, b):
        t = b["target"]
        self.L = L = t["array"]["L"]
        self.Q = Q = t["array"]["Q"]
        s = t["sram"]
        self.const = b["const"]
        self.b = b
        # FBUF, then room for a pooling GEMM's tile (at most the ABUF's
        # vectors), which its pool reads (ISA v5).
        self.scratch = s["feature_bytes"] // L
        self.fbuf = np.full((self.scratch + s["acc_bytes"] // (4 * Q), L),
                            UNWRITTEN, np.int64)
        self.wbuf = np.full(2 * s["weight_bank_bytes"] // Q, -1, np.int64)
        self.wfmt = np.full(len(self.wbuf), -1, np.int8)
        # Decoded CSR rows: entries (Q each), alignment, (stream, k) origin.
        self.vvals, self.valign, self.vorigin = [], [], []
        self.virt = None
        self.pbuf = np.full(s["param_entries"], -1, np.int64)
        self.abuf = [None] * (s["acc_bytes"] // (4 * Q))
        self.ddr = np.full(b["data_bytes"], UNWRITTEN, np.int64)
        self.ddr_writes = np.zeros(b["data_bytes"], np.int32)
        self.stored = {}    # (lo, hi) -> lanes stored there, by tag
        self.remap = pack_taps_remap(b, L)
        self.chunks = []    # (instr, in_tags (P, K), weight rows (K,), wfmt)
        self.produced = []  # vector id -> (instr, bias entry tag, parts)
        self.derived = []   # POOL / ADD records (kind, instr, start, lanes)
        self.dstarts = []
        self.dnext = 0
        self.errors = []

    def units(self, f):
        i2, i1, i0 = np.meshgrid(np.arange(f["n2"]), np.arange(f["n1"]),
                                 np.arange(f["n0"]), indexing="ij")
        sram = (f["sram"] + (i2 * f["n1"] + i1) * f["n0"] + i0).ravel()
        ddr = (f["ddr"] + i2 * f["s2"] + i1 * f["s1"]).ravel()
        return sram, ddr, i0.ravel()

    def load(self, idx, f):
        L, Q = self.L, self.Q
        sram, ddr, i0 = self.units(f)
        if f["buf"] == 0:
            a = ddr + i0 * L
            if f["region"] == 1:
                self.fbuf[sram] = self.remap[a[:, None] + np.arange(L)[None, :]]
            else:
                self.fbuf[sram] = OPAQUE
        elif f["buf"] == 1:
            u = Q // 2 + 1 if f["wfmt"] == 0 else Q + 1
            if f["region"] != 0:
                self.errors.append("instr %d: WBUF load from data" % idx)
            self.wbuf[sram] = ddr + i0 * u
            self.wfmt[sram] = f["wfmt"]
        elif f["buf"] == 2:
            self.pbuf[sram] = ddr + i0 * 8 * Q

    def store(self, idx, f):
        L = self.L
        sram, ddr, i0 = self.units(f)
        a = (ddr + i0 * L)[:, None] + np.arange(L)[None, :]
        self.ddr[a] = self.fbuf[sram]
        self.ddr_writes[a] += 1

    def as_stored(self, tags, lo, hi):
        """Tags with each GEMM / derived lane that a byte in [lo, hi) of DDR
        holds after the run (a STORE wrote it there and nothing after)
        replaced by that byte (the element it stands for)."""
        tags = np.asarray(tags, np.int64)
        onchip = tags >= GEMM_BASE
        if not onchip.any():
            return tags
        if (lo, hi) not in self.stored:
            at = lo + np.nonzero(self.ddr[lo:hi] >= GEMM_BASE)[0]
            st = self.ddr[at]
            order = np.argsort(st, kind="stable")
            self.stored[(lo, hi)] = (st[order], at[order])
        st, at = self.stored[(lo, hi)]
        if len(st) == 0:
            return tags
        q = tags[onchip]
        i = np.minimum(np.searchsorted(st, q), len(st) - 1)
        found = st[i] == q
        out = tags.copy()
        sub = q.copy()
        sub[found] = at[i[found]]
        out[onchip] = sub
        return out

    def csr_rows(self, idx, f, K):
        """Weight-row tags of the K rows GEMM_CSR decodes from its stream."""
        Q = self.Q
        W = Q + 1
        start = f["w_addr"]
        rows = np.arange(start, len(self.wbuf))
        if (self.wfmt[rows][self.wbuf[rows] >= 0] != 2).any():
            self.errors.append("instr %d: GEMM_CSR stream rows loaded in a dense "
                               "format" % idx)
        data = np.zeros((len(rows), W), np.uint8)
        got = self.wbuf[rows] >= 0
        data[got] = self.const[self.wbuf[rows][got][:, None] + np.arange(W)[None, :]]
        data = data.ravel()
        stream = self.wbuf[start] if self.wbuf[start] >= 0 else -1

        def field(off, n, dt):
            out = np.zeros(n, np.uint8)
            n_in = max(0, min(len(data) - off, n))
            out[:n_in] = data[off:off + n_in]
            return out.view(dt) if dt != np.uint8 else out
        nnz = int(field(0, 4, "<u4")[0])
        align = field(4, K, np.uint8).astype(np.int64) % 32
        ptr = field(4 + K, 4 * (Q + 1), "<u4").astype(np.int64)
        off = 4 + K + 4 * (Q + 1)
        row = field(off, 2 * nnz, "<u2").astype(np.int64)
        off += 2 * nnz
        if f["wfmt"] == 0:
            b = field(off, (nnz + 1) // 2, np.uint8).astype(np.int64)
            code = (b[np.arange(nnz) // 2] >> (4 * (np.arange(nnz) % 2))) & 15
            code[code == 8] = 0
        else:
            code = field(off, nnz, np.uint8).view(np.int8).astype(np.int64)
        vals = np.zeros((K, Q), np.int64)
        seen = np.zeros((K, Q), bool)
        for q in range(Q):
            lo, hi = min(ptr[q], nnz), min(ptr[q + 1], nnz)
            if hi <= lo:
                continue
            ks, cs = row[lo:hi], code[lo:hi]
            keep = ks < K
            ks, cs = ks[keep], cs[keep]
            if len(np.unique(ks)) != len(ks) or seen[ks, q].any():
                self.errors.append("instr %d: CSR stream has two entries for one "
                                   "(row, channel %d)" % (idx, q))
            vals[ks, q] = cs
            seen[ks, q] = True
        base = VIRT_BASE + len(self.vorigin)
        self.vvals.append(vals)
        self.valign.append(align)
        self.vorigin.extend((stream, k) for k in range(K))
        self.virt = None
        return base + np.arange(K)

    def virtual(self):
        """(entries, alignments) of every decoded CSR row, as arrays."""
        if self.virt is None:
            self.virt = (np.concatenate(self.vvals), np.concatenate(self.valign))
        return self.virt

    def gemm(self, idx, f, csr=False):
        L = self.L
        oh, ow, kh, kw, cb = f["out_h"], f["out_w"], f["k_h"], f["k_w"], f["in_cb"]
        y = np.arange(oh)[:, None, None, None, None, None]
        x = np.arange(ow)[None, :, None, None, None, None]
        ky = np.arange(kh)[None, None, :, None, None, None]
        kx = np.arange(kw)[None, None, None, :, None, None]
        c = np.arange(cb)[None, None, None, None, :, None]
        lane = np.arange(L)[None, None, None, None, None, :]
        iy = y * f["stride_h"] + ky * f["dil_h"] - f["pad_t"]
        ix = x * f["stride_w"] + kx * f["dil_w"] - f["pad_l"]
        ok = (iy >= 0) & (iy < f["in_h"]) & (ix >= 0) & (ix < f["in_w"])
        addr = f["in_addr"] + c * f["in_cstride"] + iy * f["in_w"] + ix
        shape = (oh, ow, kh, kw, cb, L)
        addr, ok, lane = [np.broadcast_to(v, shape) for v in (addr, ok, lane)]
        tags = np.full(shape, GPAD, np.int64)
        tags[ok] = self.fbuf[addr[ok], lane[ok]]
        K = kh * kw * cb * L
        rows = f["w_addr"] + np.arange(K)
        if csr:
            wrows = self.csr_rows(idx, f, K)
        else:
            wrows = self.wbuf[rows]
        if not csr and (self.wfmt[rows] != f["wfmt"]).any():
            self.errors.append("instr %d: GEMM wfmt %d reads weight rows loaded "
                               "in another format (or never loaded)" % (idx, f["wfmt"]))
        cid = len(self.chunks)
        self.chunks.append((idx, tags.reshape(oh * ow, K), wrows, f["wfmt"]))
        bias = self.pbuf[f["param_addr"]]
        for p in range(oh * ow):
            A = f["acc_addr"] + p
            if f["accumulate"]:
                prev = self.abuf[A]
                if prev is None:
                    prev = (None, ())
                    self.errors.append("instr %d: accumulates onto an ABUF vector "
                                       "no GEMM wrote" % idx)
                st = (prev[0], prev[1] + ((cid, p),))
            else:
                st = (bias, ((cid, p),))
            self.abuf[A] = st
            if f["epilogue"]:
                vid = len(self.produced)
                self.produced.append((idx,) + st)
                out = self.scratch if f["pool_k"] else f["out_addr"]
                self.fbuf[out + p] = GEMM_BASE + vid * L + np.arange(L)
        if f["epilogue"] and f["pool_k"]:
            # The fused max pool (ISA v5): the tile, max-pooled as a POOL of
            # mode 0 would, into out_addr.
            k, s = f["pool_k"], f["pool_s"]
            ph, pw = pooled_dims(f)
            self.pool(idx, dict(mode=0, in_addr=self.scratch, in_cstride=oh * ow,
                                in_h=oh, in_w=ow, cb=1, out_h=ph, out_w=pw, k_h=k,
                                k_w=k, stride_h=s, stride_w=s, pad_t=f["pool_pad_t"],
                                pad_l=f["pool_pad_l"], dil_h=1, dil_w=1,
                                out_addr=f["out_addr"], out_cstride=ph * pw))
        if f["epilogue"] and f["residual"]:
            # The residual add: the tile after the output is added to it,
            # as an ADD of (output, that tile) into the output would.
            n = oh * ow
            self.add(idx, dict(n=n, cb=1, unary=0, a_addr=f["out_addr"], a_cstride=n,
                               b_addr=f["out_addr"] + n, b_cstride=n,
                               out_addr=f["out_addr"], out_cstride=n), "GEMM residual")

    def derive(self, rec, n):
        """Register a derived record of n lanes; its tags."""
        rec["start"] = self.dnext
        self.dstarts.append(self.dnext)
        self.derived.append(rec)
        self.dnext += n
        return DERIV_BASE + rec["start"] + np.arange(n)

    def lookup(self, tags):
        """Derived tags -> (record index, lane index within the record)."""
        ids = np.asarray(tags, np.int64) - DERIV_BASE
        r = np.searchsorted(np.array(self.dstarts, np.int64), ids, side="right") - 1
        return r, ids - np.array(self.dstarts, np.int64)[r]

    def pool(self, idx, f):
        L = self.L
        oh, ow, kh, kw, cb = f["out_h"], f["out_w"], f["k_h"], f["k_w"], f["cb"]
        y = np.arange(oh)[:, None, None, None, None]
        x = np.arange(ow)[None, :, None, None, None]
        ky = np.arange(kh)[None, None, :, None, None]
        kx = np.arange(kw)[None, None, None, :, None]
        lane = np.arange(L)[None, None, None, None, :]
        iy = y * f["stride_h"] - f["pad_t"] + ky * f["dil_h"]
        ix = x * f["stride_w"] - f["pad_l"] + kx * f["dil_w"]
        ok = (iy >= 0) & (iy < f["in_h"]) & (ix >= 0) & (ix < f["in_w"])
        shape = (oh, ow, kh, kw, L)
        ok, lane = np.broadcast_to(ok, shape), np.broadcast_to(lane, shape)
        wins = []
        for b in range(cb):   # read every block before writing any
            addr = np.broadcast_to(f["in_addr"] + b * f["in_cstride"] + iy * f["in_w"] + ix,
                                   shape)
            w = np.full(shape, WOUT, np.int64)
            w[ok] = self.fbuf[addr[ok], lane[ok]]
            # lane order (y, x, lane), window order (ky, kx)
            wins.append(w.transpose(0, 1, 4, 2, 3).reshape(oh * ow * L, kh * kw))
        n = oh * ow * L
        tags = self.derive(dict(kind="pool", instr=idx, mode=f["mode"], k=(kh, kw),
                                win=np.concatenate(wins)), cb * n)
        for b in range(cb):
            o = f["out_addr"] + b * f["out_cstride"]
            self.fbuf[o:o + oh * ow] = tags[b * n:(b + 1) * n].reshape(oh * ow, L)

    def add(self, idx, f, what="ADD"):
        L, n, cb = self.L, f["n"], f["cb"]
        av, bv = [], []
        for b in range(cb):   # read every block before writing any
            a0 = f["a_addr"] + b * f["a_cstride"]
            av.append(self.fbuf[a0:a0 + n].ravel())
            if f["unary"]:
                bv.append(np.full(n * L, NOB, np.int64))
            else:
                b0 = f["b_addr"] + b * f["b_cstride"]
                bv.append(self.fbuf[b0:b0 + n].ravel())
        tags = self.derive(dict(kind="add", instr=idx, what=what, unary=f["unary"],
                                a=np.concatenate(av), b=np.concatenate(bv)), cb * n * L)
        for b in range(cb):
            o = f["out_addr"] + b * f["out_cstride"]
            self.fbuf[o:o + n] = tags[b * n * L:(b + 1) * n * L].reshape(n, L)

    def run(self, code):
        counts = {}
        for idx, ws in enumerate(code):
            f = decode(ws)
            counts[f["op"]] = counts.get(f["op"], 0) + 1
            if f["op"] == 1:
                self.load(idx, f)
            elif f["op"] == 2:
                self.store(idx, f)
            elif f["op"] in (3, 7):
                self.gemm(idx, f, csr=f["op"] == 7)
            elif f["op"] == 9:
                self.errors.append("instr %d: GEMM_WIN (docs/isa.md 3.8) is "
                                   "not modelled by this checker" % idx)
            elif f["op"] == 4:
                self.pool(idx, f)
            elif f["op"] == 5:
                self.add(idx, f)
            elif f["op"] == 6:
                # A host segment reads and writes DDR only; its outputs are
                # not GEMM products (they are overwritten tags).
                pass
        return counts

    def products(self, vid):
        """(input tags, weight-row tags, weight formats) of a produced vector."""
        _, bias, parts = self.produced[vid]
        ins, ws, fm = [], [], []
        for cid, p in parts:
            _, tags, wrows, wfmt = self.chunks[cid]
            ins.append(tags[p])
            ws.append(wrows)
            fm.append(np.full(len(wrows), wfmt, np.int8))
        return bias, np.concatenate(ins), np.concatenate(ws), np.concatenate(fm)


# ----------------------------------------------------------------------------
# qnn module text

TENSOR_RE = re.compile(r"tensor<((?:\?|\d+)(?:x(?:\?|\d+))*)x(i8|i32|f32)")


def tensor_dims(s):
    return [[-1 if d == "?" else int(d) for d in m.group(1).split("x")]
            for m in TENSOR_RE.finditer(s)]


def int_array(attrs, name):
    m = re.search(name + r"\s*=\s*array<i64(?::\s*([-\d,\s]*))?>", attrs)
    return [int(v) for v in m.group(1).split(",")] if m and m.group(1) else None


def parse_qnn(path):
    text = open(path).read()
    res = {}
    m = re.search(r"\{-#\s*dialect_resources:(.*)#-\}", text, re.S)
    if m:
        for k, v in re.findall(r'("(?:[^"\\]|\\.)*"|[\w.$-]+)\s*:\s*"0x([0-9A-Fa-f]*)"',
                               m.group(1)):
            res[k.strip('"')] = bytes.fromhex(v)
        text = text[:m.start()]
    locs = {}
    for k, v in re.findall(r"^(#loc\d*)\s*=\s*loc\((.*)\)\s*$", text, re.M):
        locs[k] = v

    def loc_names(s, depth=0):
        out = []
        if depth > 20:
            return out
        for tok in re.findall(r'"(?:[^"\\]|\\.)*"(?:\s*:\s*\d+\s*:\s*\d+)?|#loc\d*', s):
            if tok.startswith("#"):
                out += loc_names(locs.get(tok, ""), depth + 1)
            elif not re.search(r":\s*\d+\s*:\s*\d+$", tok):  # file:line:col
                out.append(tok.strip('"'))
        return out

    args = {}
    m = re.search(r"func\.func\s+@main\((.*?)\)\s*->", text, re.S)
    if m:
        for name, onnx in re.findall(r'(%[\w$.-]+)\s*:\s*tensor<[^{,)]*>\s*(?:\{[^}]*onnx\.name\s*=\s*"([^"]*)")?',
                                     m.group(1)):
            args[name] = onnx
    values, consts, layers = {}, {}, []
    stmt_re = re.compile(r"^\s*(%[\w$.-]+)\s*=\s*qnn\.(\w+)\s+(.*)$", re.M)
    # Ops may span lines: join continuation lines (lines not starting a new
    # statement) to the previous statement.
    lines, cur = [], None
    for line in text.split("\n"):
        if re.match(r"^\s*(%[\w$.-]+\s*=|return|func\.func|\}|module|#loc)", line):
            if cur is not None:
                lines.append(cur)
            cur = line
        elif cur is not None:
            cur += " " + line.strip()
    if cur is not None:
        lines.append(cur)
    users = {}
    for line in lines:
        # users of every value (any op, and return)
        g = re.match(r"^\s*(?:(%[\w$.-]+)\s*=\s*)?([\w.]+)\s+(.*)$", line)
        if g and not line.lstrip().startswith(("func.func", "module", "#loc")):
            for v in re.findall(r"%[\w$.-]+", g.group(3).split("{")[0].split(":")[0]):
                users.setdefault(v, []).append(g.group(1) or g.group(2))
        m = stmt_re.match(line)
        if not m:
            continue
        res_name, op, rest = m.groups()
        lm = re.search(r"loc\(((?:[^()]|\([^()]*\))*)\)\s*$", rest)
        names = loc_names(lm.group(1)) if lm else []
        operands = re.findall(r"%[\w$.-]+", rest.split("{")[0].split(":")[0])
        values[res_name] = dict(op=op, names=names, operands=operands, res=res_name)
        if op in ("max_pool", "avg_pool", "global_avg_pool", "add"):
            attrs = re.search(r"\{(.*?)\}\s*:", rest)
            attrs = attrs.group(1) if attrs else ""
            sig = rest[rest.index("} :") if "} :" in rest else rest.index(":"):]
            dims = tensor_dims(sig)
            values[res_name].update(
                in_dims=dims[0], out_dims=dims[-1],
                kernel=int_array(attrs, "kernel_shape"), strides=int_array(attrs, "strides"),
                pads=int_array(attrs, "pads"), dilations=int_array(attrs, "dilations"),
                count_include_pad=bool(re.search(r"count_include_pad\s*=\s*true", attrs)))
        if op == "constant":
            types = tensor_dims(rest)
            shape = types[-1]
            fmt = "pow2" if "#qnn.pow2" in rest else ("int8" if "#qnn.int8w" in rest else
                                                        ("acc" if "#qnn.acc" in rest else "?"))
            dt = np.int32 if "xi32>" in rest or "xi32," in rest else np.int8
            n = int(np.prod(shape))
            mr = re.search(r'dense_resource<"?([^">]+)"?>', rest)
            if mr:
                raw = res[mr.group(1)][4:]
                arr = np.frombuffer(raw, dt)[:n]
            else:
                md = re.search(r'dense<"0x([0-9A-Fa-f]*)">', rest)
                if md:
                    arr = np.frombuffer(bytes.fromhex(md.group(1)), dt)
                    if arr.size == 1:
                        arr = np.full(n, arr[0], dt)
                else:
                    body = re.search(r"dense<(.*?)>\s*:", rest).group(1)
                    nums = [int(v) for v in re.findall(r"-?\d+", body)]
                    arr = np.array(nums if len(nums) > 1 else nums * n, dt)
            consts[res_name] = (arr.astype(np.int64).reshape(shape), fmt)
        elif op in ("conv", "fully_connected"):
            attrs = re.search(r"\{(.*?)\}\s*:", rest)
            attrs = attrs.group(1) if attrs else ""
            sig = rest[rest.index("} :") if "} :" in rest else rest.index(":"):]
            dims = tensor_dims(sig)
            layers.append(dict(value=res_name, op=op, names=names, operands=operands,
                               in_dims=dims[0], out_dims=dims[-1],
                               group=int((re.search(r"group\s*=\s*(\d+)", attrs) or
                                          re.match("()", "1")).group(1) or 1),
                               pads=int_array(attrs, "pads") or [0, 0, 0, 0],
                               strides=int_array(attrs, "strides") or [1, 1],
                               dilations=int_array(attrs, "dilations") or [1, 1]))
    return dict(values=values, consts=consts, layers=layers, args=args, users=users)


def value_names(q, v, depth=0):
    """Candidate tensor names of a qnn value: its op's location names, the
    onnx.name of a function argument, through quantize."""
    if v in q["args"]:
        return [q["args"][v]] if q["args"][v] else []
    d = q["values"].get(v)
    if d is None or depth > 5:
        return []
    out = list(d["names"])
    if d["op"] == "quantize" and d["operands"]:
        out += value_names(q, d["operands"][0], depth + 1)
    return out


# ----------------------------------------------------------------------------
# The check

class Violation(Exception):
    pass


def blocks(C, L):
    return (C + L - 1) // L


def tensor_bytes(t, L):
    if t.get("dtype") == 1:  # float32, row-major (host float segments)
        return 4 * t["C"] * t["H"] * t["W"]
    return blocks(t["C"], L) * t["H"] * t["W"] * L


def resolve(t, tags, L):
    """Tags (DDR bytes) -> (inside t, channel, y, x)."""
    rel = tags - t["off"]
    inside = (tags >= 0) & (tags < GEMM_BASE) & (rel >= 0) & (rel < tensor_bytes(t, L))
    rel = np.where(inside, rel, 0)
    lane = rel % L
    pix = rel // L
    x = pix % t["W"]
    y = (pix // t["W"]) % t["H"]
    c = (pix // (t["W"] * t["H"])) * L + lane
    return inside, c, y, x


def direct_map(mach, tout):
    """Vector ids of the GEMM epilogue vectors stored into tout, per output
    (block, y, x), each element stored exactly once."""
    L = mach.L
    O, OH, OW = tout["C"], tout["H"], tout["W"]
    lanes = np.arange(L)
    vmap = np.full((blocks(O, L), OH, OW), -1, np.int64)
    for ob in range(blocks(O, L)):
        for y in range(OH):
            for x in range(OW):
                where = "output (%d..%d, %d, %d)" % (ob * L, min(O, ob * L + L) - 1, y, x)
                a0 = tout["off"] + ((ob * OH + y) * OW + x) * L
                t = mach.ddr[a0:a0 + L]
                nw = mach.ddr_writes[a0:a0 + L]
                if not is_gemm(t).all():
                    raise Violation("%s: not stored from a GEMM epilogue" % where)
                if (nw != 1).any():
                    raise Violation("%s: stored %d times" % (where, nw.max()))
                vid = (t[0] - GEMM_BASE) // L
                if not np.array_equal(t, GEMM_BASE + vid * L + lanes):
                    raise Violation("%s: lanes come from different vectors or are permuted"
                                    % where)
                vmap[ob, y, x] = vid
    return vmap


def stored_derived(mach, t, kind, ob, y, x):
    """Records and lane indices of the derived lanes stored at element
    (block ob, y, x) of tensor t, which must be stored once from one `kind`
    instruction."""
    L = mach.L
    a0 = t["off"] + ((ob * t["H"] + y) * t["W"] + x) * L
    tags = mach.ddr[a0:a0 + L]
    nw = mach.ddr_writes[a0:a0 + L]
    where = "%s (%d..%d, %d, %d)" % (t["name"], ob * L, min(t["C"], ob * L + L) - 1, y, x)
    if (nw != 1).any():
        raise Violation("%s: stored %d times" % (where, nw.max()))
    if (tags < DERIV_BASE).any():
        j = int(np.argmax(tags < DERIV_BASE))
        raise Violation("%s: lane %d is %s, not a %s result" %
                        (where, j, describe_tag(mach, tags[j]), kind.upper()))
    r, off = mach.lookup(tags)
    recs = [mach.derived[i] for i in r]
    if any(rc["kind"] != kind for rc in recs):
        raise Violation("%s: not stored from a %s" % (where, kind.upper()))
    return recs, off, where


def claim(vmap, owner, vid, ob, y, x, where, again=None):
    """Record that GEMM vector vid is conv output (block ob, y, x). With
    `again` (a list), a conv output may come from several vectors (a fused
    pool's bands compute the rows their windows share twice): the others
    go there as (ob, y, x, vid), each checked like the first."""
    def el(k):
        return "(block %d, y %d, x %d)" % k
    if vid in owner and owner[vid] != (ob, y, x):
        raise Violation("%s: the GEMM vector of conv output %s also stands for %s" %
                        (where, el(owner[vid]), el((ob, y, x))))
    if vmap[ob, y, x] >= 0 and vmap[ob, y, x] != vid:
        if again is None:
            raise Violation("%s: conv output %s comes from two GEMM vectors" %
                            (where, el((ob, y, x))))
        if vid not in owner:
            again.append((ob, y, x, vid))
        owner[vid] = (ob, y, x)
        return
    owner[vid] = (ob, y, x)
    vmap[ob, y, x] = vid


def gemm_lane_vid(mach, tags, where, what):
    """The one GEMM vector whose lanes 0..L-1 are tags (in lane order)."""
    L = mach.L
    if not is_gemm(tags).all():
        j = int(np.argmax(~is_gemm(tags)))
        raise Violation("%s: %s lane %d is %s, not a GEMM epilogue lane" %
                        (where, what, j, describe_tag(mach, tags[j])))
    vid = (tags[0] - GEMM_BASE) // L
    if not np.array_equal(tags, GEMM_BASE + vid * L + np.arange(L)):
        raise Violation("%s: %s lanes come from different GEMM vectors or are permuted"
                        % (where, what))
    return int(vid)


def pool_map(mach, tpool, pv, O, OH, OW):
    """Conv output (block, y, x) -> GEMM vector id, reconstructed through the
    stored result tpool of the fused pool pv; -1 where no window reads it."""
    L = mach.L
    PH, PW = pv["out_dims"][2], pv["out_dims"][3]
    if pv["op"] == "global_avg_pool":
        (kh, kw), (sh, sw), (pt, pl), (dh, dw) = (OH, OW), (OH, OW), (0, 0), (1, 1)
    else:
        kh, kw = pv["kernel"]
        sh, sw = pv["strides"] or [1, 1]
        pt, pl = (pv["pads"] or [0, 0, 0, 0])[:2]
        dh, dw = pv["dilations"] or [1, 1]
    padded = pv["op"] != "global_avg_pool" and any(pv["pads"] or [])
    if pv["op"] == "max_pool":
        modes = (0,)
    elif padded:
        modes = (1,) if pv["count_include_pad"] else (2,)
    else:
        modes = (1, 2)   # no padding: both average modes count the same
    if [tpool["C"], tpool["H"], tpool["W"]] != [O, PH, PW]:
        raise Violation("pool tensor %s storage %s != qnn %s" %
                        (tpool["name"], [tpool["C"], tpool["H"], tpool["W"]], [O, PH, PW]))
    vmap = np.full((blocks(O, L), OH, OW), -1, np.int64)
    owner = {}
    # Windows that overlap: bands compute the rows they share twice.
    again = [] if sh < kh or sw < kw else None
    wy, wx = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
    wy, wx = wy.ravel(), wx.ravel()
    for ob in range(blocks(O, L)):
        for py in range(PH):
            for px in range(PW):
                recs, off, where = stored_derived(mach, tpool, "pool", ob, py, px)
                rec = recs[0]
                if any(rc is not rec for rc in recs):
                    raise Violation("%s: lanes come from different POOLs" % where)
                where += " (POOL instr %d)" % rec["instr"]
                if rec["mode"] not in modes:
                    raise Violation("%s: mode %d, qnn %s needs %s" %
                                    (where, rec["mode"], pv["op"], " or ".join(map(str, modes))))
                if tuple(rec["k"]) != (kh, kw):
                    raise Violation("%s: window %dx%d, qnn %dx%d" %
                                    ((where,) + tuple(rec["k"]) + (kh, kw)))
                win = rec["win"][off]           # (L lanes, kh*kw)
                cy = py * sh - pt + wy * dh
                cx = px * sw - pl + wx * dw
                inside = (cy >= 0) & (cy < OH) & (cx >= 0) & (cx < OW)
                for j in range(kh * kw):
                    col = win[:, j]
                    if not inside[j]:
                        if (col != WOUT).any():
                            raise Violation("%s: window position (%d, %d) is outside the "
                                            "conv output but reads %s" %
                                            (where, wy[j], wx[j],
                                             describe_tag(mach, col[col != WOUT][0])))
                        continue
                    vid = gemm_lane_vid(mach, col, where, "window position (%d, %d) = conv "
                                        "output (y %d, x %d):" % (wy[j], wx[j], cy[j], cx[j]))
                    claim(vmap, owner, vid, ob, cy[j], cx[j], where, again)
    return vmap, again or ()


def add_map(mach, tadd, tother, O, OH, OW):
    """Conv output (block, y, x) -> GEMM vector id, through the stored sums
    tadd of the fused add whose other operand is stored in tother."""
    L = mach.L
    for t, what in ((tadd, "add"), (tother, "other operand")):
        if [t["C"], t["H"], t["W"]] != [O, OH, OW]:
            raise Violation("%s tensor %s storage %s != conv output %s" %
                            (what, t["name"], [t["C"], t["H"], t["W"]], [O, OH, OW]))
    vmap = np.full((blocks(O, L), OH, OW), -1, np.int64)
    owner = {}
    lanes = np.arange(L)
    lo, hi = tother["off"], tother["off"] + tensor_bytes(tother, L)
    for ob in range(blocks(O, L)):
        for y in range(OH):
            for x in range(OW):
                recs, off, where = stored_derived(mach, tadd, "add", ob, y, x)
                ta = np.array([rc["a"][o] for rc, o in zip(recs, off)])
                tb = np.array([rc["b"][o] for rc, o in zip(recs, off)])
                where += " (%s)" % ", ".join(
                    "%s instr %d" % (w, i)
                    for i, w in sorted(set((rc["instr"], rc["what"]) for rc in recs)))
                if any(rc["unary"] for rc in recs):
                    raise Violation("%s: unary ADD (no second operand)" % where)
                # (g, other): a GEMM epilogue tile and the other operand,
                # in either order; the other operand may be read from FBUF
                # where a layer left it (a lane stored to tother stands for
                # that element).
                options = [(g, mach.as_stored(o, lo, hi))
                           for g, o in ((ta, tb), (tb, ta)) if is_gemm(g).all()]
                if not options:
                    raise Violation("%s: neither operand is a GEMM epilogue tile (a: %s, "
                                    "b: %s)" % (where, describe_tag(mach, ta[0]),
                                                describe_tag(mach, tb[0])))
                for g, other in options:
                    inside, c, oy, ox = resolve(tother, other, L)
                    good = inside & (c == ob * L + lanes) & (oy == y) & (ox == x)
                    if good.all():
                        break
                vid = gemm_lane_vid(mach, g, where, "GEMM operand")
                if not good.all():
                    j = int(np.argmax(~good))
                    raise Violation("%s: lane %d adds %s, not %s (c %d, y %d, x %d)" %
                                    (where, j, describe_tag(mach, other[j]), tother["name"],
                                     ob * L + j, y, x))
                claim(vmap, owner, vid, ob, y, x, where)
    return vmap


def decode_all(mach, rows, wfmt, Q):
    """Entries (rows x Q) and alignments of weight rows at CONST offsets
    (or decoded CSR rows)."""
    const = mach.const
    rows = np.asarray(rows, np.int64)
    vals = np.zeros((len(rows), Q), np.int64)
    align = np.zeros(len(rows), np.int64)
    qs = np.arange(Q)
    v = rows >= VIRT_BASE
    if v.any():
        vv, va = mach.virtual()
        vals[v] = vv[rows[v] - VIRT_BASE]
        align[v] = va[rows[v] - VIRT_BASE]
    p = (wfmt == 0) & ~v
    if p.any():
        byte = const[rows[p][:, None] + qs[None, :] // 2].astype(np.int64)
        vals[p] = (byte >> (4 * (qs % 2))[None, :]) & 15
        align[p] = const[rows[p] + Q // 2]
    i = (wfmt == 1) & ~v
    if i.any():
        vals[i] = const[rows[i][:, None] + qs[None, :]].astype(np.int8)
        align[i] = const[rows[i] + Q]
    return vals, align


def row_name(mach, tag):
    if tag >= VIRT_BASE:
        stream, k = mach.vorigin[tag - VIRT_BASE]
        return "CSR row %d of the stream at const %d" % (k, stream)
    return "weight row at const %d" % tag


def check_layer(b, mach, O, OH, OW, vmap, tin, geo, weights, wformat, bias, stats,
                again=()):
    """Per-output checks of every conv output (block, y, x) with a GEMM
    vector in vmap (-1: not required), and of the (block, y, x, vector) in
    `again`."""
    L, Q = mach.L, mach.Q
    C, H, W = tin["C"], tin["H"], tin["W"]
    kh, kw = geo["k"]
    sh, sw = geo["stride"]
    dh, dw = geo["dil"]
    pt, pl = geo["pad"]
    fr = np.array(tin["frac"])[np.arange(C) // tin["frac_block"]]
    want_align = fr.max() - fr
    want_fmt = {"pow2": 0, "int8": 1}.get(wformat)
    nprod = nout = 0
    todo = [(ob, y, x, int(vmap[ob, y, x])) for ob in range(blocks(O, L))
            for y in range(OH) for x in range(OW) if vmap[ob, y, x] >= 0]
    # (Outputs a fused pool's bands computed again: checked, not counted.)
    for n, (ob, y, x, vid) in enumerate(todo + list(again)):
        lanes = np.arange(L)
        ovalid = ob * L + lanes < O
        iy = y * sh + np.arange(kh) * dh - pt
        first = n < len(todo)
        nout += int(ovalid.sum()) if first else 0
        where = "output (%d..%d, %d, %d)" % (ob * L, min(O, ob * L + L) - 1, y, x)
        ix = x * sw + np.arange(kw) * dw - pl
        bias_tag, ins, wrows, wfm = mach.products(vid)
        instr = mach.produced[vid][0]
        where += " (GEMM instr %d)" % instr
        if want_fmt is not None and (wfm != want_fmt).any():
            raise Violation("%s: weight format %s, qnn says %s" %
                            (where, sorted(set(wfm.tolist())), wformat))
        ins = mach.as_stored(ins, tin["off"], tin["off"] + tensor_bytes(tin, L))
        inside, c, iyv, ixv = resolve(tin, ins, L)
        real = inside & (c < C)
        zpad = (inside & (c >= C)) | (ins == UNWRITTEN)
        other = ~inside & (ins != UNWRITTEN) & (ins != GPAD)
        if other.any():
            j = np.argmax(other)
            raise Violation("%s: product %d reads %s, not the input tensor %s" %
                            (where, j, describe_tag(mach, ins[j]), tin["name"]))
        # expected taps
        oky, okx = (iy >= 0) & (iy < H), (ix >= 0) & (ix < W)
        EY, EX, EC = np.meshgrid(np.nonzero(oky)[0], np.nonzero(okx)[0],
                                 np.arange(C), indexing="ij")
        ekey = ((EC * H + iy[EY]) * W + ix[EX]).ravel()
        akey = ((c * H + iyv) * W + ixv)[real]
        if len(akey) != len(ekey) or not np.array_equal(np.sort(akey), np.sort(ekey)):
            u, cnt = np.unique(akey, return_counts=True)
            dup = u[cnt > 1]
            miss = np.setdiff1d(ekey, akey)
            extra = np.setdiff1d(akey, ekey)
            def el(k):
                return "(c %d, y %d, x %d)" % (k // (H * W), k // W % H, k % W)
            if len(dup):
                raise Violation("%s: input %s used %d times" %
                                (where, el(dup[0]), cnt[cnt > 1][0]))
            if len(miss):
                raise Violation("%s: %d required products missing, first input %s" %
                                (where, len(miss), el(miss[0])))
            raise Violation("%s: %d products not in the layer, first input %s" %
                            (where, len(extra), el(extra[0])))
        nprod += len(akey) * int(ovalid.sum()) if first else 0
        order = np.argsort(akey)
        ekey_s_idx = np.argsort(ekey)
        rrows, rfm = wrows[real][order], wfm[real][order]
        ey, ex, ec = EY.ravel()[ekey_s_idx], EX.ravel()[ekey_s_idx], EC.ravel()[ekey_s_idx]
        # every lane at once: vals[j, q] = entry q of row j
        vals, align = decode_all(mach, rrows, rfm, Q)
        want = np.zeros_like(vals)
        want[:, ovalid] = weights[ob * L + lanes[ovalid]][:, ec, ey, ex].T
        badq = (vals != want).any(axis=0)
        abad = not np.array_equal(align, want_align[ec])
        if badq.any() or abad:
            q = int(np.argmax(badq)) if badq.any() else None
            if q is not None and (q == 0 or not abad):
                if not ovalid[q]:
                    raise Violation("%s: pad output lane %d meets nonzero weight"
                                    % (where, q))
                o = ob * L + q
                j = np.argmax(vals[:, q] != want[:, q])
                raise Violation("%s: channel %d, input (c %d, ky %d, kx %d): "
                                "%s holds %d, layer weight %d"
                                % (where, o, ec[j], ey[j], ex[j],
                                   row_name(mach, rrows[j]), vals[j, q],
                                   want[j, q]))
            j = np.argmax(align != want_align[ec])
            raise Violation("%s: input channel %d: row alignment %d, "
                            "expected max f - f_c = %d" %
                            (where, ec[j], align[j], want_align[ec][j]))
        if zpad.any():
            zr, zf = wrows[zpad], wfm[zpad]
            zv, _ = decode_all(mach, zr, zf, Q)
            if (zv != 0).any():
                q = int(np.argmax((zv != 0).any(axis=0)))
                j = np.argmax(zv[:, q] != 0)
                raise Violation("%s: lane %d: zero-pad input %s meets weight %d"
                                % (where, q, describe_tag(mach, ins[zpad][j]), zv[j, q]))
        if bias_tag is None or bias_tag < 0:
            raise Violation("%s: no bias entry (accumulation never started)" % where)
        bv = np.frombuffer(b["const"][bias_tag:bias_tag + 4 * Q].tobytes(), "<i4")
        wantb = np.zeros(L, np.int64)
        if bias is not None:
            m = ovalid
            wantb[m] = bias[ob * L + lanes[m]]
        if not np.array_equal(bv, wantb):
            j = np.argmax(bv != wantb)
            raise Violation("%s: lane %d bias %d, expected %d" % (where, j, bv[j], wantb[j]))
    stats["outputs"] = nout
    stats["products"] = nprod


def describe_tag(mach, tag):
    return describe(mach.b, tag, mach.L, mach)


def describe(b, tag, L, mach=None):
    tag = int(tag)
    if tag >= DERIV_BASE and mach is not None:
        r, _ = mach.lookup(np.array([tag]))
        rec = mach.derived[r[0]]
        return "a %s result (instr %d)" % (rec["kind"].upper(), rec["instr"])
    if tag == WOUT:
        return "nothing (outside the POOL input tile)"
    if tag == NOB:
        return "nothing (unary ADD)"
    if tag == UNWRITTEN:
        return "never-written FBUF"
    if tag == GPAD:
        return "GEMM padding"
    if tag == OPAQUE:
        return "a CONST value"
    if tag >= DERIV_BASE:
        return "a POOL/ADD result"
    if tag >= GEMM_BASE:
        return "a GEMM epilogue lane"
    for t in b["tensors"]:
        inside, c, y, x = resolve(t, np.array([tag]), L)
        if inside[0]:
            return "%s (c %d, y %d, x %d)%s" % (t["name"], c[0], y[0], x[0],
                                                 " zero pad" if c[0] >= t["C"] else "")
    return "data byte %d (no tensor)" % tag


FUSABLE = ("max_pool", "avg_pool", "global_avg_pool", "add")


def find_tensor(q, by_name, v, what):
    """Index of the binary tensor holding qnn value v (named by its op)."""
    names = value_names(q, v)
    for n in names:
        if by_name.get(n):
            return by_name[n][0]
    raise Violation("no binary tensor named like %s %s %s" % (what, v, names))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--qnn", help="the qnn module the binary was compiled from")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    b = parse_binary(a.binary)
    mach = Machine(b)
    L = mach.L
    counts = mach.run(b["code"])
    tensors = b["tensors"]
    # Group GEMM results by the tensor their STOREs write.
    gemm_bytes = is_gemm(mach.ddr)
    groups = []
    seen = set()
    for i, t in enumerate(tensors):
        key = (t["off"], t["C"], t["H"], t["W"])
        n = int(gemm_bytes[t["off"]:t["off"] + tensor_bytes(t, L)].sum())
        if n and key not in seen:
            seen.add(key)
            groups.append(i)
    stored = int(gemm_bytes.sum())
    covered = sum(int(gemm_bytes[tensors[i]["off"]:tensors[i]["off"] +
                                 tensor_bytes(tensors[i], L)].sum()) for i in groups)
    print("%s: %d instructions (%d GEMM), L=Q=%d, %d GEMM output tensors" %
          (a.binary.split("/")[-1], len(b["code"]), counts.get(3, 0) + counts.get(7, 0),
           L, len(groups)))
    bad = list(mach.errors)
    if stored != covered:
        bad.append("%d GEMM result bytes stored outside every tensor" % (stored - covered))
    if not a.qnn:
        for i in groups:
            print("layer %s: stored (no --qnn: iteration space not checked)" % tensors[i]["name"])
        for e in bad:
            print("error: " + e)
        sys.exit(1 if bad else 0)
    q = parse_qnn(a.qnn)
    by_name = {}
    for i, t in enumerate(tensors):
        by_name.setdefault(t["name"], []).append(i)
    matched = set()
    for lay in q["layers"]:
        label = lay["names"][0] if lay["names"] else lay["value"]
        if lay["group"] != 1:
            print("layer %s: grouped conv (group %d), host segment: skipped" %
                  (label, lay["group"]))
            continue
        # Output tensor: one the GEMM stores write, named by the layer.
        tout = None
        for n in lay["names"]:
            for i in by_name.get(n, []):
                if i in groups:
                    tout = i
                    break
            if tout is not None:
                break
        fused = None
        if tout is None:
            # A fused epilogue: the conv's only user is a pool or an add.
            us = q["users"].get(lay["value"], [])
            uv = q["values"].get(us[0]) if len(us) == 1 else None
            if lay["op"] == "conv" and uv is not None and uv["op"] in FUSABLE:
                fused = uv
            else:
                bad.append("layer %s: no GEMM output tensor named %s in the binary" %
                           (label, lay["names"]))
                print("layer %s: VIOLATION: not found among the GEMM outputs" % label)
                continue
        else:
            matched.add(tout)
            to = tensors[tout]
        name = to["name"] if fused is None else label
        try:
            wv = lay["operands"][1]
            if wv not in q["consts"]:
                raise Violation("weights %s are not a qnn.constant" % wv)
            wt, wfmt = q["consts"][wv]
            bias = q["consts"][lay["operands"][2]][0] if len(lay["operands"]) > 2 else None
            od = lay["out_dims"]
            # Input tensor: named by the operand's producer; must have the qnn shape.
            ti = tensors[find_tensor(q, by_name, lay["operands"][0], "input")]
            ind = lay["in_dims"]
            if lay["op"] == "conv":
                if [ti["C"], ti["H"], ti["W"]] != ind[1:]:
                    raise Violation("input tensor %s storage %s != qnn %s" %
                                    (ti["name"], [ti["C"], ti["H"], ti["W"]], ind[1:]))
                if fused is None and [to["C"], to["H"], to["W"]] != od[1:]:
                    raise Violation("output storage %s != qnn %s" %
                                    ([to["C"], to["H"], to["W"]], od[1:]))
                geo = dict(k=wt.shape[2:], stride=lay["strides"], dil=lay["dilations"],
                           pad=lay["pads"][:2])
                w4 = wt
                O, OH, OW = od[1:]
            else:
                K = ind[1]
                if ti["C"] * ti["H"] * ti["W"] != K:
                    raise Violation("input tensor %s storage %s does not hold %d features" %
                                    (ti["name"], [ti["C"], ti["H"], ti["W"]], K))
                if [to["C"], to["H"], to["W"]] != [od[1], 1, 1]:
                    raise Violation("output storage %s != qnn %s" %
                                    ([to["C"], to["H"], to["W"]], od))
                # feature k = (c * H + y) * W + x of the flattened input
                w4 = wt.reshape(wt.shape[0], ti["C"], ti["H"], ti["W"])
                geo = dict(k=(ti["H"], ti["W"]), stride=(1, 1), dil=(1, 1), pad=(0, 0))
                O, OH, OW = od[1], 1, 1
            note = ""
            again = ()
            if fused is None:
                vmap = direct_map(mach, to)
            elif fused["op"] == "add":
                others = [v for v in fused["operands"] if v != lay["value"]]
                if len(others) != 1:
                    raise Violation("fused add %s has no other operand" % fused["names"])
                tadd = tensors[find_tensor(q, by_name, fused["res"], "fused add result")]
                tother = tensors[find_tensor(q, by_name, others[0], "add operand")]
                vmap = add_map(mach, tadd, tother, O, OH, OW)
                note = " (fused add %s, other operand %s)" % (tadd["name"], tother["name"])
            else:
                tpool = tensors[find_tensor(q, by_name, fused["res"], "fused pool result")]
                vmap, again = pool_map(mach, tpool, fused, O, OH, OW)
                note = " (fused %s %s)" % (fused["op"], tpool["name"])
            stats = {}
            check_layer(b, mach, O, OH, OW, vmap, ti, geo, w4, wfmt, bias, stats, again)
            if fused is not None and fused["op"] != "add":
                note = note[:-1] + ", %d outputs no window covers%s)" % (
                    O * OH * OW - stats["outputs"],
                    ", %d vectors computed again" % len(again) if again else "")
            print("layer %s: %d outputs, %d products, covered%s" %
                  (name, stats["outputs"], stats["products"], note))
        except Violation as e:
            bad.append("layer %s: %s" % (name, e))
            print("layer %s: VIOLATION: %s" % (name, e))
    for i in groups:
        if i not in matched:
            bad.append("GEMM output tensor %s matches no qnn layer" % tensors[i]["name"])
    for e in bad:
        print("error: " + e)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
