"""The training-report figure (``tnrnn train report``): accuracy against
sequence length, one line per depth, from the summary rows of
:func:`tnrnn.train.summarize`.

matplotlib is imported only when the figure is drawn.
"""

from __future__ import annotations

from ._pyplot import pyplot

__all__ = ["draw_report"]


def draw_report(rows: list, path) -> None:
    """Accuracy against sequence length, one colour per depth, one panel per
    (task, cell): the mean ± sd over seeds (line with error bars) and the
    seed with the best validation loss (the paper's best-of-k, open
    squares); chance as a dotted line. Runs whose best validation step is
    their last (still improving when they stopped) are ringed in red.

    Parameters
    ----------
    rows : list of dict
        Summary rows of :func:`tnrnn.train.summarize`: ``task``, ``cell``,
        ``depth``, ``length``, ``mean``, ``sd``, ``params``, ``chance``,
        ``metric`` and optionally ``best_of_k`` and ``still_improving``.
    path : str or os.PathLike
        The image file (format from its suffix).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rows = [{"task": "copy", "cell": "rac", "depth": d, "length": T, "mean": m, "sd": 0.05,
    ...          "params": [100 * d], "chance": 0.25, "metric": "accuracy", "best_of_k": m + 0.02}
    ...         for d, T, m in [(1, 10, 0.9), (1, 20, 0.6), (2, 10, 0.95), (2, 20, 0.8)]]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "report.png"
    ...     draw_report(rows, path)
    ...     path.read_bytes()[1:4] == b"PNG"
    True
    """
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
            line = ax.errorbar(xs, ms, yerr=sds, marker="o", capsize=3,
                               label=f"depth {depth} (~{ps[0]:,} params)")
            best = sorted((r["length"], r["best_of_k"]) for r in sub
                          if r["depth"] == depth and r.get("best_of_k") is not None)
            if best:
                bx, by = zip(*best)
                ax.plot(bx, by, ls="none", marker="s", mfc="none", ms=8,
                        color=line[0].get_color())
            open_runs = [(r["length"], r["mean"]) for r in sub
                         if r["depth"] == depth and r.get("still_improving")]
            if open_runs:
                ox, oy = zip(*open_runs)
                ax.plot(ox, oy, ls="none", marker="o", mfc="none", ms=12, color="red")
        ax.plot([], [], ls="none", marker="s", mfc="none", color="k", label="best of k (val)")
        if any(r.get("still_improving") for r in sub):
            ax.plot([], [], ls="none", marker="o", mfc="none", ms=10, color="red",
                    label="a seed still improving")
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
