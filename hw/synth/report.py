#!/usr/bin/env python3
"""report.py - the resource table of the DLP core from synth.sh's Yosys runs.

    hw/synth/report.py <dlp_cfg_pkg.sv> <log dir>

Reads the `<unit>.stat` files synth.sh wrote (Yosys `stat` after
`synth_xilinx -family xcup`), scales the units synthesized at a smaller size
(the PE array by its PE count, the pool unit linearly in L), adds the
on-chip buffers' storage counted by arithmetic as BRAM36 / URAM288 blocks
(the banks of hw/synth/dlp_buffers.sv), and prints the table with the
percentages of a Xilinx VU9P (xcvu9p). Every scaling and block count is
printed with its arithmetic.
"""
import math
import os
import re
import sys

# xcvu9p (UltraScale+): CLB LUTs, CLB flip-flops, DSP48E2, BRAM36, URAM288.
VU9P = {"LUT": 1182240, "FF": 2364480, "DSP": 6840, "BRAM36": 2160,
        "URAM": 960}

# LUT sites of the distributed-RAM / shift-register cells Yosys maps to.
LUTRAM_LUTS = {"RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2,
               "RAM256X1S": 4, "RAM512X1S": 8, "RAM16X1D": 2, "RAM32X1D": 2,
               "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8, "RAM32M": 4,
               "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1,
               "SRLC16E": 1, "SRLC32E": 1}


def package(path):
    p = {}
    for m in re.finditer(r"localparam\s+(?:int|bit)\s+(\w+)\s*=\s*(?:1'b)?(-?\d+)\s*;",
                         open(path).read()):
        p[m.group(1)] = int(m.group(2))
    return p


def stat(path):
    """Counts of one Yosys `stat` (the top's cells)."""
    cells = {}
    for line in open(path):
        m = re.match(r"\s+(\S+)\s+(\d+)\s*$", line)
        if m and not m.group(1).startswith("$"):
            cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
    lut = sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k))
    lutram = sum(v * LUTRAM_LUTS[k] for k, v in cells.items() if k in LUTRAM_LUTS)
    return {
        "LUT": lut + lutram, "LUTRAM": lutram,
        "FF": sum(v for k, v in cells.items() if re.fullmatch(r"FD[RSCP]E", k)),
        "DSP": cells.get("DSP48E2", 0),
        "CARRY": cells.get("CARRY4", 0) + 2 * cells.get("CARRY8", 0),
        "BRAM36": cells.get("RAMB36E2", 0) + cells.get("RAMB18E2", 0) / 2,
        "URAM": cells.get("URAM288", 0),
    }


KEYS = ["LUT", "FF", "DSP", "CARRY", "BRAM36", "URAM"]


def scale(a, f):
    return {k: a[k] * f for k in a}


def lin(a, b, t):
    """a at x0, b at x1: the value at x0 + t (x1 - x0)."""
    return {k: a[k] + (b[k] - a[k]) * t for k in a}


# BRAM36 (36 Kb: 32 Kb data + 4 Kb parity) as one RAMB36E2 or two RAMB18E2;
# 72-bit (RAMB36) / 36-bit (RAMB18) words only in simple dual port (one
# read + one write port).
B36 = [(32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36)]
B18 = [(16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18)]


def bram36(depth, width, sdp):
    a = min(math.ceil(depth / d) * math.ceil(width / w)
            for d, w in B36 + ([(512, 72)] if sdp else []))
    b = min(math.ceil(depth / d) * math.ceil(width / w)
            for d, w in B18 + ([(512, 36)] if sdp else []))
    return min(a, b / 2)


def uram(depth, width):  # URAM288: 4096 x 72, two ports
    return math.ceil(depth / 4096) * math.ceil(width / 72)


