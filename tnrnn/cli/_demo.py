"""The demo command: the main job on a built-in default."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import CONTEXT, _console, cli
from ._bounds import _bounds_payload, _fmt_int

#: Deepest network the demo compares (above it the compiled networks and the
#: rank searches grow fast; use tnrnn rank / tnrnn table for single cases).
DEMO_MAX_DEPTH = 6


def _demo_estimate(specs, part, max_samples) -> float:
    """Worst-case seconds of the rank searches (every round of each schedule
    plus one repetition at the final size), from the rank engine's estimates."""
    from ..rank import estimate_round, plan_guarantee

    total = 0.0
    for spec in specs:
        plan = plan_guarantee(spec, part, "continuous", 2_147_483_647, max_samples,
                              given_weights=False, h0="random")
        sizes = plan["schedule"] + [plan["schedule"][-1]]
        total += sum(estimate_round(spec, part, n, n)["seconds"] for n in sizes)
    return total


def _conclusion(rows) -> str:
    """The answer line, from the numbers only: what they prove about depth."""
    depths = [r["depth"] for r in rows]
    if len(rows) == 1:
        r = rows[0]
        return (f"depth {r['depth']}: separation rank {r['claim']}. Compare depths with "
                "--max-depth 2 or more.")
    parts = []
    for a, b in zip(rows, rows[1:]):
        # A proven increase needs b's certain lower bound above a's exact value.
        if a["relation"] == "=" and b["rank"] > a["rank"]:
            at_least = ">= " if b["relation"] == ">=" else ""
            parts.append(f"depth {b['depth']} expresses more than depth {a['depth']} "
                         f"({at_least}{_fmt_int(b['rank'])} vs {_fmt_int(a['rank'])}, "
                         f"x {at_least}{b['rank'] / max(a['rank'], 1):.1f})")
        elif a["relation"] == "=" and b["relation"] == "=" and b["rank"] == a["rank"]:
            parts.append(f"depth {b['depth']} adds nothing over depth {a['depth']} here "
                         f"(both {_fmt_int(a['rank'])})")
        elif a["relation"] == ">=":
            parts.append(f"depth {a['depth']} vs {b['depth']}: not settled (depth "
                         f"{a['depth']} is only known to be >= {_fmt_int(a['rank'])})")
        else:
            parts.append(f"depth {b['depth']}: {b['claim']} vs depth {a['depth']}: "
                         f"{a['claim']}")
    kinds = {r["certainty"] for r in rows}
    proof = []
    if "upper-bound" in kinds:
        proof.append("'= r (certain)' ranks equal a proven upper bound")
    if "probabilistic" in kinds:
        proof.append("'= r (failure probability <= e)' ranks are exact unless an event of "
                     "at most that probability occurred")
    if "lower-bound" in kinds:
        proof.append("'>= r' ranks are certain lower bounds only (raise --max-samples to "
                     "look further)")
    return ("; ".join(parts) + f" (depths {depths[0]}..{depths[-1]}). "
            + "; ".join(proof) + ". Every rank re-runs with `tnrnn rank --check`.")


@cli.command("demo", context_settings=CONTEXT)
@click.option("-R", "--hidden", type=int, default=3, show_default=True, help="Hidden width R.")
@click.option("-M", "--input-dim", type=int, default=3, show_default=True,
              help="Input dimension M.")
@click.option("-T", "--length", type=int, default=8, show_default=True,
              help="Sequence length T (even).")
@click.option("--max-depth", type=int, default=3, show_default=True,
              help=f"Compare depths 1..max-depth (1..{DEMO_MAX_DEPTH}).")
@click.option("--max-samples", type=int, default=4096, show_default=True,
              help="Most sampled halves per side of each rank search.")
@click.option("--max-seconds", type=float, default=600, show_default=True,
              help="Refuse when the estimated time of the rank searches exceeds this.")
@click.option("--out", type=click.Path(file_okay=False), default="out", show_default=True,
              help="Existing folder (or one to create in an existing parent) for the "
                   "diagram and the table (CSV).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar with the time remaining on stderr.")
