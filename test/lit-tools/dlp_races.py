#!/usr/bin/env python3
"""Independent race checker for compiled DLP binaries.

  dlp_races.py M.dlpb [M2.dlpb ...]

Written from docs/isa.md section 2 (queues, tokens, barriers) and the
instruction fields of section 3 only (numpy-free; it reuses
dlp_coverage.py's .dlpb parser and field decoder). Every pair of
instructions of different queues that touch a buffer unit or a DDR byte of
region data, at least one writing it, must be ordered by the stream's
happens-before relation, whatever the timing:

  * each queue runs its instructions in order, one at a time;
  * the k-th push on a channel (load->compute, compute->load,
    compute->store, store->compute) happens before the k-th pop of it;
  * a barrier (HOST, SYNC, END) starts after every earlier instruction and
    before every later one.

Accesses: LOAD writes its SRAM units (FBUF / WBUF / PBUF) and reads its DDR
box, STORE reads FBUF units and writes its DDR box (each box as the byte
range from its first to its last byte); GEMM / GEMM_CSR read every input
channel block's rows, the weight rows (GEMM_CSR: its first row only, its
stream's length being data), the parameter entry (two with residual), the
residual tile, write the output tile with the epilogue (ABUF is the compute
queue's alone); POOL and ADD read and write their channel blocks and ADD its
parameter entries. Prints one line per binary ("no races" and the pair
count checked) or the first unordered pair, and exits 1 on a race.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dlp_coverage import parse_binary, decode, bits, pooled_dims  # noqa: E402

FBUF, WBUF, PBUF, DDR = range(4)
LOAD, COMPUTE, STORE, BARRIER = range(4)
NAMES = {0: "end", 1: "load", 2: "store", 3: "gemm", 4: "pool", 5: "add",
         6: "host", 7: "gemm_csr", 8: "sync", 9: "gemm_win"}


def accesses(f, L, window=1):
    """(space, lo, hi, write) of one decoded instruction (`window`: the
    target's array.window, for GEMM_WIN's rows)."""
    op = f["op"]
    out = []
    if op in (1, 2):
        n = f["n0"] * f["n1"] * f["n2"]
        space = (FBUF, WBUF, PBUF)[f["buf"]]
        out.append((space, f["sram"], f["sram"] + n, op == 1))
        if f["region"] == 1 and f["buf"] == 0:  # FBUF <-> region data
            last = f["ddr"] + (f["n2"] - 1) * f["s2"] + (f["n1"] - 1) * f["s1"] + f["n0"] * L
            out.append((DDR, f["ddr"], last, op == 2))
    elif op in (3, 7, 9):
        plane = f["in_h"] * f["in_w"]
        for b in range(f["in_cb"]):
            a = f["in_addr"] + b * f["in_cstride"]
            out.append((FBUF, a, a + plane, False))
        steps = f["k_h"] * f["k_w"] * f["in_cb"]
        rows = (1 if op == 7 else
                f["in_cb"] + -(-steps // window) * f["slots"] * L if op == 9 else
                steps * L)
        out.append((WBUF, f["w_addr"], f["w_addr"] + rows, False))
        out.append((PBUF, f["param_addr"], f["param_addr"] + 1 + f["residual"], False))
        m = f["out_h"] * f["out_w"]
        if f["epilogue"] and f.get("pool_k", 0):
            # ISA v5: only the pooled tile is written.
            ph, pw = pooled_dims(f)
            out.append((FBUF, f["out_addr"], f["out_addr"] + ph * pw, True))
        elif f["epilogue"]:
            out.append((FBUF, f["out_addr"], f["out_addr"] + m, True))
            if f["residual"]:
                out.append((FBUF, f["out_addr"] + m, f["out_addr"] + 2 * m, False))
    elif op == 4:
        for b in range(f["cb"]):
            a = f["in_addr"] + b * f["in_cstride"]
            out.append((FBUF, a, a + f["in_h"] * f["in_w"], False))
            o = f["out_addr"] + b * f["out_cstride"]
            out.append((FBUF, o, o + f["out_h"] * f["out_w"], True))
    elif op == 5:
        n = f["n"]
        for b in range(f["cb"]):
            a = f["a_addr"] + b * f["a_cstride"]
            out.append((FBUF, a, a + n, False))
            if not f["unary"]:
                a = f["b_addr"] + b * f["b_cstride"]
                out.append((FBUF, a, a + n, False))
            o = f["out_addr"] + b * f["out_cstride"]
            out.append((FBUF, o, o + n, True))
        out.append((PBUF, f["param_addr"], f["param_addr"] + f["cb"], False))
    return out


def conflict(xs, ys):
    for s, a0, a1, w in xs:
        for t, b0, b1, v in ys:
            if s == t and (w or v) and a0 < b1 and b0 < a1:
                return True
    return False


def check(path):
    b = parse_binary(path)
    L = b["target"]["array"]["L"]
    window = b["target"]["array"].get("window", 1)
    code = [decode(ws) for ws in b["code"]]
    queue = []
    for f in code:
        op = f["op"]
        queue.append(LOAD if op == 1 else STORE if op == 2 else
                     COMPUTE if op in (3, 4, 5, 7, 9) else BARRIER)
    # Vector clocks: vc[i][q] = the highest position in queue q of an
    # instruction that happens before instruction i starts (-1: none).
    pos = [0] * len(code)
    count = [0, 0, 0]
    last = [None, None, None]          # latest instruction of each queue
    pushes = {ch: [] for ch in range(4)}  # channel -> pushers, in order
    pops = {ch: 0 for ch in range(4)}
    # channels: 0 load->compute, 1 compute->load, 2 compute->store,
    # 3 store->compute; (queue, flag bit) of a push and of a pop.
    push_of = {(LOAD, 9): 0, (COMPUTE, 8): 1, (COMPUTE, 9): 2, (STORE, 8): 3}
    pop_of = {(COMPUTE, 6): 0, (LOAD, 7): 1, (STORE, 6): 2, (COMPUTE, 7): 3}
    vc = []
    barrier_vc = [-1, -1, -1]  # ordered before a barrier's successors
    by_queue = [[], [], []]
    checked = 0
    for i, f in enumerate(code):
        q = queue[i]
        w0 = b["code"][i][0]
        if q == BARRIER:
            barrier_vc = [count[k] - 1 for k in range(3)]
            vc.append(list(barrier_vc))
            continue
        clock = list(barrier_vc)
        if last[q] is not None:
            p = last[q]
            clock = [max(c, d) for c, d in zip(clock, vc[p])]
            clock[q] = max(clock[q], pos[p])
        for (qq, bit), ch in pop_of.items():
            if qq == q and bits(w0, bit, 1):
                k = pops[ch]
                pops[ch] += 1
                if k >= len(pushes[ch]):
                    return "%s: instruction %d pops channel %d with no push before it" % (path, i, ch)
                p = pushes[ch][k]
                clock = [max(c, d) for c, d in zip(clock, vc[p])]
                clock[queue[p]] = max(clock[queue[p]], pos[p])
        pos[i] = count[q]
        count[q] += 1
        vc.append(clock)
        last[q] = i
        acc = accesses(f, L, window)
        f["acc"] = acc
        # Unordered earlier instructions of the other queues.
        for other in range(3):
            if other == q:
                continue
            for j in reversed(by_queue[other]):
                if pos[j] <= clock[other]:
                    break
                checked += 1
                if conflict(code[j]["acc"], acc):
                    return ("%s: RACE: instruction %d (%s) and %d (%s) touch the same "
                            "units, one writing, with nothing ordering them" %
                            (path, j, NAMES[code[j]["op"]], i, NAMES[f["op"]]))
        by_queue[q].append(i)
        for (qq, bit), ch in push_of.items():
            if qq == q and bits(w0, bit, 1):
                pushes[ch].append(i)
    return "%s: no races (%d instructions, %d unordered pairs checked)" % (
        path, len(code), checked)


def main():
    bad = False
    for path in sys.argv[1:]:
        msg = check(path)
        print(msg)
        bad |= "RACE" in msg or "no push" in msg
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
