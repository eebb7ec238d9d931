"""The data of the paper figures (:mod:`tnrnn.render.figures`): what each
figure computes, its CSV columns, and the certified rank rows checked against
every bound.

Nothing here imports matplotlib; :mod:`tnrnn.render.figures` draws.

Examples
--------
>>> FIGURES
('rank_vs_length', 'networks', 'continuous_vs_onehot', 'mincut_gap')
>>> row = rank_row(2, 3, 3, 8)
>>> row["rank"], row["depth2_lower"], row["u_sym"], row["consistent"]
(45, 15, 45, True)
"""

from __future__ import annotations

import csv
import math
import pathlib
import warnings
from typing import Callable

from ..bounds import SCOPES, all_bounds, explicit_tree_cut, tree_min_cut, u_sym
from ..circuit import RAC
from ..compile import compile_network, estimate_size
from ..errors import SpecError
from ..partition import start_end
from ..rank import separation_rank

__all__ = ["rank_row", "pixel_size", "FIGURES", "FIGURE_DPI", "FIGURE_SIZES", "RANK_COLUMNS",
           "BOUND_COLUMNS", "NETWORK_COLUMNS", "GAP_COLUMNS", "Progress"]

#: Figure names, in the order :func:`make_figures` makes them; the files are
#: ``fig<i>_<name>.{png,svg,csv}``.
FIGURES = ("rank_vs_length", "networks", "continuous_vs_onehot", "mincut_gap")

#: Resolution of the PNGs (dots per inch).
FIGURE_DPI = 200

#: Figure sizes in inches (width, height): a full text width of a paper.
FIGURE_SIZES = {
    "rank_vs_length": (6.5, 4.8),
    "networks": (6.5, 7.6),
    "continuous_vs_onehot": (6.5, 4.4),
    "mincut_gap": (6.5, 4.4),
}

#: One CSV column per bound name of :func:`tnrnn.bounds.all_bounds`
#: (``-`` written ``_``); empty where the bound does not apply.
BOUND_COLUMNS = tuple(name.replace("-", "_") for name in SCOPES)

#: Columns of the rank CSVs (figures 1 and 3), one row per certified rank.
RANK_COLUMNS = (("depth", "R", "M", "T", "inputs", "rank", "complete", "samples_A",
                 "samples_B", "prime", "seed") + BOUND_COLUMNS
                + ("tightest_upper", "tightest_lower", "conjecture_holds",
                   "consistent", "violations"))

#: Columns of the network CSV (figure 2), one row per panel.
NETWORK_COLUMNS = ("panel", "depth", "R", "M", "T", "form", "tensors", "unit_copies",
                   "input_leaves", "min_cut", "cut_edges", "u_sym", "rank", "complete",
                   "consistent")

#: Columns of the min-cut gap CSV (figure 4); ``rank`` is empty where no
#: certified rank was computed.
GAP_COLUMNS = ("depth", "R", "M", "T", "min_cut", "u_sym", "log2_min_cut", "log2_u_sym",
               "gap_log2", "cut_bonds", "cut_legs", "rank", "complete", "consistent")

Progress = Callable[[int, int, str], None]


# ------------------------------------------------------------------ the plan
def _lengths(stop: int, start: int = 2) -> tuple:
    return tuple(range(start, stop + 1, 2))


def _plan(name: str, quick: bool) -> dict:
    """What a figure computes: sizes and lengths (small when ``quick``)."""
    if name == "rank_vs_length":
        return {"R": 2, "M": 2, "depths": (1, 2, 3),
                "lengths": _lengths(8 if quick else 20)}
    if name == "networks":
        return {"R": 2, "M": 3, "T": 4, "form": "core"}
    if name == "continuous_vs_onehot":
        return {"panels": ((2, 4, 4, _lengths(8 if quick else 10)),
                           (3, 2, 2, _lengths(12 if quick else 22)))}
    if name == "mincut_gap":
        return {"depths": (2, 3), "widths": (2, 3, 4),
                "lengths": _lengths(20 if quick else 60),
                "rank_limit": 120 if quick else 700}
    raise SpecError(f"figure must be one of {FIGURES}; got {name!r}")