def demo_cmd(hidden, input_dim, length, max_depth, max_samples, max_seconds, out, progress):
    """The main job on a built-in default: does depth buy long-term memory?

    For RACs of depth 1..3 with R = M = 3 and T = 8, lists the Start-End
    bounds, certifies the separation rank by exact arithmetic mod p (each
    rank says what it proves: '= r' certain, '= r' with its failure
    probability, or '>= r'), draws the depth-2 network with its min-cut, and
    concludes only what the numbers prove.

    \b
    Examples:
      tnrnn demo
      tnrnn demo -R 2 -M 2 -T 6 --max-depth 4 --out demo-out
    """
    import csv
    import shutil

    from ..circuit import RAC
    from ..compile import estimate_size
    from ..errors import OutputPathError, SpecError, check_positive_int
    from ..partition import start_end
    from ..rank import separation_rank
    from ._app import _EtaProgress, _progress_bar

    max_depth = check_positive_int("--max-depth", max_depth)
    if max_depth > DEMO_MAX_DEPTH:
        raise SpecError(f"--max-depth must be an integer in 1..{DEMO_MAX_DEPTH}; got "
                        f"{max_depth} (for one deep network use tnrnn rank -L {max_depth})")
    max_samples = check_positive_int("--max-samples", max_samples)
    if not max_seconds > 0:
        raise SpecError(f"--max-seconds must be a positive number; got {max_seconds}")
    specs = [RAC(L, hidden, input_dim, length) for L in range(1, max_depth + 1)]
    part = start_end(length)
    # The output folder before any work: its parent must exist and be writable.
    outdir = Path(out)
    if outdir.exists() and not outdir.is_dir():
        raise OutputPathError(f"--out: {str(outdir)!r} exists and is not a folder")
    parent = outdir.parent if str(outdir.parent) else Path(".")
    if not outdir.exists() and not parent.is_dir():
        raise OutputPathError(f"--out: cannot create {str(outdir)!r}: the folder "
                              f"{str(parent)!r} does not exist")
    import os

    if not os.access(outdir if outdir.exists() else parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"--out: cannot write into {str(outdir)!r}: permission denied")
    est = _demo_estimate(specs, part, max_samples)
    if est > max_seconds:
        from ..errors import TooLargeError

        raise TooLargeError(f"the rank searches for depths 1..{max_depth} are estimated at "
                            f"up to {est:,.0f} s; the limit is --max-seconds={max_seconds:g} "
                            "(raise it, or lower --max-depth, -T, -R or --max-samples)",
                            estimate=est, limit=max_seconds)

    con = _console()
    con.print(f"[bold]tnrnn demo[/]: Start-End separation rank of RACs with R={hidden}, "
              f"M={input_dim}, T={length}, depth 1..{max_depth} (continuous inputs); "
              f"estimated at most {est:,.1f} s\n")
    for spec in specs:
        s = estimate_size(spec)
        con.print(f"  depth {spec.depth}: a tensor network of {s.tensors:,} tensors, "
                  f"{s.input_leaves:,} input leaves (x1 appears "
                  f"{_x1_copies(spec):,} "
                  f"time{'' if _x1_copies(spec) == 1 else 's'})")
    rows = []
    show = progress
    with _progress_bar(show) as bar:
        for spec in specs:
            payload = _bounds_payload(spec, "start-end", "continuous")
            cb = _EtaProgress(bar, f"depth {spec.depth}") if show else None
            res = separation_rank(spec, part, max_samples=max_samples, progress=cb)
            rows.append(_row(spec, payload, res))
    con.print()
    _print_rows(con, rows)
    outdir.mkdir(exist_ok=True)
    with open(outdir / "demo.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    con.print(f"\nwrote {outdir / 'demo.csv'}")
    if max_depth >= 2:
        from ..bounds import min_cut
        from ..compile import compile_network
        from ..render import draw

        net2 = compile_network(specs[1])
        c = min_cut(net2, part)
        fmt = "svg" if shutil.which("dot") else "dot"
        path = draw(net2, outdir / f"demo-depth2.{fmt}", partition=part,
                    highlight=tuple(ix for ix, _ in c.edges),
                    caption=f"min-cut bound {c.value:,}")
        con.print(f"wrote {path} (the depth-2 network with its min-cut highlighted)")
    con.print(f"\n[bold]answer:[/] {_conclusion(rows)}")
    if any(r["contradicted"] for r in rows):
        raise SystemExit(1)


def _x1_copies(spec) -> int:
    from ..compile import input_copies

    return input_copies(spec.length, spec.depth, 1)


def _row(spec, payload, res) -> dict:
    from ._rank import _flag_contradictions

    bounds = {b["name"]: b for b in payload["bounds"]}
    uppers = [b["value"] for b in payload["bounds"]
              if b["kind"] == "upper" and b["status"] in ("theorem", "derived")]
    return {
        "depth": spec.depth, "hidden": spec.hidden, "input_dim": spec.input_dim,
        "length": spec.length, "rank": res.rank, "relation": res.relation,
        "claim": res.claim(thousands=True), "certainty": res.certainty,
        "failure_probability": res.failure_probability,
        "best_upper": min(uppers) if uppers else None,
        "u_sym": bounds.get("u-sym", {}).get("value"),
        "samples": res.samples[0], "seconds": round(res.timings["total"], 3),
        "contradicted": ";".join(_flag_contradictions(res.rank, payload["bounds"],
                                                      res.relation == "=")),
    }


def _print_rows(con, rows) -> None:
    from rich.table import Table

    tab = Table(header_style="bold")
    for col in ("depth", "certified rank (what it proves)", "best proven upper bound",
                "seconds"):
        tab.add_column(col, justify="left" if col.startswith("certified") else "right")
    for r in rows:
        flag = " [bold red]CONTRADICTS " + r["contradicted"] + "[/]" if r["contradicted"] else ""
        tab.add_row(str(r["depth"]), r["claim"] + flag,
                    "-" if r["best_upper"] is None else _fmt_int(r["best_upper"]),
                    f"{r['seconds']:.2f}")
    con.print(tab)
