"""Rank certificates: plain JSON data from which anyone can re-run a rank.

A certificate names everything the computation depends on: the spec, the
partition, the input kind, the prime, the seed (which fixes the weights,
initial states and halves, see :func:`tnrnn.rank.modp_params` and
:func:`tnrnn.rank.draw_halves`), the output index, the initial-state rule,
the sample counts ``n_A, n_B`` and the rank routine. :func:`check_certificate`
rebuilds the ``n_A x n_B`` sample matrix deterministically and compares its
rank mod ``p`` with the stated one.

What it certifies: rank ``r`` mod ``p`` of integer evaluations means some
``r x r`` minor is a non-zero integer, so the separation rank over the
rationals for those integer weights, and hence the generic separation rank,
is **at least r**.

Examples
--------
>>> import json
>>> from tnrnn.circuit import RAC
>>> from tnrnn.rank import separation_rank
>>> res = separation_rank(RAC(depth=1, hidden=3, input_dim=3, length=6))
>>> cert = json.loads(json.dumps(res.certificate))
>>> check_certificate(cert).rank
3
>>> check_certificate({**cert, "rank": 4})
Traceback (most recent call last):
...
tnrnn.errors.CertificateError: the certificate states rank 4 but re-running it gives rank 3 (4 x 4 sample matrix mod 2147483647)
"""

from __future__ import annotations

import numbers
import time

from ..circuit import RAC, TTRNN, Spec
from ..errors import CertificateError, TnrnnError
from ..partition import Partition
from .routines import RANK_ROUTINES, flint_available

__all__ = ["CERTIFICATE_FORMAT", "CERTIFICATE_VERSION", "make_certificate",
           "check_certificate", "spec_from_dict"]

CERTIFICATE_FORMAT = "tnrnn-rank-certificate"
CERTIFICATE_VERSION = 1

_CLAIM = ("the {n_A} x {n_B} sample matrix of integer evaluations has rank {rank} "
          "mod {prime}, so the separation rank for these integer weights over the "
          "rationals, and hence the generic separation rank, is >= {rank}")

_DERIVATION = ("weights: tnrnn.circuit.init_params_modp(spec, prime, seed), i.e. "
               "numpy.random.default_rng(seed).integers(0, prime) per array in the order "
               "W_H (every layer), W_I (every layer), W_O (TT-RNN: G, W_O); initial states: "
               "h0='random' -> numpy.random.default_rng([seed, 3]).integers(1, prime, "
               "(L, R)), h0='ones' -> all ones; continuous half i of side A (B): row "
               "i % 64 of numpy.random.default_rng([seed, 1 (2), i // 64]).integers(0, "
               "prime, (64, |side|, M)); one-hot halves: all M^|side| in lexicographic "
               "order of their symbols")


def _tnrnn_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("tnrnn")
    except Exception:  # pragma: no cover - running from a source tree
        return None


def make_certificate(spec: Spec, partition: Partition, *, inputs: str, prime: int,
                     seed: int, output: int, h0: str, n_A: int, n_B: int, rank: int,
                     routine: str, complete: bool) -> dict:
    """The certificate of one rank computation (a JSON-serialisable dict)."""
    return {
        "format": CERTIFICATE_FORMAT,
        "version": CERTIFICATE_VERSION,
        "tnrnn_version": _tnrnn_version(),
        "spec": spec.to_dict(),
        "partition": partition.to_dict(),
        "inputs": inputs,
        "prime": int(prime),
        "seed": int(seed),
        "output": int(output),
        "h0": h0,
        "n_A": int(n_A),
        "n_B": int(n_B),
        "rank": int(rank),
        "method": routine,
        "complete": bool(complete),
        "claim": _CLAIM.format(n_A=n_A, n_B=n_B, rank=rank, prime=prime),
        "derivation": _DERIVATION,
    }


def spec_from_dict(data) -> Spec:
    """Rebuild a spec from ``spec.to_dict()``.

    >>> spec_from_dict(RAC(2, 3, 4, 6).to_dict())
    RAC(depth=2, hidden=3, input_dim=4, length=6, outputs=1)
    """
    if not isinstance(data, dict):
        raise CertificateError(f"spec must be a dict; got {type(data).__name__}")
    kind = data.get("kind")
    fields = {k: v for k, v in data.items() if k != "kind"}
    try:
        if kind == "rac":
            return RAC(**fields)
        if kind == "ttrnn":
            if fields.pop("depth", 1) != 1:
                raise CertificateError(f"a ttrnn spec has depth 1; got {data['depth']!r}")
            return TTRNN(**fields)
    except TypeError as exc:
        raise CertificateError(f"spec {data!r} has unexpected fields: {exc}") from None
    except CertificateError:
        raise
    except TnrnnError as exc:
        raise CertificateError(f"spec {data!r} is not valid: {exc}") from None
    raise CertificateError(f"spec kind must be 'rac' or 'ttrnn'; got {kind!r}")


_REQUIRED = ("format", "version", "spec", "partition", "inputs", "prime", "seed",
             "output", "h0", "n_A", "n_B", "rank", "method")