def _steps(name: str, quick: bool) -> int:
    """Progress steps of a figure: one per computed point, one for drawing."""
    p = _plan(name, quick)
    if name == "rank_vs_length":
        return len(p["depths"]) * len(p["lengths"]) + 1
    if name == "networks":
        return 3
    if name == "continuous_vs_onehot":
        return sum(2 * len(ts) for *_, ts in p["panels"]) + 1
    return len(p["depths"]) * len(p["widths"]) + 1


class _Ticker:
    """Counts steps and forwards them to ``progress(done, total, label)``."""

    def __init__(self, progress: Progress | None, total: int, done: int = 0):
        self.progress, self.total, self.done = progress, total, done

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, label)


# ------------------------------------------------------------------ the data
def _violations(bounds: list, rank: int) -> list:
    """Why ``rank`` contradicts a proved bound (empty when it does not)."""
    out = []
    for b in bounds:
        if b.kind == "upper" and b.status in ("theorem", "derived") and rank > b.value:
            out.append(f"rank {rank} > {b.status} upper bound {b.name} = {b.value}")
        if b.kind == "lower" and b.status == "theorem" and rank < b.value:
            out.append(f"rank {rank} < theorem lower bound {b.name} = {b.value}")
    return out


def _check(label: str, bounds: list, rank: int) -> list:
    bad = _violations(bounds, rank)
    if bad:
        warnings.warn(f"{label}: certified rank contradicts a bound: " + "; ".join(bad),
                      RuntimeWarning, stacklevel=3)
    return bad


def rank_row(L: int, R: int, M: int, T: int, inputs: str = "continuous", *,
             seed: int = 0, cache: dict | None = None) -> dict:
    """Certified Start-End rank of ``RAC(L, R, M, T)`` with every bound that
    applies, as one row of :data:`RANK_COLUMNS`.

    Parameters
    ----------
    L, R, M, T : int
        Depth, hidden width, input dimension, even length.
    inputs : {"continuous", "one-hot"}
    seed : int
        Seed of :func:`tnrnn.rank.separation_rank`.
    cache : dict, optional
        Rows already computed, keyed by ``(L, R, M, T, inputs, seed)``;
        filled in.

    Returns
    -------
    dict
        Keys :data:`RANK_COLUMNS`; bounds that do not apply are ``""``.
        ``consistent`` is ``False`` when the rank contradicts a proved bound
        (also warned as a :class:`RuntimeWarning`), ``violations`` says how.

    Examples
    --------
    docs/theory.md section 5: depth 2, ``M = R = 4``, ``T = 4``.

    >>> rank_row(2, 4, 4, 4)["rank"], rank_row(2, 4, 4, 4, "one-hot")["rank"]
    (40, 16)
    """
    key = (L, R, M, T, inputs, seed)
    if cache is not None and key in cache:
        return cache[key]
    spec = RAC(L, R, M, T)
    res = separation_rank(spec, inputs=inputs, seed=seed)
    bounds = all_bounds(spec, inputs=inputs)
    row = {"depth": L, "R": R, "M": M, "T": T, "inputs": inputs, "rank": res.rank,
           "complete": res.complete, "samples_A": res.samples[0],
           "samples_B": res.samples[1], "prime": res.prime, "seed": seed}
    row.update(dict.fromkeys(BOUND_COLUMNS, ""))
    for b in bounds:
        row[b.name.replace("-", "_")] = b.value
    proved = [b for b in bounds if b.status in ("theorem", "derived")]
    row["tightest_upper"] = min(b.value for b in proved if b.kind == "upper")
    lowers = [b.value for b in proved if b.kind == "lower"]
    row["tightest_lower"] = max(lowers) if lowers else ""
    conj = row["depthL_conjecture"]
    row["conjecture_holds"] = "" if conj == "" else res.rank >= conj
    bad = _check(f"RAC(depth={L}, R={R}, M={M}, T={T}), {inputs} inputs", bounds,
                 res.rank)
    row["consistent"] = not bad
    row["violations"] = "; ".join(bad)
    if cache is not None:
        cache[key] = row
    return row


