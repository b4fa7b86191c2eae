#!/usr/bin/python3
"""Roofline plot (PNG) of a dlp-run profile (docs/cycle-model.md section 4).

  dlp-run m.dlpb --timing-only --profile-json p.json
  scripts/roofline.py p.json -o roofline.png [--label 5]

x: operational intensity, MAC slots per DDR byte; y: MAC slots per cycle.
The roof is min(L*Q*pixels, intensity * DDR bytes per cycle); each layer with MACs
and DDR traffic is a dot sized by its cycles (the --label largest named),
the whole model a star. A layer on the roof ran at its roofline bound
(efficiency 1); the distance below it is bound / cycles. Layers without
MACs (pool, element-wise, host) have no point on a MAC roofline and are
counted in the title.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profile", help="dlp-run --profile-json output")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--label", type=int, default=5,
                    help="name the N layers with the most cycles")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    try:
        with open(args.profile) as f:
            prof = json.load(f)
        peak = prof["L"] * prof["Q"] * prof.get("pixels", 1)
        bpc = prof["ddr_bytes_per_cycle"]
        layers, total = prof["layers"], prof["total"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"roofline.py: {args.profile}: not a dlp-run profile: {e}")

    pts = [l for l in layers if l["macs"] > 0 and l["ddr_bytes"] > 0
           and l["cycles"] > 0]
    skipped = len(layers) - len(pts)
    xs = [l["macs"] / l["ddr_bytes"] for l in pts]
    ys = [l["macs"] / l["cycles"] for l in pts]
    tot_x = total["macs"] / max(total["ddr_bytes"], 1)
    tot_y = total["macs"] / max(total["cycles"], 1)

    lo = min(xs + [tot_x, peak / bpc]) / 4
    hi = max(xs + [tot_x, peak / bpc]) * 4
    ridge = peak / bpc
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.plot([lo, ridge, hi], [lo * bpc, peak, peak], color="black", lw=2,
            label=f"roof: {peak} MAC/cycle, {bpc:g} DDR B/cycle")
    sizes = [20 + 300 * l["cycles"] / max(total["cycles"], 1) for l in pts]
    colors = ["tab:blue" if l["bound_by"] == "compute" else "tab:orange"
              for l in pts]
    ax.scatter(xs, ys, s=sizes, c=colors, alpha=0.7, edgecolors="none")
    ax.scatter([], [], c="tab:blue", label="layer, compute-bound")
    ax.scatter([], [], c="tab:orange", label="layer, memory-bound")
    ax.scatter([tot_x], [tot_y], marker="*", s=250, c="tab:red",
               label=f"model: {100 * total['efficiency']:.1f} % of bound")
    for l, x, y in sorted(zip(pts, xs, ys), key=lambda t: -t[0]["cycles"])[
            :args.label]:
        ax.annotate(l["name"], (x, y), fontsize=6, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(ys + [tot_y, lo * bpc]) / 2, peak * 2)
    ax.set_xlabel("operational intensity (MAC slots / DDR byte)")
    ax.set_ylabel("MAC slots / cycle")
    title = args.title or (
        f"{prof['target']}: {prof['latency_us']:.1f} us at "
        f"{prof['clock_mhz']:g} MHz")
    if skipped:
        title += f" ({skipped} layers without MACs or DDR traffic not shown)"
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    try:
        fig.savefig(args.output, dpi=120)
    except OSError as e:
        sys.exit(f"roofline.py: cannot write '{args.output}': {e}")
    print(f"wrote {args.output}: {len(pts)} layers")


if __name__ == "__main__":
    main()
