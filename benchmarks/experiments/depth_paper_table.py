"""Markdown table of a `tnrnn train report --json` summary (the depth experiments).

Usage: python depth_paper_table.py SUMMARY.json > SUMMARY.md

One row per (T or B, depth): test accuracy mean ± sd over seeds, the best of k
(the seed with the best validation loss, the paper's aggregation), how the runs
stopped, and depth minus depth 1 with its bootstrap interval over seeds.
"""

import json
import sys


def main(path):
    d = json.load(open(path))
    diffs = {(x["size"], x["depth"]): x for x in d["depth_differences"]}
    rows = sorted(d["summary"], key=lambda r: (r["size"] or 0, r["depth"]))
    if not rows:
        return ""
    copying = rows[0]["task"] == "copying"
    size = "B (T)" if copying else "T"
    out = [f"| {size} | depth | width | params (free) | test {rows[0]['metric'].replace('_', ' ')}"
           " mean ± sd [min, max] | best of k | seeds stopped by | depth - depth 1 [95% bootstrap] |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        diff = diffs.get((r["size"], r["depth"]))
        if diff is None:
            d1 = ""
        elif diff["low"] is None:
            d1 = f"{diff['difference']:+.3f} (no interval: fewer than 2 seeds)"
        else:
            d1 = f"{diff['difference']:+.3f} [{diff['low']:+.3f}, {diff['high']:+.3f}]"
        stops = ", ".join(f"{k} {v}" for k, v in r["stopped"].items())
        if r["still_improving"]:
            stops += f" ({r['still_improving']} still improving)"
        sz = f"{r['size']} ({r['length']})" if copying else f"{r['size']}"
        out.append(f"| {sz} | {r['depth']} | {','.join(map(str, r['hidden']))} | "
                   f"{','.join(map(str, r['params']))} ({','.join(map(str, r['free_params']))}) | "
                   f"{r['mean']:.3f} ± {r['sd']:.3f} [{r['min']:.3f}, {r['max']:.3f}] | "
                   f"{r['best_of_k']:.3f} | {stops} ({r['seeds']} seed{'s' if r['seeds'] > 1 else ''}) "
                   f"| {d1} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(sys.argv[1]))
