"""The training-report figure (``tnrnn train report``): accuracy against
sequence length, one line per depth, from the summary rows of
:func:`tnrnn.train.summarize`.

matplotlib is imported only when the figure is drawn.
"""

from __future__ import annotations

from ._pyplot import pyplot

__all__ = ["draw_report"]


def draw_report(rows: list, path) -> None:
    """Accuracy (mean ± sd over seeds) against sequence length, one line per
    depth, one panel per (task, cell); chance as a dotted line."""
    plt = pyplot()
    panels = sorted({(r["task"], r["cell"]) for r in rows})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    for ax, (task, cell) in zip(axes[0], panels):
        sub = [r for r in rows if r["task"] == task and r["cell"] == cell]
        for depth in sorted({r["depth"] for r in sub}):
            pts = sorted((r["length"], r["mean"], r["sd"], r["params"][0]) for r in sub
                         if r["depth"] == depth and r["mean"] is not None)
            if not pts:
                continue
            xs, ms, sds, ps = zip(*pts)
            ax.errorbar(xs, ms, yerr=sds, marker="o", capsize=3,
                        label=f"depth {depth} (~{ps[0]:,} params)")
        ax.axhline(sub[0]["chance"], color="grey", ls=":", label="chance")
        ax.axhline(0.9, color="grey", ls="--", lw=0.8, label="solved (0.9)")
        ax.set_xlabel("sequence length T")
        ax.set_ylabel("test " + sub[0]["metric"].replace("_", " "))
        ax.set_title(f"{task}, {cell}")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
