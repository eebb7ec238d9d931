"""The table command: a sweep of certified ranks beside their bounds.

The ranks run through :mod:`tnrnn.parallel`: serially here, on local worker
processes (``--workers``) or on a Dask cluster (``--scheduler``,
``--scheduler-file``), most expensive first, with a results log that
``--resume`` continues. The task each worker runs is
:func:`tnrnn.rank.executor_tasks.rank_row`; whatever ran it, the rows are the same.
"""

from __future__ import annotations

import math

import click

from ._app import CONTEXT, _console, cli, comma_list
from ._bounds import (_big_int_option, _bounds_payload, _fmt_int, _inputs_option,
                      _partition_option, check_output_file, emit_json, json_text, write_output)
from ._executors import (check_executor_options, executor_options, open_executor,
                         retries_option, run_executor_tasks)
from ._rank import _flag_contradictions, _limits


# ----------------------------------------------------------------------- table
def _int_list(name):
    """A click callback: ``--name``'s comma-separated integers
    (:func:`._app.comma_list`)."""
    def parse(ctx, param, value):
        return None if value is None else comma_list(value, f"--{name}", kind=int)
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
@_big_int_option
@executor_options("rows")
@click.option("--log", "log_path", type=click.Path(dir_okay=False), default=None,
              help="Write each row to this JSON-lines log as it finishes. A log that "
                   "already holds rows is not replaced (continue it with --resume), nor is "
                   "a file that is not a tnrnn log.")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False), default=None,
              help="Continue the log FILE of an interrupted run of the same sweep: its "
                   "finished rows are checked and kept, the others computed and appended. "
                   "The log is locked while a run writes it.")
@click.option("--max-memory", type=float, default=None,
              help="Memory limit of each rank in GiB  [default: 8]; a row whose estimate "
                   "exceeds it is refused before the sweep starts.")
@click.option("--max-seconds", type=float, default=None,
              help="Time limit (estimated seconds) of each rank  [default: 1800]; checked "
                   "before the sweep starts.")
@retries_option("row")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar with ETA on stderr.")
def table_cmd(depth, hidden, input_dim, length, partition, inputs, seed, max_samples,
              csv_path, json_path, big_int, workers, scheduler, scheduler_file,
              connect_timeout, log_path, resume_path, max_memory, max_seconds, retries,
              progress):
    """Sweep architectures: bounds and certified ranks side by side.

    One row per (L, R, M, T): the theorem lower bound, the tightest
    theorem/derived upper bound, U_sym, the min-cut bound and the certified
    rank, with the rank checked against every bound. The 'certified rank'
    column shows the claim each rank makes ('= r' or '>= r').

    Rows run most expensive first (estimated from the size of the sample
    matrix), serially or in parallel; the table is the same either way (only
    the measured seconds differ). With --log or --resume each row is written
    to a JSON-lines log as it finishes; after an interruption (Ctrl-C exits
    with status 130), rerun the same command with --resume LOG to compute
    only what is missing. The rows of a resumed log are checked (the rank
    against its claim and certificate, the spec, seed, inputs and partition
    against the sweep) but not recomputed; a row that fails names its line.

    \b
    Examples:
      tnrnn table --depth 1,2,3 --hidden 2,3 --input-dim 2,3 --length 2,4,6,8
      tnrnn table --depth 2 --hidden 4 --input-dim 4 --length 4,8 --csv out.csv
      tnrnn table --workers 4 --log sweep.jsonl
      tnrnn table --workers 4 --resume sweep.jsonl          # after Ctrl-C
      tnrnn table --scheduler tcp://head:8786 --json rows.json
      tnrnn table --scheduler-file ~/scheduler.json         # dask-jobqueue / dask-mpi
    """
    import itertools

    from ..circuit import RAC
    from ..errors import SpecError

    combos = list(itertools.product(depth, hidden, input_dim, length))
    # Validate every combination, option and output path before any rank is computed.
    check_executor_options(workers, scheduler, scheduler_file, connect_timeout, retries)
    if max_samples is not None:
        from ..errors import check_positive_int

        check_positive_int("max_samples", max_samples)
    if log_path and resume_path:
        raise SpecError(f"give --log or --resume, not both; got --log {log_path} "
                        f"--resume {resume_path}")
    outputs = [("--csv", csv_path), ("--json", None if json_path == "-" else json_path),
               ("--log" if log_path else "--resume", log_path or resume_path)]
    for i, (option, path) in enumerate(outputs):
        if path:
            check_output_file(path, option=option, others=outputs[:i])
    specs = [RAC(L, R, M, T) for L, R, M, T in combos]
    payloads = [_bounds_payload(s, partition, inputs) for s in specs]
    limits = _limits(max_memory, max_seconds)
    rows = _sweep(specs, payloads, partition, inputs, seed, max_samples,
                  progress and json_path != "-", workers=workers, scheduler=scheduler,
                  scheduler_file=scheduler_file, connect_timeout=connect_timeout,
                  log_path=log_path or resume_path, resume=bool(resume_path),
                  retries=retries, limits=limits)
    data = {"partition": partition, "inputs": inputs, "seed": seed, "rows": rows}
    if csv_path:
        write_output(csv_path, _csv_text(rows), what="the table (CSV)")
    if json_path == "-":
        emit_json(data, big_int)
        return
    if json_path:
        write_output(json_path, json_text(data, big_int) + "\n", what="the table (JSON)")
    _print_table(rows, partition, inputs)
    bad = [r for r in rows if r["contradicted"]]
    con = _console()
    if bad:
        con.print(f"[bold red]{len(bad)} row(s) contradict a theorem/derived bound[/]")
    else:
        con.print(f"every certified rank lies within every theorem/derived bound "
                  f"({len(rows)} rows)")
    for path in (csv_path, json_path, log_path or resume_path):
        if path:
            con.print(f"wrote {path}")