def _int_field(cert: dict, key: str, minimum: int) -> int:
    v = cert[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise CertificateError(f"certificate field {key!r} must be an integer >= "
                               f"{minimum}; got {v!r}")
    return int(v)


def check_certificate(cert: dict, *, rank_method: str | None = None):
    """Re-run a rank certificate; return the :class:`~tnrnn.rank.RankResult`.

    Parameters
    ----------
    cert : dict
        As made by :func:`tnrnn.rank.separation_rank` (``result.certificate``),
        possibly after a JSON round trip.
    rank_method : str, optional
        Rank routine for the re-run; default the certificate's own, or
        ``"numpy"`` when that one is ``"flint"`` and python-flint is missing
        (the rank mod p does not depend on the routine).

    Raises
    ------
    CertificateError
        When the certificate is malformed, or its sample matrix does not have
        the stated rank.
    """
    from ..errors import SpecError
    from ..partition import explicit
    from .separation import (H0_KINDS, INPUT_KINDS, RankResult, certified_sample_rank,
                             sample_cap)

    if not isinstance(cert, dict):
        raise CertificateError(f"a certificate must be a dict; got {type(cert).__name__}")
    missing = [k for k in _REQUIRED if k not in cert]
    if missing:
        raise CertificateError(f"certificate is missing the fields {missing}")
    if cert["format"] != CERTIFICATE_FORMAT:
        raise CertificateError(f"certificate format must be {CERTIFICATE_FORMAT!r}; "
                               f"got {cert['format']!r}")
    if cert["version"] != CERTIFICATE_VERSION:
        raise CertificateError(f"certificate version {cert['version']!r} is not "
                               f"supported; this tnrnn reads version {CERTIFICATE_VERSION}")
    spec = spec_from_dict(cert["spec"])
    part_d = cert["partition"]
    if not isinstance(part_d, dict) or "A" not in part_d:
        raise CertificateError(f"certificate partition must be a dict with the steps "
                               f"'A' (and 'B'); got {part_d!r}")
    try:
        part = explicit(part_d["A"], spec.length)
    except SpecError as exc:
        raise CertificateError(f"certificate partition is not valid: {exc}") from None
    if "B" in part_d and sorted(part_d["B"]) != list(part.B):
        raise CertificateError(f"certificate partition B={part_d['B']} is not the "
                               f"complement of A={part_d['A']} in 1..{spec.length}")
    part = Partition(part.A, part.B, name=str(part_d.get("name", part.name)))
    inputs = cert["inputs"]
    if inputs not in INPUT_KINDS:
        raise CertificateError(f"certificate inputs must be one of {INPUT_KINDS}; "
                               f"got {inputs!r}")
    if cert["h0"] not in H0_KINDS:
        raise CertificateError(f"certificate h0 must be one of {H0_KINDS}; "
                               f"got {cert['h0']!r}")
    from .modp import check_prime

    try:
        prime = check_prime(cert["prime"])
    except SpecError as exc:
        raise CertificateError(f"certificate prime: {exc}") from None
    seed = _int_field(cert, "seed", 0)
    output = _int_field(cert, "output", 0)
    if output >= spec.outputs:
        raise CertificateError(f"certificate output {output} is out of range for "
                               f"K={spec.outputs} outputs")
    n_a, n_b = _int_field(cert, "n_A", 1), _int_field(cert, "n_B", 1)
    stated = _int_field(cert, "rank", 0)
    M = spec.input_dim
    if inputs == "one-hot" and (n_a, n_b) != (M ** len(part.A), M ** len(part.B)):
        raise CertificateError(
            f"a one-hot certificate enumerates all halves: n_A, n_B must be "
            f"{M ** len(part.A)}, {M ** len(part.B)}; got {n_a}, {n_b}")
    if cert["method"] not in RANK_ROUTINES:
        raise CertificateError(f"certificate method must be one of "
                               f"{sorted(RANK_ROUTINES)}; got {cert['method']!r}")
    routine = rank_method or cert["method"]
    if rank_method is None and routine == "flint" and not flint_available():
        routine = "numpy"
    t0 = time.perf_counter()
    r, t_eval, t_rank = certified_sample_rank(spec, part, inputs, prime, seed, output,
                                              cert["h0"], n_a, n_b, routine)
    if r != stated:
        raise CertificateError(
            f"the certificate states rank {stated} but re-running it gives rank {r} "
            f"({n_a} x {n_b} sample matrix mod {prime})")
    complete = inputs == "one-hot" or r < min(n_a, n_b)
    if "complete" in cert and bool(cert["complete"]) != complete:
        raise CertificateError(f"certificate says complete={cert['complete']!r} but rank "
                               f"{r} of a {n_a} x {n_b} matrix means complete={complete}")
    return RankResult(
        rank=r, method=f"modp-{routine}", inputs=inputs, partition=part, prime=prime,
        seed=seed, samples=(n_a, n_b), certificate=dict(cert),
        timings={"evaluate": t_eval, "rank": t_rank,
                 "total": time.perf_counter() - t0},
        complete=complete, output=output, spec=spec,
        upper_bound=sample_cap(spec, part, inputs), rounds=1)