def buffers(p):
    """The banks of dlp_buffers.sv: (name, banks, depth, width, ports, why)."""
    L, Q, B = p["L"], p["Q"], p["DDR_BYTES_PER_CYCLE"]
    fwr = (L - 1 + B) // L
    frd = B // L if B % L == 0 else (1 if L % B == 0 else -(-B // L) + 1)
    nbf = 1 << math.ceil(math.log2(max(fwr, frd)))
    uw = min(p["WROW_POW2_BYTES"], p["WROW_INT8_BYTES"])
    nws = (uw - 1 + B) // uw
    return [
        ("FBUF", nbf, p["FBUF_VECTORS"] // nbf, L * 8, 4,
         f"{nbf} bank(s): a DMA cycle writes <= {fwr}, reads <= {frd} "
         f"consecutive vectors; 4 accesses per cycle (ADD reads A, B and "
         f"writes while the DMA reads or writes)"),
        ("WBUF", L, p["WBUF_ROWS"] // L, (Q + 1) * 8 + 2, 2,
         f"L = {L} banks (L consecutive rows per GEMM read; a DMA cycle "
         f"writes <= {nws} rows); row {(Q + 1) * 8} bits + 2-bit tag"),
        ("PBUF", 1, p["PARAM_ENTRIES"], p["PENTRY_BYTES"] * 8, 2,
         "one entry per read"),
        ("ABUF", 1, p["ABUF_VECTORS"], Q * 32, 2, "one vector per read"),
    ]


