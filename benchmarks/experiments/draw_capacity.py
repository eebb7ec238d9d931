"""Figure of experiment 2 (capacity against use) from capacity_use.json.

Usage: python draw_capacity.py capacity_use.json figures/depth_capacity.png

Per T (panels) and depth (x; a depth trained at two learning rates gets two positions): the certified Start-End one-hot rank of the
trained RACs (equal to the generic rank in every run), the grid cap, the
exact rank of the task's label function, and the approximate (float SVD)
effective ranks of the trained networks (singular values above 1e-2 of the
largest; fewest holding 99 % of the energy), mean over seeds and outputs;
test accuracy on a second axis.
"""

import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(src, dst):
    d = json.load(open(src))
    by_T = defaultdict(list)
    for r in d["runs"]:
        by_T[r["T"]].append(r)
    fig, axes = plt.subplots(1, len(by_T), figsize=(5.2 * len(by_T), 3.8), squeeze=False)
    for ax, T in zip(axes[0], sorted(by_T)):
        rows = by_T[T]
        # one position per (depth, learning rate): depth 3 was trained at two rates
        groups = sorted({(r["depth"], -r.get("lr", 0.0)) for r in rows})
        depths = list(range(len(groups)))
        names = [f"{L}" if sum(g[0] == L for g in groups) == 1 else f"{L}\nlr {-lr:g}"
                 for L, lr in groups]

        def mean(f, i):
            L, lr = groups[i]
            return float(np.mean([f(r) for r in rows
                                  if r["depth"] == L and -r.get("lr", 0.0) == lr]))

        cert = [mean(lambda r: np.mean(r["trained_ranks"]), L) for L in depths]
        gen = [mean(lambda r: r["generic_rank"], L) for L in depths]
        eff2 = [mean(lambda r: np.mean([e["above_1e-02"] for e in r["effective"]]), L)
                for L in depths]
        eng = [mean(lambda r: np.mean([e["energy_0.99"] for e in r["effective"]]), L)
               for L in depths]
        acc = [mean(lambda r: r["test_accuracy"], L) for L in depths]
        cap = rows[0]["bounds"]["grid-cap"]
        demand = rows[0]["demand_label_rank"]
        ax.plot(depths, cert, "o-", label="certified rank, trained (= generic)")
        ax.plot(depths, gen, "x", color="k", ms=9, label="generic rank")
        ax.plot(depths, eff2, "s--", label="trained: singular values > 1e-2 max (float)")
        ax.plot(depths, eng, "^--", label="trained: 99% energy (float)")
        ax.axhline(cap, color="grey", ls=":", label=f"grid cap {cap}")
        ax.axhline(demand, color="tab:red", ls="-.", label=f"task label rank {demand}")
        ax.set_yscale("log")
        ax.set_xticks(depths, names)
        ax.set_xlabel("depth (width 8)")
        ax.set_ylabel("Start-End rank, one-hot grid")
        ax.set_title(f"SES, T = {T}, alphabet 3, m = T/2")
        ax2 = ax.twinx()
        ax2.plot(depths, acc, "D:", color="tab:purple", label="test accuracy")
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("test accuracy (chance 1/3)")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=6, loc="center right")
    fig.tight_layout()
    fig.savefig(dst, dpi=130)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
