#!/usr/bin/env python3
"""Checks dlp-run's cycle-model outputs (docs/cycle-model.md).

  --trace t.json        Chrome trace: valid JSON, the load / compute / store
                        tracks exist, every slice lies in [0, total] and no
                        two slices of one track overlap (in cycles).
  --profile-json p.json the layers' cycles sum to total_cycles, and the
                        totals row equals the sums.
  --table out.txt       the printed table (repeatable): the layer rows'
                        cycles sum to the total row and the latency line;
                        two tables given must be identical.

Prints one line per check; exits 1 with "FAIL: ..." on the first failure.
"""
import argparse
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_trace(path):
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"]
    total = doc["otherData"]["total_cycles"]
    tracks = {e["tid"]: e["args"]["name"] for e in events
              if e["ph"] == "M" and e["name"] == "thread_name"}
    for want in ("load", "compute", "store"):
        if want not in tracks.values():
            fail(f"{path}: no '{want}' track (tracks: {sorted(tracks.values())})")
    slices = {}
    for e in events:
        if e["ph"] != "X":
            continue
        if e["tid"] not in tracks:
            fail(f"{path}: slice '{e['name']}' on unnamed track {e['tid']}")
        a = e["args"]
        if not 0 <= a["start_cycle"] <= a["end_cycle"] <= total:
            fail(f"{path}: slice '{e['name']}' [{a['start_cycle']}, "
                 f"{a['end_cycle']}) outside [0, {total}]")
        slices.setdefault(e["tid"], []).append(
            (a["start_cycle"], a["end_cycle"], e["name"]))
    count = 0
    for tid, items in slices.items():
        items.sort()
        count += len(items)
        for (s0, e0, n0), (s1, e1, n1) in zip(items, items[1:]):
            if s1 < e0:
                fail(f"{path}: on track '{tracks[tid]}' '{n0}' [{s0}, {e0}) "
                     f"overlaps '{n1}' [{s1}, {e1})")
    names = ", ".join(tracks[t] for t in sorted(tracks))
    print(f"trace: tracks {names}; {count} slices, none overlapping in a "
          f"queue")


def check_profile_json(path):
    with open(path) as f:
        p = json.load(f)
    s = sum(l["cycles"] for l in p["layers"])
    if s != p["total_cycles"] or p["total"]["cycles"] != s:
        fail(f"{path}: layer cycles sum to {s}, total_cycles "
             f"{p['total_cycles']}, total row {p['total']['cycles']}")
    for key in ("macs", "ddr_bytes"):
        if sum(l[key] for l in p["layers"]) != p["total"][key]:
            fail(f"{path}: layer {key} do not sum to the total row")
    seq = sum(l["bound_cycles"] for l in p["layers"])
    if abs(seq - p["layers_bound_cycles"]) > 1e-6 * max(seq, 1.0):
        fail(f"{path}: layers_bound_cycles {p['layers_bound_cycles']} is not "
             f"the sum of the layers' bounds {seq}")
    print(f"profile json: {len(p['layers'])} layers, cycles sum to the "
          f"total {s}")


def table_rows(path):
    """The profile table of a dlp-run output: (layer rows, total row,
    latency cycles, table text)."""
    with open(path) as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines)
                  if l.startswith("profile (cycle model")), None)
    if start is None:
        fail(f"{path}: no profile table")
    rows, total = [], None
    for line in lines[start + 2:]:
        parts = line.rsplit(None, 6)
        if len(parts) != 7:
            break
        name, macs, ddr, cycles, bound, eff, by = parts
        row = (name.strip(), int(macs), int(ddr), int(cycles))
        if row[0] == "total":
            total = row
            break
        rows.append(row)
    m = re.search(r"^latency [0-9.]+ us \((\d+) cycles at ",
                  "\n".join(lines[start:]), re.M)
    if total is None or not m:
        fail(f"{path}: no total row or latency line")
    return rows, total, int(m.group(1)), "\n".join(lines[start:])


def check_table(path):
    rows, total, latency_cycles, text = table_rows(path)
    s = sum(r[3] for r in rows)
    if s != total[3] or s != latency_cycles:
        fail(f"{path}: layer cycles sum to {s}, total row {total[3]}, "
             f"latency line {latency_cycles}")
    print(f"table {path}: {len(rows)} layers, cycles sum to the total {s}")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trace")
    ap.add_argument("--profile-json")
    ap.add_argument("--table", action="append", default=[])
    args = ap.parse_args()
    if args.trace:
        check_trace(args.trace)
    if args.profile_json:
        check_profile_json(args.profile_json)
    texts = [check_table(t) for t in args.table]
    if len(set(texts)) > 1:
        fail("the tables differ: " + ", ".join(args.table))
    if len(texts) > 1:
        print(f"tables identical: {len(texts)}")


if __name__ == "__main__":
    main()