def _row_key(spec) -> str:
    return f"L={spec.depth} R={spec.hidden} M={spec.input_dim} T={spec.length}"


def _sweep(specs, payloads, partition, inputs, seed, max_samples, show, *, workers=None,
           scheduler=None, scheduler_file=None, connect_timeout=10.0, log_path=None,
           resume=False, retries=2, limits=None) -> list:
    """Certified rank of every spec (most expensive first, on the executor the
    options ask for), with a progress bar; one table row each, in the order
    of ``specs``. Every row is checked against the limits first."""
    from ..rank.executor_tasks import rank_row, rank_row_cost
    from ..errors import TooLargeError
    from ..parallel import ResultsLog
    from ..partition import parse_partition

    limits = dict(limits or {})
    keys = [_row_key(s) for s in specs]
    tasks = {k: (s.to_dict(), partition, inputs, seed, max_samples, limits)
             for k, s in zip(keys, specs)}
    costs = {}
    for k, s, p in zip(keys, specs, payloads):
        try:
            costs[k] = rank_row_cost(s, partition, inputs, max_samples,
                                     expected_rank=_best_upper(p), limits=limits)
        except TooLargeError as exc:
            raise TooLargeError(f"row {k}: {exc}", estimate=exc.estimate,
                                limit=exc.limit) from None
    meta = {"command": "table", "partition": partition, "inputs": inputs, "seed": seed,
            "max_samples": max_samples}
    expected = {k: (s.to_dict(), parse_partition(partition, s.length).to_dict())
                for k, s in zip(keys, specs)}
    log = None
    if log_path:  # locked and checked before the workers start
        log = ResultsLog(log_path, meta, resume=resume, replace=False,
                         check=_row_checker(expected, inputs, seed))
    try:
        executor = open_executor(workers, scheduler, scheduler_file, connect_timeout)
    except BaseException:
        if log is not None:
            log.close()
        raise

    def interrupted(results):
        if log is None:
            return (f"interrupted: {len(results)} of {len(tasks)} rows had finished and none "
                    f"was kept; give --log FILE to keep each row as it finishes (then "
                    f"--resume FILE continues)")
        done = len(set(results) | set(log.done))
        return (f"interrupted: {done} of {len(tasks)} rows are in {log.path}; rerun with "
                f"--resume {log.path} to compute only the rest")

    results = run_executor_tasks(rank_row, tasks, executor=executor, costs=costs,
                                 retries=retries, show=show, unit="rows", log=log,
                                 interrupted=interrupted)
    return [_table_row(s, p, results[k]) for k, s, p in zip(keys, specs, payloads)]


def _value(payload, name):
    for b in payload["bounds"]:
        if b["name"] == name:
            return b["value"]
    return None


def _best_upper(payload):
    uppers = [b["value"] for b in payload["bounds"]
              if b["status"] in ("theorem", "derived") and b["kind"] == "upper"]
    return min(uppers) if uppers else None


def _table_row(spec, payload, res: dict) -> dict:
    """One table row from the bounds payload and a :func:`rank_row` result."""
    bounds = payload["bounds"]
    proved = [b for b in bounds if b["status"] in ("theorem", "derived")]
    lowers = [b["value"] for b in proved if b["kind"] == "lower"]
    # a lower bound is contradicted only by a rank claimed equal ("="), never by ">="
    contradicted = _flag_contradictions(res["rank"], bounds, res.get("relation") == "=")
    row = {
        "depth": spec.depth, "hidden": spec.hidden, "input_dim": spec.input_dim,
        "length": spec.length,
        "lower_theorem": max(lowers) if lowers else None,
        "conjecture": _value(payload, "depthL-conjecture"),
        "rank": res["rank"], "complete": res["complete"], "claim": res["claim"],
    }
    for name in ("certainty", "failure_probability"):
        if name in res:
            row[name] = res[name]
    row.update({
        "upper_best": _best_upper(payload),
        "u_sym": _value(payload, "u-sym"),
        "min_cut": _value(payload, "min-cut"),
        "poly_cap": _value(payload, "poly-cap"),
        "grid_cap": _value(payload, "grid-cap"),
        "contradicted": ",".join(contradicted),
        "seconds": round(res["total_s"], 3),
    })
    return row


