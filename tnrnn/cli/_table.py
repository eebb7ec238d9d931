"""The table command: a sweep of certified ranks beside their bounds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._app import CONTEXT, _console, _emit_json, _json_default, _progress_bar, cli
from ._bounds import _bounds_payload, _fmt_int, _inputs_option, _partition_option
from ._rank import _flag_contradictions

# ----------------------------------------------------------------------- table
def _int_list(name):
    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            items = [int(v) for v in str(value).split(",") if v.strip()]
        except ValueError:
            raise click.BadParameter(
                f"expected comma-separated integers such as 1,2,3; got {value!r}") from None
        if not items:
            raise click.BadParameter(f"give at least one value; got {value!r}")
        return items
    return parse


@cli.command("table", context_settings=CONTEXT)
@click.option("--depth", default="1,2,3", show_default=True, callback=_int_list("depth"),
              help="Depths L, comma-separated.")
@click.option("--hidden", default="2,3", show_default=True, callback=_int_list("hidden"),
              help="Hidden widths R, comma-separated.")
@click.option("--input-dim", default="2,3", show_default=True,
              callback=_int_list("input-dim"), help="Input dimensions M, comma-separated.")
@click.option("--length", default="2,4,6,8", show_default=True,
              callback=_int_list("length"), help="Sequence lengths T, comma-separated.")
@_partition_option
@_inputs_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every rank.")
@click.option("--max-samples", type=int, default=None,
              help="Most sampled halves per side for each rank  [default: 4096].")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the table as CSV.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the table as JSON ('-' for stdout, no table then).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
def table_cmd(depth, hidden, input_dim, length, partition, inputs, seed, max_samples,
              csv_path, json_path, progress):
    """Sweep architectures: bounds and certified ranks side by side.

    One row per (L, R, M, T): the theorem lower bound, the tightest
    theorem/derived upper bound, U_sym, the min-cut bound and the certified
    rank, with the rank checked against every bound.

    \b
    Example:
      tnrnn table --depth 1,2,3 --hidden 2,3 --input-dim 2,3 --length 2,4,6,8
      tnrnn table --depth 2 --hidden 4 --input-dim 4 --length 4,8 --csv out.csv
    """
    import itertools

    from ..circuit import RAC

    combos = list(itertools.product(depth, hidden, input_dim, length))
    # Validate every combination before any rank is computed.
    specs = [RAC(L, R, M, T) for L, R, M, T in combos]
    payloads = [_bounds_payload(s, partition, inputs) for s in specs]
    rows = _sweep(specs, payloads, partition, inputs, seed, max_samples,
                  progress and json_path != "-")
    data = {"partition": partition, "inputs": inputs, "seed": seed, "rows": rows}
    if csv_path:
        _write_csv(csv_path, rows)
    if json_path == "-":
        _emit_json(data)
        return
    if json_path:
        Path(json_path).write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    _print_table(rows, partition, inputs)
    bad = [r for r in rows if r["contradicted"]]
    con = _console()
    if bad:
        con.print(f"[bold red]{len(bad)} row(s) contradict a theorem/derived bound[/]")
    else:
        con.print(f"every certified rank lies within every theorem/derived bound "
                  f"({len(rows)} rows)")
    for path in (csv_path, json_path):
        if path:
            con.print(f"wrote {path}")


def _sweep(specs, payloads, partition, inputs, seed, max_samples, show) -> list:
    """Certified rank of every spec, with a progress bar; one table row each."""
    from ..rank import separation_rank

    rows = []
    with _progress_bar(show) as bar:
        task = bar.add_task("sweep", total=len(specs))
        for spec, payload in zip(specs, payloads):
            bar.update(task, description=f"L={spec.depth} R={spec.hidden} "
                                         f"M={spec.input_dim} T={spec.length}")
            kwargs = {"seed": seed}
            if max_samples is not None:
                kwargs["max_samples"] = max_samples
            res = separation_rank(spec, partition, inputs=inputs, **kwargs)
            rows.append(_table_row(spec, payload, res))
            bar.advance(task)
    return rows


def _value(payload, name):
    for b in payload["bounds"]:
        if b["name"] == name:
            return b["value"]
    return None


def _table_row(spec, payload, res) -> dict:
    bounds = payload["bounds"]
    proved = [b for b in bounds if b["status"] in ("theorem", "derived")]
    uppers = [b["value"] for b in proved if b["kind"] == "upper"]
    lowers = [b["value"] for b in proved if b["kind"] == "lower"]
    contradicted = _flag_contradictions(res.rank, bounds, res.complete)
    return {
        "depth": spec.depth, "hidden": spec.hidden, "input_dim": spec.input_dim,
        "length": spec.length,
        "lower_theorem": max(lowers) if lowers else None,
        "conjecture": _value(payload, "depthL-conjecture"),
        "rank": res.rank, "complete": res.complete,
        "upper_best": min(uppers) if uppers else None,
        "u_sym": _value(payload, "u-sym"),
        "min_cut": _value(payload, "min-cut"),
        "poly_cap": _value(payload, "poly-cap"),
        "grid_cap": _value(payload, "grid-cap"),
        "contradicted": ",".join(contradicted),
        "seconds": round(res.timings.get("total", 0.0), 3),
    }


def _write_csv(path, rows) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _print_table(rows, partition, inputs) -> None:
    from rich.table import Table

    tab = Table(title=f"separation rank, {partition}, {inputs} inputs", header_style="bold")
    cols = [("L", "depth"), ("R", "hidden"), ("M", "input_dim"), ("T", "length"),
            ("lower (thm)", "lower_theorem"), ("conj.", "conjecture"),
            ("certified rank", "rank"), ("best upper", "upper_best"), ("U_sym", "u_sym"),
            ("min-cut", "min_cut"), ("s", "seconds")]
    for title, _ in cols:
        tab.add_column(title, justify="right")
    for r in rows:
        cells = []
        for _, key in cols:
            v = r[key]
            if key == "rank":
                v = f"{v:,}" + ("" if r["complete"] else "+")
                if r["contradicted"]:
                    v = f"[bold red]{v}![/]"
                else:
                    v = f"[bold]{v}[/]"
            elif isinstance(v, int):
                v = _fmt_int(v)
            elif v is None:
                v = "-"
            cells.append(str(v))
        tab.add_row(*cells)
    con = _console()
    con.print(tab)
    con.print("'+' = sample cap reached, rank is a lower bound only; '!' = contradicts a "
              "theorem/derived bound; 'conj.' = conjectured lower bound (never asserted)")