def _write_csv(path: pathlib.Path, columns: tuple, rows: list) -> pathlib.Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def pixel_size(name: str) -> tuple:
    """``(width, height)`` in pixels of figure ``name``'s PNG.

    Parameters
    ----------
    name : str
        One of :data:`FIGURES`.

    Returns
    -------
    tuple of int
        ``(width, height)``.

    Examples
    --------
    >>> pixel_size("networks")
    (1300, 1520)
    """
    if name not in FIGURE_SIZES:
        raise SpecError(f"figure must be one of {FIGURES}; got {name!r}")
    w, h = FIGURE_SIZES[name]
    return round(w * FIGURE_DPI), round(h * FIGURE_DPI)


# ------------------------------------------------------- what each figure shows
def rank_vs_length_rows(plan: dict, *, seed: int = 0, tick=None, cache=None) -> list:
    """Figure 1's rows: :func:`rank_row` for every depth and length of the plan."""
    tick = tick or (lambda label: None)
    rows = []
    for L in plan["depths"]:
        for T in plan["lengths"]:
            rows.append(rank_row(L, plan["R"], plan["M"], T, seed=seed, cache=cache))
            tick(f"depth {L}, T={T}")
    return rows


def rank_vs_length_summary(rows: list, plan: dict) -> str:
    """One sentence on figure 1 for the figures' README."""
    R, last = plan["R"], plan["lengths"][-1]
    by = {(r["depth"], r["T"]): r for r in rows}
    r2, r3 = by[(2, last)], by[(3, last)]
    return (f"certified Start-End ranks for R = M = {R}, T = 2..{last}: depth 1 stays "
            f"at {by[(1, last)]['rank']}, depth 2 reaches {r2['rank']} "
            f"(U_sym {r2['u_sym']}, theorem lower bound {r2['depth2_lower']}), "
            f"depth 3 reaches {r3['rank']} (U_sym {r3['u_sym']}, conjecture "
            f"{r3['depthL_conjecture']}, min-cut 2^{math.log2(r3['min_cut']):.0f})")


def network_rows(plan: dict, *, seed: int = 0, tick=None, cache=None) -> tuple:
    """Figure 2's rows (one per panel: depth 1 and 2) and, per panel, the
    network, the partition and the edges of a minimum cut, to be drawn."""
    tick = tick or (lambda label: None)
    R, M, T, form = plan["R"], plan["M"], plan["T"], plan["form"]
    part = start_end(T)
    rows, nets = [], []
    for panel, L in (("a", 1), ("b", 2)):
        spec = RAC(L, R, M, T)
        net = compile_network(spec, form=form)
        cut = explicit_tree_cut(net, part)
        est = estimate_size(spec, form)
        rr = rank_row(L, R, M, T, seed=seed, cache=cache)
        nets.append((net, part, cut.edges))
        rows.append({"panel": panel, "depth": L, "R": R, "M": M, "T": T, "form": form,
                     "tensors": est.tensors, "unit_copies": est.units,
                     "input_leaves": est.input_leaves, "min_cut": cut.value,
                     "cut_edges": " ".join(e for e, _ in cut.edges),
                     "u_sym": u_sym(L, R, T), "rank": rr["rank"],
                     "complete": rr["complete"], "consistent": rr["consistent"]})
        tick(f"network depth {L}")
    return rows, nets


def network_summary(rows: list, plan: dict) -> str:
    """One sentence on figure 2 for the figures' README."""
    R, M, T = plan["R"], plan["M"], plan["T"]
    a, b = rows
    return (f"the depth-1 RAC (R = {R}, M = {M}, T = {T}) as an MPS whose Start-End "
            f"min-cut is one bond ({a['min_cut']}), above the depth-2 RAC as its "
            f"duplicated network ({b['tensors']} tensors) whose min-cut crosses "
            f"{len(b['cut_edges'].split())} bonds ({b['min_cut']}) while the "
            f"certified rank is U_sym = {b['rank']}")


def continuous_vs_onehot_rows(plan: dict, *, seed: int = 0, tick=None, cache=None) -> list:
    """Figure 3's rows: :func:`rank_row` with continuous and one-hot inputs
    for every panel and length of the plan."""
    tick = tick or (lambda label: None)
    rows = []
    for L, R, M, lengths in plan["panels"]:
        for T in lengths:
            for inputs in ("continuous", "one-hot"):
                rows.append(rank_row(L, R, M, T, inputs, seed=seed, cache=cache))
                tick(f"depth {L}, T={T}, {inputs}")
    return rows