def _csv_text(rows) -> str:
    """The rows as CSV text (integers of any size exact)."""
    import csv
    import io
    import sys

    buf = io.StringIO()
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    finally:
        sys.set_int_max_str_digits(old)
    return buf.getvalue()


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _row_checker(expected: dict, inputs: str, seed: int):
    """``check(key, result)`` for :class:`tnrnn.parallel.ResultsLog`: the
    message of what is wrong with a logged row, or ``None``.

    A row is checked for consistency, not recomputed: the rank against the
    claim printed beside it and against its certificate, and the
    certificate's spec, partition, inputs and seed against this sweep
    (``expected``: key -> (spec dict, partition dict)). ``tnrnn rank
    --check`` re-runs a certificate.

    Examples
    --------
    >>> check = _row_checker({}, "continuous", 0)
    >>> check("k", {"rank": 1499, "relation": ">=", "complete": False, "claim": ">= 1,500",
    ...             "total_s": 1.0, "certificate": {}})
    "the rank 1,499 disagrees with the claim '>= 1,500' beside it (a row of rank 1,499 reads '>= 1,499')"
    """
    def check(key, res):
        if not isinstance(res, dict):
            return f"the result is {type(res).__name__}, not a table row (a JSON object)"
        rank, rel, complete = res.get("rank"), res.get("relation"), res.get("complete")
        if not _is_int(rank) or rank < 0:
            return f"the rank is {rank!r}, not an integer >= 0"
        if rel not in ("=", ">="):
            return f"the relation is {rel!r}, not '=' or '>='"
        if not isinstance(complete, bool) or complete != (rel == "="):
            return f"'complete' is {complete!r} beside the relation '{rel}'"
        claim, start = res.get("claim"), f"{rel} {rank:,}"
        if not isinstance(claim, str) or not (claim == start or claim.startswith(start + " (")):
            return (f"the rank {rank:,} disagrees with the claim {claim!r} beside it (a row of "
                    f"rank {rank:,} reads '{start}')")
        if not _is_number(res.get("total_s")) or res["total_s"] < 0:
            return f"the seconds are {res.get('total_s')!r}, not a number >= 0"
        p = res.get("failure_probability")
        if p is not None and not (_is_number(p) and 0 <= p <= 1):
            return f"the failure probability is {p!r}, not a number in [0, 1]"
        if "certainty" in res and not isinstance(res["certainty"], str):
            return f"the certainty is {res['certainty']!r}, not text"
        cert = res.get("certificate")
        if not isinstance(cert, dict):
            return "it has no certificate"
        if cert.get("rank") != rank or cert.get("relation", rel) != rel:
            return (f"its certificate states {cert.get('relation')} {cert.get('rank')!r}, the "
                    f"row {start}")
        if cert.get("seed") != seed or cert.get("inputs") != inputs:
            return (f"its certificate is for seed {cert.get('seed')!r}, inputs "
                    f"{cert.get('inputs')!r}; this sweep has seed {seed}, inputs {inputs}")
        if key in expected:
            spec, part = expected[key]
            if cert.get("spec") != spec:
                return f"its certificate is for the spec {cert.get('spec')!r}, not {spec!r}"
            if cert.get("partition") != part:
                return (f"its certificate is for the partition {cert.get('partition')!r}, "
                        f"not {part!r}")
        return None

    return check


def _print_table(rows, partition, inputs) -> None:
    from rich.table import Table

    tab = Table(title=f"separation rank, {partition}, {inputs} inputs", header_style="bold")
    cols = [("L", "depth"), ("R", "hidden"), ("M", "input_dim"), ("T", "length"),
            ("lower (thm)", "lower_theorem"), ("conj.", "conjecture"),
            ("certified rank", "claim"), ("best upper", "upper_best"), ("U_sym", "u_sym"),
            ("min-cut", "min_cut"), ("s", "seconds")]
    for title, _ in cols:
        tab.add_column(title, justify="right")
    for r in rows:
        cells = []
        for _, key in cols:
            v = r[key]
            if key == "claim":
                v = f"[bold red]{v}![/]" if r["contradicted"] else f"[bold]{v}[/]"
            elif isinstance(v, int):
                v = _fmt_int(v)
            elif v is None:
                v = "-"
            cells.append(str(v))
        tab.add_row(*cells)
    con = _console()
    con.print(tab)
    con.print("'= r (certain ...)': equals a proven upper bound; '= r (failure probability "
              "<= e)': the generic rank unless an event of probability <= e occurred; '>= r': "
              "a lower bound only; '!' = contradicts a theorem/derived bound; 'conj.' = "
              "conjectured lower bound (never asserted)")
