"""The rank command: certified separation ranks and their certificates."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._app import (CONTEXT, _console, _emit_json, _make_spec, _progress_bar, _RankProgress,
                   _spec_options, cli)
from ._bounds import _bounds_payload, _bounds_table, _inputs_option, _partition_option, _spec_line


# ------------------------------------------------------------------------ rank
def _flag_contradictions(rank: int, bounds: list, complete: bool = True) -> list:
    """Names of theorem/derived bounds the certified rank contradicts.

    A certified rank r is at most the generic rank, so it contradicts an
    upper bound when r exceeds it. It contradicts a lower bound (which holds
    for almost all weights) only when the search was complete, so that r is
    the instance's rank."""
    bad = []
    for b in bounds:
        if b["status"] not in ("theorem", "derived"):
            continue
        if b["kind"] == "upper" and rank > b["value"]:
            bad.append(b["name"])
        if complete and b["kind"] == "lower" and rank < b["value"]:
            bad.append(b["name"])
    return bad


@cli.command("rank", context_settings=CONTEXT)
@_spec_options
@_partition_option
@_inputs_option
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the weights, initial states and sampled inputs.")
@click.option("--prime", type=int, default=None,
              help="Prime modulus below 2^31  [default: 2147483647].")
@click.option("--max-samples", type=int, default=None,
              help="Most sampled halves per side (the search stops there and says the "
                   "rank is only a lower bound)  [default: 4096].")
@click.option("--check", "check", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Re-run a certificate (JSON file) and confirm its rank; "
                                 "the size options are then ignored.")
@click.option("--save", type=click.Path(dir_okay=False), default=None,
              help="Write the certificate to this JSON file.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def rank_cmd(depth, hidden, input_dim, length, outputs, arch, partition, inputs, seed,
             prime, max_samples, check, save, progress, as_json):
    """Certified separation rank, by exact arithmetic mod a prime.

    Weights, initial states and inputs are drawn from GF(p); the rank of the
    sample matrix Y[i,j] = y(a_i ++ b_j) mod p certifies that the generic rank
    is at least that value (and equals it with high probability once the
    samples outnumber it). The bounds are printed beside it, and any bound the
    rank contradicts is flagged.

    \b
    Example:
      tnrnn rank -L 2 -R 3 -M 3 -T 8
      tnrnn rank -L 2 -R 4 -M 4 -T 4 --inputs one-hot --save cert.json
      tnrnn rank --check cert.json
    """
    from ..rank import check_certificate, separation_rank

    if check:
        cert = _read_json(check)
        with _progress_bar(progress and not as_json):
            result = check_certificate(cert)
        spec = result.spec
        payload = _bounds_payload(spec, result.partition, result.inputs)
    else:
        spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
        kwargs = {"seed": seed}
        if prime is not None:
            kwargs["prime"] = prime
        if max_samples is not None:
            kwargs["max_samples"] = max_samples
        # The bounds first: they validate the partition before the (longer) search.
        payload = _bounds_payload(spec, partition, inputs)
        with _progress_bar(progress and not as_json) as bar:
            cb = _RankProgress(bar, "certified rank") if (progress and not as_json) else None
            result = separation_rank(spec, partition, inputs=inputs, progress=cb, **kwargs)
    payload["rank"] = result.rank
    payload["complete"] = result.complete
    payload["exact"] = True
    payload["method"] = result.method
    payload["samples"] = list(result.samples)
    payload["timings"] = {k: round(v, 4) for k, v in result.timings.items()}
    payload["contradicted"] = _flag_contradictions(result.rank, payload["bounds"],
                                                   result.complete)
    payload["certificate"] = result.certificate
    if check:
        payload["checked"] = True
    if save:
        Path(save).write_text(json.dumps(result.certificate, indent=2) + "\n")
    if as_json:
        _emit_json(payload)
        return
    con = _console()
    con.print(_spec_line(spec, payload))
    con.print(_bounds_table(payload, contradicted=payload["contradicted"]))
    verdict = "[bold green]consistent with every theorem/derived bound[/]" \
        if not payload["contradicted"] else \
        f"[bold red]contradicts {', '.join(payload['contradicted'])}[/]"
    con.print(f"[bold]certified rank:[/] {result.describe()}")
    con.print(f"  {verdict}; evaluation {result.timings.get('evaluate', 0):.2f} s, "
              f"rank routine {result.timings.get('rank', 0):.2f} s")
    if check:
        con.print(f"  certificate {check}: re-ran to the same rank [green]OK[/]")
    if save:
        con.print(f"  certificate written to {save} (re-run: tnrnn rank --check {save})")


def _read_json(path):
    from ..errors import CertificateError

    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CertificateError(f"cannot read certificate {path}: {exc}") from None