def continuous_vs_onehot_panels(rows: list, plan: dict) -> list:
    """Figure 3's panels: per panel the lengths, the continuous and one-hot
    ranks, ``U_sym`` and the grid cap, the lengths where the two ranks are
    apart (``parted``), those after which they are equal again (``meet``),
    and one sentence (``text``) for the README."""
    panels = []
    for L, R, M, lengths in plan["panels"]:
        get = {(r["T"], r["inputs"]): r for r in rows
               if (r["depth"], r["R"], r["M"]) == (L, R, M)}
        cont = [get[T, "continuous"]["rank"] for T in lengths]
        grid = [get[T, "one-hot"]["rank"] for T in lengths]
        parted = [T for T, c, g in zip(lengths, cont, grid) if g < c]
        meet = [T for T in lengths if T > max(parted, default=2)
                and get[T, "one-hot"]["rank"] == get[T, "continuous"]["rank"]]
        text = f"depth {L}, R = M = {R}: "
        if parted:
            c0, g0 = cont[lengths.index(parted[0])], grid[lengths.index(parted[0])]
            text += (f"grid rank {g0} < continuous {c0} at T = {parted[0]}, apart for "
                     f"T = {', '.join(map(str, parted))}")
        else:
            text += "the two ranks agree at every T shown"
        meet_rank = get[meet[0], "continuous"]["rank"] if meet else None
        if meet:
            text += f", equal from T = {meet[0]} ({meet_rank})"
        panels.append({"depth": L, "R": R, "M": M, "lengths": list(lengths),
                       "continuous": cont, "one-hot": grid,
                       "u_sym": [get[T, "continuous"]["u_sym"] for T in lengths],
                       "grid_cap": [get[T, "one-hot"]["grid_cap"] for T in lengths],
                       "parted": parted, "meet": meet, "meet_rank": meet_rank,
                       "text": text})
    return panels


def mincut_gap_rows(plan: dict, *, seed: int = 0, tick=None, cache=None) -> list:
    """Figure 4's rows: the min-cut bound and ``U_sym`` (and their ``log2``
    gap) for every depth, width and length of the plan, with the certified
    rank where ``U_sym`` is at most ``plan["rank_limit"]``."""
    tick = tick or (lambda label: None)
    rows = []
    for L in plan["depths"]:
        for R in plan["widths"]:
            for T in plan["lengths"]:
                cut = tree_min_cut(L, R, R, T)
                us = u_sym(L, R, T)
                row = {"depth": L, "R": R, "M": R, "T": T, "min_cut": cut.value,
                       "u_sym": us, "log2_min_cut": round(cut.log2, 6),
                       "log2_u_sym": round(math.log2(us), 6),
                       "gap_log2": round(cut.log2 - math.log2(us), 6),
                       "cut_bonds": cut.cut_bonds, "cut_legs": cut.cut_legs,
                       "rank": "", "complete": "", "consistent": ""}
                if us <= plan["rank_limit"]:
                    rr = rank_row(L, R, R, T, seed=seed, cache=cache)
                    row.update(rank=rr["rank"], complete=rr["complete"],
                               consistent=rr["consistent"])
                rows.append(row)
            tick(f"depth {L}, R={R}")
    return rows


def mincut_gap_summary(rows: list, plan: dict) -> str:
    """One sentence on figure 4 for the figures' README."""
    last = plan["lengths"][-1]
    bits = {(r["depth"], r["R"]): r for r in rows if r["T"] == last}
    return "; ".join(
        f"depth {L}, R = M = {R}, T = {last}: min-cut "
        f"2^{bits[L, R]['log2_min_cut']:.0f} vs U_sym 2^{bits[L, R]['log2_u_sym']:.1f} "
        f"(gap {bits[L, R]['gap_log2']:.0f} bits)"
        for L in plan["depths"] for R in (plan["widths"][0], plan["widths"][-1]))
