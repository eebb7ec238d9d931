"""The rank command: certified separation ranks and their certificates.

With ``--workers N``, ``--scheduler ADDR`` or ``--scheduler-file FILE`` the
sample matrices are evaluated in blocks of rows on the workers
(:class:`tnrnn.rank.executor_tasks.RowBlocks`); the rank is taken here, and the
result and certificate equal the serial run's.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._app import CONTEXT, _console, _EtaProgress, _make_spec, _progress_bar, _spec_options, cli
from ._bounds import (_big_int_option, _bounds_payload, _bounds_table, _inputs_option,
                      _partition_option, _spec_line, check_output_file, emit_json, json_text,
                      write_output)
from ._executors import (check_executor_options, executor_options, interrupted_exit,
                         open_executor, retries_option, wants_parallel)

#: The largest certificate ``--check`` reads (one is a few kB).
MAX_CERTIFICATE_BYTES = 16 * 2**20


# ------------------------------------------------------------------------ rank
def _flag_contradictions(rank: int, bounds: list, complete: bool = True) -> list:
    """Names of theorem/derived bounds the certified rank contradicts.

    A certified rank r is at most the generic rank, so it contradicts an
    upper bound when r exceeds it. It contradicts a lower bound (which holds
    for almost all weights) only when r is claimed equal to the generic rank
    (``complete``: an ``= r`` claim)."""
    bad = []
    for b in bounds:
        if b["status"] not in ("theorem", "derived"):
            continue
        if b["kind"] == "upper" and rank > b["value"]:
            bad.append(b["name"])
        if complete and b["kind"] == "lower" and rank < b["value"]:
            bad.append(b["name"])
    return bad


def _limits(max_memory, max_seconds) -> dict:
    from ..errors import SpecError

    out = {}
    if max_memory is not None:
        if not max_memory > 0:
            raise SpecError(f"--max-memory must be a positive number of GiB; got {max_memory}")
        out["max_memory"] = max_memory * 2**30
    if max_seconds is not None:
        if not max_seconds > 0:
            raise SpecError(f"--max-seconds must be a positive number; got {max_seconds}")
        out["max_seconds"] = max_seconds
    return out


@cli.command("rank", context_settings=CONTEXT)
@_spec_options
@_partition_option
@_inputs_option
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the weights, initial states and sampled inputs.")
@click.option("--prime", type=int, default=None,
              help="Prime modulus below 2^31  [default: 2147483647]. Primes too small to "
                   "certify anything are refused with the minimum.")
@click.option("--output", "output", type=int, default=0, show_default=True,
              help="Which output of a K > 1 circuit (0..K-1).")
@click.option("--weights", "weights", type=click.Path(dir_okay=False), default=None,
              help="Your own weights (.npz with W_H1..W_HL, W_I1..W_IL, W_O, optional "
                   "h0_1..h0_L; G, W_O, h0 for --arch ttrnn), as tnrnn.save_params writes: "
                   "the rank of that exact function (floats are exact dyadic rationals).")
@click.option("--max-samples", type=int, default=None,
              help="Most sampled halves per side (the search stops there and claims only "
                   ">= r)  [default: 4096].")
@click.option("--max-failure", type=float, default=None,
              help="Claim '= r' only when the failure probability (Schwartz-Zippel bound, "
                   "reached with independent repetitions) is at most this, or r equals a "
                   "proven upper bound; else '>= r'  [default: 1e-6].")
@click.option("--max-memory", type=float, default=None,
              help="Refuse a sample matrix estimated above this many GiB  [default: 8].")
@click.option("--max-seconds", type=float, default=None,
              help="Refuse a sample matrix estimated above this many seconds  "
                   "[default: 1800].")
@click.option("--check", "check", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Re-run a certificate (JSON file) and confirm everything it "
                                 "states; the size options are then ignored (give --weights "
                                 "again if it was made with --weights).")
@click.option("--save", type=click.Path(dir_okay=False), default=None,
              help="Write the certificate to this JSON file (checked before computing).")
@executor_options("sample-matrix row blocks")
@click.option("--block-rows", type=int, default=None,
              help="Rows of the sample matrix per block on the workers (with --workers, "
                   "--scheduler or --scheduler-file)  [default: 4 blocks "
                   "per worker, 2^18 entries at least].")
@retries_option("block")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar with the time remaining on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_big_int_option
def rank_cmd(depth, hidden, input_dim, length, outputs, arch, partition, inputs, seed,
             prime, output, weights, max_samples, max_failure, max_memory, max_seconds,
             check, save, workers, scheduler, scheduler_file, connect_timeout, block_rows,
             retries, progress, as_json, big_int):
    """Certified separation rank, by exact arithmetic mod a prime.

    Weights (random, or yours with --weights), initial states and inputs are
    mapped into GF(p); the rank r of the sample matrix Y[i,j] = y(a_i ++ b_j)
    mod p proves rank >= r with certainty. The command prints '= r' only
    when that is certain (r equals a proven upper bound) or its failure
    probability (a Schwartz-Zippel bound) is at most --max-failure, and
    '>= r' otherwise. The bounds are printed beside it, and any bound the
    rank contradicts is flagged.

    One big rank on many cores: with --workers N (local processes),
    --scheduler tcp://HOST:PORT or --scheduler-file FILE (a Dask cluster)
    the sample matrix is evaluated in blocks of rows on the workers and
    ranked here; rank, claim and certificate are those of the serial run.

    \b
    Examples:
      tnrnn rank -L 2 -R 3 -M 3 -T 8
      tnrnn rank -L 3 -R 3 -M 3 -T 6 --json
      tnrnn rank -L 2 -R 4 -M 4 -T 4 --inputs one-hot --save cert.json
      tnrnn rank --check cert.json
      tnrnn rank -L 2 -R 4 -M 4 -T 8 --weights trained.npz --save mine.json
      tnrnn rank --check mine.json --weights trained.npz
      tnrnn rank -L 2 -R 5 -M 5 -T 20 --workers 8
      tnrnn rank -L 3 -R 3 -M 3 -T 8 --scheduler tcp://head:8786
    """
    from ..circuit import load_params
    from ..errors import SpecError
    from ..rank import check_certificate, separation_rank

    if save:
        check_output_file(save, option="--save", others=[("--weights", weights)])
    limits = _limits(max_memory, max_seconds)
    show = progress and not as_json
    parallel = wants_parallel(workers, scheduler, scheduler_file)
    check_executor_options(workers, scheduler, scheduler_file, connect_timeout, retries)
    if block_rows is not None:
        from ..errors import check_positive_int

        check_positive_int("--block-rows", block_rows)
    if check and parallel:
        raise SpecError("--check re-runs a certificate in this process; give it without "
                        "--workers/--scheduler/--scheduler-file")
    executor = None
    if check:
        cert = _read_json(check)
        from ..rank import spec_from_dict

        params = None
        if weights:
            params = load_params(weights, spec_from_dict(cert.get("spec")))
        with _progress_bar(show):
            result = check_certificate(cert, params=params, **limits)
        spec = result.spec
        payload = _bounds_payload(spec, result.partition, result.inputs)
    else:
        spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
        params = load_params(weights, spec) if weights else None
        kwargs = dict(limits, seed=seed, output=output, params=params)
        if prime is not None:
            kwargs["prime"] = prime
        if max_samples is not None:
            kwargs["max_samples"] = max_samples
        if max_failure is not None:
            kwargs["max_failure"] = max_failure
        # The bounds first: they validate the partition before the (longer) search.
        payload = _bounds_payload(spec, partition, inputs)
        executor = open_executor(workers, scheduler, scheduler_file, connect_timeout) \
            if parallel else None
        if executor is not None:
            from ..rank.executor_tasks import RowBlocks

            kwargs["evaluate"] = RowBlocks(executor, block_rows=block_rows, retries=retries)
        try:
            with _progress_bar(show) as bar:
                label = "certified rank" + (f" ({executor.description})" if executor else "")
                cb = _EtaProgress(bar, label) if show else None
                result = separation_rank(spec, partition, inputs=inputs, progress=cb,
                                         **kwargs)
        except KeyboardInterrupt:
            if hasattr(executor, "terminate"):
                executor.terminate()
            interrupted_exit("interrupted: the rank was not finished and nothing was "
                             "written; rerun the same command to start it again")
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
    info = result.to_dict()
    for key in ("rank", "relation", "claim", "certainty", "certain", "failure_probability",
                "max_failure", "complete", "output", "weights", "method", "prime", "seed",
                "upper_bound", "rounds", "repetitions"):
        payload[key] = info[key]
    payload["exact"] = True
    payload["samples"] = list(result.samples)
    payload["timings"] = {k: round(v, 4) for k, v in result.timings.items()}
    payload["contradicted"] = _flag_contradictions(result.rank, payload["bounds"],
                                                   result.relation == "=")
    payload["certificate"] = result.certificate
    if executor is not None:
        blocks = kwargs["evaluate"].records
        payload["executor"] = {"description": executor.description, "blocks": len(blocks),
                               "block_cpu_s": round(sum(b["cpu_s"] or 0 for b in blocks), 4)}
    if check:
        payload["checked"] = True
    if save:
        write_output(save, json_text(result.certificate) + "\n", what="the certificate")
    if as_json:
        emit_json(payload, big_int)
        return
    con = _console()
    con.print(_spec_line(spec, payload))
    con.print(_bounds_table(payload, contradicted=payload["contradicted"]))
    verdict = "[bold green]consistent with every theorem/derived bound[/]" \
        if not payload["contradicted"] else \
        f"[bold red]contradicts {', '.join(payload['contradicted'])}[/]"
    con.print(f"[bold]certified rank:[/] {result.describe()}")
    con.print(f"  {verdict}; evaluation {result.timings.get('evaluate', 0):.2f} s"
              f"{' on ' + executor.description if executor is not None else ''}, "
              f"rank routine {result.timings.get('rank', 0):.2f} s")
    if check:
        con.print(f"  certificate {check}: re-ran every sample matrix and re-derived every "
                  "claim [green]OK[/]")
    if save:
        con.print(f"  certificate written to {save} (re-run: tnrnn rank --check {save}"
                  f"{' --weights ' + weights if weights else ''})")


def _read_json(path):
    """The certificate in ``path``: a regular file of at most
    :data:`MAX_CERTIFICATE_BYTES` holding a JSON object."""
    import sys

    from ..errors import CertificateError

    p = Path(path)
    try:
        if not p.is_file():
            raise CertificateError(f"cannot read certificate {path}: not a regular file")
        size = p.stat().st_size
        if size > MAX_CERTIFICATE_BYTES:
            raise CertificateError(f"cannot read certificate {path}: it has {size:,} bytes; "
                                   f"a certificate has a few thousand (at most "
                                   f"{MAX_CERTIFICATE_BYTES:,} are read)")
        old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            data = json.loads(p.read_bytes())
        finally:
            sys.set_int_max_str_digits(old)
    except (OSError, ValueError) as exc:
        raise CertificateError(f"cannot read certificate {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CertificateError(f"cannot read certificate {path}: it holds a JSON "
                               f"{type(data).__name__}, not an object")
    return data