def sta(path):
    """Yosys `sta` output: (arrival ps, cells on the path by type, end cell).

    The arrival is the latest one Yosys reports, with the cell delays of its
    Xilinx simulation library (`-specify`) and no routing; cells without
    timing arcs (DSP48E2, MUXF9) cut the paths through them, so a path that
    ends "<unknown>" ends at such a cell's input."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    m = re.search(r"Latest arrival time in '[^']*' is (\d+):\n(.*?)(?:\nArrival histogram|\Z)",
                  text, re.S)
    if not m:
        return None
    block = m.group(2)
    cells = re.findall(r"\((\w+)\.\w+->\w+\)", block)
    first = re.search(r"^ +\d+ +(?:\S+ )?\(([^).]+)", block, re.M)
    end = first.group(1) if first else "?"
    return int(m.group(1)), cells, ("untimed cell" if end == "<unknown>" else end)


def fmt(v):
    return f"{v:,.0f}".replace(",", " ") if v == int(v) else f"{v:,.1f}".replace(",", " ")


def main():
    pkg, logs = sys.argv[1], sys.argv[2]
    p = package(pkg)
    L, Q = p["L"], p["Q"]
    have = lambda n: os.path.exists(os.path.join(logs, n + ".stat"))
    st = lambda n: stat(os.path.join(logs, n + ".stat"))
    times = {}
    for n in ["pe_array", "pe_array_8x8", "pe_array_16x16", "postproc", "gemm",
              "dma", "pool", "pool_L4", "pool_L8", "eltwise", "csr_dec",
              "csr_dec_L8", "csr_dec_L16", "csr_dec_L32", "buffers",
              "buffers_aligned", "core_ctrl"]:
        if os.path.exists(os.path.join(logs, n + ".time")):
            times[n] = int(open(os.path.join(logs, n + ".time")).read())

    rows = []  # (unit, counts, note)
    notes = []
    if have("pe_array"):
        rows.append(("dlp_pe_array", st("pe_array"), f"{L}x{Q}"))
    elif have("pe_array_16x16"):
        a8, a16 = st("pe_array_8x8"), st("pe_array_16x16")
        f = L * Q / 256
        r = scale(a16, f)
        rows.append(("dlp_pe_array", r, f"16x16 x {f:g}"))
        notes.append(
            f"dlp_pe_array {L}x{Q} = 16x16 run x (L*Q)/256 = x {f:g}: "
            + ", ".join(f"{k} {fmt(a16[k])} -> {fmt(r[k])}" for k in ("LUT", "FF", "DSP", "CARRY"))
            + f"; per PE: 8x8 {a8['LUT'] / 64:.0f} LUT / {a8['FF'] / 64:.0f} FF, "
            f"16x16 {a16['LUT'] / 256:.0f} LUT / {a16['FF'] / 256:.0f} FF "
            f"(8x8-based scaling would give {fmt(a8['LUT'] * L * Q / 64)} LUT)")
    rows.append(("dlp_postproc (GEMM epilogue)", st("postproc"), f"Q = {Q} lanes"))
    rows.append(("dlp_postproc (GEMM residual add)", st("postproc"), f"Q = {Q} lanes"))
    rows.append(("dlp_gemm (sequencer, row decode)", st("gemm"), "array, postproc black boxes"))
    rows.append(("dlp_dma", st("dma"), ""))
    if have("pool"):
        rows.append(("dlp_pool", st("pool"), ""))
    else:
        la, lb = sorted(int(f[6:-5]) for f in os.listdir(logs)
                        if re.fullmatch(r"pool_L\d+\.stat", f))[:2]
        pa, pb = st(f"pool_L{la}"), st(f"pool_L{lb}")
        t = (L - la) / (lb - la)
        r = lin(pa, pb, t)
        rows.append(("dlp_pool", r, f"L = {la}, {lb} -> {L} linear"))
        notes.append(
            f"dlp_pool at L = {L}, linear in L from L = {la} and {lb} (its lanes are a "
            f"generate over L): L{la} + (L{lb} - L{la}) * ({L} - {la}) / {lb - la}: "
            + ", ".join(f"{k} {fmt(pa[k])} + ({fmt(pb[k])} - {fmt(pa[k])}) * {t:g} = {fmt(r[k])}"
                        for k in ("LUT", "FF", "DSP", "CARRY")))
    rows.append(("dlp_eltwise", st("eltwise"), "postproc black box"))
    if have("csr_dec"):
        rows.append(("dlp_csr_dec", st("csr_dec"),
                     f"{Q} x {L} dense banks of {p['CSR_DENSE_ROWS'] // L} words"))
    elif have("csr_dec_L32"):
        # a + b L + c L^2 through the L = Q = 8, 16, 32 runs (as many words
        # per bank as the config's).
        cs = {l: st(f"csr_dec_L{l}") for l in (8, 16, 32)}
        r = {}
        for k in cs[8]:
            y8, y16, y32 = cs[8][k], cs[16][k], cs[32][k]
            c = ((y32 - y16) / 16 - (y16 - y8) / 8) / 24
            b = (y16 - y8) / 8 - 24 * c
            a = y8 - 8 * b - 64 * c
            r[k] = max(0.0, a + b * L + c * L * L)
        rows.append(("dlp_csr_dec", r, f"L = Q = 8, 16, 32 -> {L}: quadratic"))
        notes.append(
            f"dlp_csr_dec at L = Q = {L} ({p['CSR_DENSE_ROWS'] // L} words per dense bank): "
            f"a + b L + c L^2 through runs at L = Q = 8, 16, 32 with as many words per "
            f"bank (its Q x L banks, L x L lane-to-bank selection): "
            + ", ".join(f"{k} {fmt(cs[8][k])}, {fmt(cs[16][k])}, {fmt(cs[32][k])} -> {fmt(r[k])}"
                        for k in ("LUT", "LUTRAM", "FF", "DSP")))
    rows.append(("dlp_postproc (ADD)", st("postproc"), f"Q = {Q} lanes"))
    rows.append(("dlp_core control", st("core_ctrl"), "units, buffers black boxes"))
    rows.append(("buffer banking logic", st("buffers"), "dlp_buffers.sv, banks black boxes"))
    if have("buffers_aligned"):
        ba = st("buffers_aligned")
        notes.append(
            f"Of the banking logic, the WBUF read rotation (L = {L} rows of "
            f"{(Q + 1) * 8 + 2} bits, log2 L = {p['LOG2_L']} stages) and the per-bank address "
            f"increments are {fmt(st('buffers')['LUT'] - ba['LUT'])} LUT: the "
            f"buffers_aligned run ({fmt(ba['LUT'])} LUT) reads L rows only from "
            f"multiples of L.")

    logic = {k: sum(r[1][k] for r in rows) for k in KEYS}

    # SRAM storage.
    sram = []
    for name, banks, depth, width, ports, why in buffers(p):
        b36 = banks * bram36(depth, width, ports == 2)
        ur = banks * uram(depth, width)
        use_uram = depth >= 4096
        sram.append((name, banks, depth, width, ports, why, b36, ur, use_uram))

    print(f"## {os.path.basename(pkg)}: L = {L}, Q = {Q}\n")
    print("| unit | LUT | FF | DSP48E2 | CARRY4 | BRAM36 | note |")
    print("|---|---|---|---|---|---|---|")
    for name, r, note in rows:
        print(f"| {name} | {fmt(r['LUT'])} | {fmt(r['FF'])} | {fmt(r['DSP'])} | "
              f"{fmt(r['CARRY'])} | {fmt(r['BRAM36'])} | {note} |")
    print(f"| **logic total** | {fmt(logic['LUT'])} | {fmt(logic['FF'])} | "
          f"{fmt(logic['DSP'])} | {fmt(logic['CARRY'])} | {fmt(logic['BRAM36'])} | |")
    lr = sum(r[1]["LUTRAM"] for r in rows)
    print(f"\nLUT includes distributed RAM / SRL sites: {fmt(lr)}.")
    for n in notes:
        print(f"\n{n}")

    print("\n| buffer | banks x words x bits | ports / bank | BRAM36 if BRAM | URAM288 if URAM | mapped to |")
    print("|---|---|---|---|---|---|")
    tb = logic["BRAM36"]
    tu = logic["URAM"]
    for name, banks, depth, width, ports, why, b36, ur, use_uram in sram:
        print(f"| {name} | {banks} x {depth} x {width} | {ports} | {fmt(b36)} | {ur} | "
              f"{'URAM' if use_uram else 'BRAM'} |")
        if use_uram:
            tu += ur
        else:
            tb += b36
    for name, banks, depth, width, ports, why, b36, ur, use_uram in sram:
        print(f"\n{name}: {why}; BRAM36 per bank {fmt(bram36(depth, width, ports == 2))}, "
              f"URAM per bank ceil({depth}/4096) x ceil({width}/72) = {uram(depth, width)}")
    bits = sum(s[1] * s[2] * s[3] for s in sram)
    print(f"\nBuffer bits: {bits / 2**20:.2f} Mib")
    print("\n| total | LUT | FF | DSP48E2 | BRAM36 | URAM288 |")
    print("|---|---|---|---|---|---|")
    tot = {"LUT": logic["LUT"], "FF": logic["FF"], "DSP": logic["DSP"],
           "BRAM36": tb, "URAM": tu}
    print("| core | " + " | ".join(fmt(tot[k]) for k in ("LUT", "FF", "DSP", "BRAM36", "URAM")) + " |")
    print("| xcvu9p | " + " | ".join(fmt(VU9P[k]) for k in ("LUT", "FF", "DSP", "BRAM36", "URAM")) + " |")
    print("| used | " + " | ".join(f"{100 * tot[k] / VU9P[k]:.1f} %"
                                   for k in ("LUT", "FF", "DSP", "BRAM36", "URAM")) + " |")
    paths = [(n, sta(os.path.join(logs, n + ".sta"))) for n in times]
    paths = [(n, t) for n, t in paths if t]
    if paths:
        print("\nLongest logic path per run (Yosys `sta`: its Xilinx library's 7-series "
              "cell delays, no routing, paths through untimed cells such as DSP48E2 "
              "and MUXF9 cut); indicative logic depth, not an Fmax:\n")
        print("| run | path ps | LUT levels | CARRY4 | MUXF | ends at | 1 / path MHz |")
        print("|---|---|---|---|---|---|---|")
        for n, (ps, cells, end) in paths:
            luts = sum(c.startswith("LUT") for c in cells)
            car = sum(c.startswith("CARRY") for c in cells)
            mux = sum(c.startswith("MUXF") for c in cells)
            print(f"| {n} | {ps} | {luts} | {car} | {mux} | {end} | {1e6 / ps:.0f} |")
    if times:
        print("\nYosys wall time: " + ", ".join(f"{n} {t} s" for n, t in times.items())
              + f"; total {sum(times.values())} s")


if __name__ == "__main__":
    main()
