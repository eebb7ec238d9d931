"""Rank certificates: plain JSON data from which anyone can re-run a rank.

A certificate names everything the computation depends on: the spec, the
partition, the input kind, the prime, the seed (which fixes the weights,
initial states and halves, see :func:`tnrnn.rank.modp_params` and
:func:`tnrnn.rank.draw_halves`), or the SHA-256 of given weights, the output
index, the initial-state rule, the sample counts ``n_A, n_B``, the rank
routine, the repetitions, and what is claimed (``certainty``,
``failure_probability``, with the threshold ``max_failure`` and the
``max_samples`` that fixed the search schedule).

:func:`check_certificate` trusts none of the stated conclusions: it re-derives
the partition's name from its sides, the upper bound, the degree, the
schedule and the failure-probability bound, refuses sizes whose estimate is
beyond the limits *before* computing, rebuilds every sample matrix
deterministically (the final one and each repetition) and compares every
rank and every claim with the stated one.

What it certifies: rank ``r`` mod ``p`` of integer evaluations means some
``r x r`` minor is a non-zero integer, so the separation rank over the
rationals for those weights, and hence the generic separation rank, is **at
least r**; ``= r`` holds with the stated failure probability (or with
certainty at the proven upper bound), see :mod:`tnrnn.rank.guarantee`.

Examples
--------
>>> import json
>>> from tnrnn.circuit import RAC
>>> from tnrnn.rank import separation_rank
>>> res = separation_rank(RAC(depth=1, hidden=3, input_dim=3, length=6))
>>> cert = json.loads(json.dumps(res.certificate))
>>> check_certificate(cert).rank
3
>>> check_certificate({**cert, "rank": 2})
Traceback (most recent call last):
...
tnrnn.errors.CertificateError: the certificate states rank 2 but re-running it gives rank 3 (3 x 3 sample matrix mod 2147483647)
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
CERTIFICATE_VERSION = 2

_CLAIM = ("the {n_A} x {n_B} sample matrix of evaluations has rank {rank} mod {prime}, "
          "so the separation rank for these weights over the rationals, and hence the "
          "generic separation rank, is >= {rank}")

_DERIVATION = ("weights: tnrnn.circuit.init_params_modp(spec, prime, seed), i.e. "
               "numpy.random.default_rng(seed).integers(0, prime) per array in the order "
               "W_H (every layer), W_I (every layer), W_O (TT-RNN: G, W_O); initial states: "
               "h0='random' -> numpy.random.default_rng([seed, 3]).integers(1, prime, "
               "(L, R)), h0='ones' -> all ones; or, when 'weights' is set, the given "
               "weights (SHA-256 of their exact values) mapped exactly into GF(prime); "
               "continuous half i of side A (B): row i % 64 of "
               "numpy.random.default_rng([seed, 1 (2), i // 64]).integers(0, prime, (64, "
               "|side|, M)); one-hot halves: all M^|side| in lexicographic order of their "
               "symbols; repetition j: seed + j * 2**32 and the j-th prime below prime")


def _tnrnn_version() -> str | None:
    """tnrnn's version, without importing importlib.metadata (slow to
    import): the package's ``__version__`` when already set, else the
    ``Version:`` line of its ``tnrnn-*.dist-info/METADATA``."""
    import glob
    import os
    import sys

    known = vars(sys.modules["tnrnn"]).get("__version__") if "tnrnn" in sys.modules else None
    if known and known != "0.0.0+unknown":
        return known
    for entry in sys.path:
        for meta in glob.glob(os.path.join(entry or ".", "tnrnn-*.dist-info", "METADATA")):
            try:
                with open(meta) as fh:
                    for line in fh:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
            except OSError:  # pragma: no cover
                continue
    return None


def make_certificate(spec: Spec, partition: Partition, *, inputs: str, prime: int,
                     seed: int, output: int, h0: str, n_A: int, n_B: int, rank: int,
                     routine: str, complete: bool, max_samples: int = 4096,
                     max_failure: float = 1e-6, certainty: str = "lower-bound",
                     failure_probability: float | None = None, repetitions=(),
                     weights: str | None = None, upper_bound: int | None = None,
                     degree: int | None = None) -> dict:
    """The certificate of one rank computation (a JSON-serialisable dict).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    inputs : {"continuous", "one-hot"}
        How the halves were drawn.
    prime, seed, output : int
        The field, the seed of weights and halves, the output row.
    h0 : {"random", "ones"}
        The initial states.
    n_A, n_B : int
        Shape of the final sample matrix.
    rank : int
        Its rank mod ``prime``.
    routine : str
        The rank routine (``"flint"``, ``"numpy"``, ``"blas"``).
    complete : bool
        Whether the search ended (rank-deficient matrix, grid or bound).
    max_samples : int
        The search's cap per side.
    max_failure : float
        The failure probability asked for.
    certainty : {"upper-bound", "probabilistic", "lower-bound"}
        What the rank proves (see :class:`RankResult`).
    failure_probability : float or None
        The Schwartz-Zippel bound of the claim.
    repetitions : sequence of dict
        The repetitions run (``prime``, ``seed``, ``n``, ``rank``).
    weights : str or None
        Hash of given weights (:func:`weights_hash`).
    upper_bound : int or None
        The proven upper bound (:func:`sample_cap`).
    degree : int or None
        The output degree the bound used (:func:`output_degree`).

    Returns
    -------
    dict
        JSON-serialisable: the fields above, ``format``, ``version``,
        ``relation`` (``"="`` or ``">="``), the ``claim`` and its ``derivation``
        in words.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> cert = make_certificate(RAC(2, 2, 2, 4), start_end(4), inputs="continuous",
    ...                         prime=101, seed=0, output=0, h0="random", n_A=5, n_B=5,
    ...                         rank=4, routine="numpy", complete=True,
    ...                         certainty="upper-bound", upper_bound=4)
    >>> cert["relation"], cert["format"] == CERTIFICATE_FORMAT, spec_from_dict(cert["spec"])
    ('=', True, RAC(depth=2, hidden=2, input_dim=2, length=4, outputs=1))
    """
    relation = ">=" if certainty == "lower-bound" else "="
    return {
        "format": CERTIFICATE_FORMAT,
        "version": CERTIFICATE_VERSION,
        "tnrnn_version": _tnrnn_version(),
        "spec": spec.to_dict(),
        "partition": partition.to_dict(),
        "inputs": inputs,
        "prime": int(prime),
        "seed": int(seed),
        "weights": weights,
        "output": int(output),
        "h0": h0,
        "n_A": int(n_A),
        "n_B": int(n_B),
        "rank": int(rank),
        "method": routine,
        "complete": bool(complete),
        "max_samples": int(max_samples),
        "max_failure": float(max_failure),
        "repetitions": [dict(r) for r in repetitions],
        "upper_bound": None if upper_bound is None else int(upper_bound),
        "degree": None if degree is None else int(degree),
        "certainty": certainty,
        "relation": relation,
        "failure_probability": failure_probability,
        "claim": _CLAIM.format(n_A=n_A, n_B=n_B, rank=rank, prime=prime),
        "derivation": _DERIVATION,
    }


def spec_from_dict(data) -> Spec:
    """Rebuild a spec from ``spec.to_dict()``.

    Parameters
    ----------
    data : dict
        ``spec.to_dict()`` of a RAC or TT-RNN (``kind`` and its fields).

    Returns
    -------
    RAC or TTRNN
        The spec.

    Examples
    --------
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
             "weights", "output", "h0", "n_A", "n_B", "rank", "method", "complete",
             "max_samples", "max_failure", "repetitions", "certainty",
             "failure_probability")


def _int_field(cert: dict, key: str, minimum: int) -> int:
    v = cert[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise CertificateError(f"certificate field {key!r} must be an integer >= "
                               f"{minimum}; got {v!r}")
    return int(v)


def _partition(cert: dict, spec: Spec) -> Partition:
    """The partition, with its stated name checked against its sides."""
    from ..errors import SpecError
    from ..partition import explicit, parse_partition

    part_d = cert["partition"]
    if not isinstance(part_d, dict) or "A" not in part_d or "B" not in part_d:
        raise CertificateError(f"certificate partition must be a dict with the steps "
                               f"'A' and 'B'; got {part_d!r}")
    try:
        part = explicit(part_d["A"], spec.length)
    except (SpecError, TypeError) as exc:
        raise CertificateError(f"certificate partition is not valid: {exc}") from None
    if not isinstance(part_d["B"], list) or sorted(part_d["B"]) != list(part.B):
        raise CertificateError(f"certificate partition B={part_d['B']!r} is not the "
                               f"complement of A={part_d['A']} in 1..{spec.length}")
    name = part_d.get("name", part.name)
    try:
        named = parse_partition(name, spec.length) if isinstance(name, str) else None
    except SpecError:
        named = None
    if named is None or (named.A, named.B) != (part.A, part.B):
        raise CertificateError(
            f"certificate partition name {name!r} does not match its sides A={list(part.A)}, "
            f"B={list(part.B)} (their name is {part.name!r})")
    return Partition(part.A, part.B, name=name)


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(abs(float(a)), abs(float(b)), 1e-300)


def check_certificate(cert: dict, *, params=None, rank_method: str | None = None,
                      max_memory: float | None = None, max_seconds: float | None = None):
    """Re-run a rank certificate; return the :class:`~tnrnn.rank.RankResult`.

    Parameters
    ----------
    cert : dict
        As made by :func:`tnrnn.rank.separation_rank` (``result.certificate``),
        possibly after a JSON round trip.
    params : RACParams or TTParams, optional
        The weights, required when the certificate was made with given
        weights (their hash must match the certificate's ``weights``).
    rank_method : str, optional
        Rank routine for the re-run; default the certificate's own, or
        ``"numpy"`` when that one is ``"flint"`` and python-flint is missing
        (the rank mod p does not depend on the routine).
    max_memory, max_seconds : float, optional
        Limits for each re-built sample matrix (defaults as for
        :func:`tnrnn.rank.separation_rank`); sizes above them are refused
        before anything is allocated.

    Returns
    -------
    RankResult
        The result the certificate's data give, re-computed (timings of the
        re-run); its ``rank`` is the certificate's.

    Raises
    ------
    CertificateError
        When the certificate is malformed, states something that does not
        follow from its own data (partition name, upper bound, failure
        probability, certainty), or a sample matrix does not have the stated
        rank.
    TooLargeError
        When re-running it would exceed the limits.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.rank import separation_rank
    >>> cert = separation_rank(RAC(2, 2, 2, 6)).certificate
    >>> check_certificate(cert).rank == cert["rank"]
    True
    >>> check_certificate({**cert, "rank": cert["rank"] + 1})
    Traceback (most recent call last):
    ...
    tnrnn.errors.CertificateError: certificate rank 9 exceeds min(n_A, n_B) = 8 or the upper bound 8
    """
    from ..errors import SpecError
    from .guarantee import repetition_bound
    from .modp import check_prime
    from .checks import DEFAULT_MAX_MEMORY, DEFAULT_MAX_SECONDS, H0_KINDS, INPUT_KINDS, check_round
    from .result import RankResult, _certainty
    from .rounds import certified_sample_rank, previous_prime, repetition_seed
    from .schedule import plan_guarantee
    from .weights import weights_hash

    if not isinstance(cert, dict):
        raise CertificateError(f"a certificate must be a dict; got {type(cert).__name__}")
    if cert.get("format") != CERTIFICATE_FORMAT:
        raise CertificateError(f"certificate format must be {CERTIFICATE_FORMAT!r}; "
                               f"got {cert.get('format')!r}")
    if cert.get("version") != CERTIFICATE_VERSION:
        raise CertificateError(f"certificate version {cert.get('version')!r} is not "
                               f"supported; this tnrnn reads version {CERTIFICATE_VERSION}")
    missing = [k for k in _REQUIRED if k not in cert]
    if missing:
        raise CertificateError(f"certificate is missing the fields {missing}")
    spec = spec_from_dict(cert["spec"])
    part = _partition(cert, spec)
    inputs = cert["inputs"]
    if inputs not in INPUT_KINDS:
        raise CertificateError(f"certificate inputs must be one of {INPUT_KINDS}; "
                               f"got {inputs!r}")
    if cert["h0"] not in H0_KINDS:
        raise CertificateError(f"certificate h0 must be one of {H0_KINDS}; "
                               f"got {cert['h0']!r}")
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
    max_samples = _int_field(cert, "max_samples", 1)
    mf = cert["max_failure"]
    if isinstance(mf, bool) or not isinstance(mf, numbers.Real) or not 0 < mf <= 1:
        raise CertificateError(f"certificate max_failure must be in (0, 1]; got {mf!r}")
    M = spec.input_dim
    if inputs == "one-hot" and (n_a, n_b) != (M ** len(part.A), M ** len(part.B)):
        raise CertificateError(
            f"a one-hot certificate enumerates all halves: n_A, n_B must be "
            f"{M ** len(part.A)}, {M ** len(part.B)}; got {n_a}, {n_b}")
    if cert["method"] not in RANK_ROUTINES:
        raise CertificateError(f"certificate method must be one of "
                               f"{sorted(RANK_ROUTINES)}; got {cert['method']!r}")
    # given weights: the same file must be given, and it must hash alike
    whash = cert["weights"]
    if whash is not None:
        if params is None:
            raise CertificateError("this certificate was made with given weights "
                                   f"(SHA-256 {str(whash)[:12]}...); pass the same weights "
                                   "(--weights FILE.npz / params=)")
        got = weights_hash(spec, params)
        if got != whash:
            raise CertificateError(f"the weights given hash to {got[:12]}... but the "
                                   f"certificate was made with {str(whash)[:12]}...")
    elif params is not None:
        raise CertificateError("this certificate was made with seeded random weights; "
                               "do not pass weights to check it")
    h0 = cert["h0"]
    plan = plan_guarantee(spec, part, inputs, prime, max_samples,
                          given_weights=whash is not None, h0=h0)
    cap = plan["cap"]
    if cert.get("upper_bound") not in (None, cap):
        raise CertificateError(f"certificate upper_bound {cert['upper_bound']!r} is not "
                               f"the proven upper bound {cap} of this spec and partition")
    if stated > min(n_a, n_b) or stated > cap:
        raise CertificateError(f"certificate rank {stated} exceeds min(n_A, n_B) = "
                               f"{min(n_a, n_b)} or the upper bound {cap}")
    if inputs == "continuous" and (n_a != n_b or n_a not in plan["schedule"]):
        raise CertificateError(
            f"certificate sample size {n_a} x {n_b} is not a size of the search schedule "
            f"{plan['schedule']} (fixed by the spec, the partition and max_samples="
            f"{max_samples}), so the failure-probability bound would not apply")
    reps = cert["repetitions"]
    if not isinstance(reps, list):
        raise CertificateError(f"certificate repetitions must be a list; got {reps!r}")
    mem = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    sec = DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds
    # every size is estimated before anything is computed
    check_round(spec, part, n_a, n_b, mem, sec)
    p_j = prime
    for j, rep in enumerate(reps, start=1):
        if not isinstance(rep, dict):
            raise CertificateError(f"certificate repetition {j} must be a dict; got {rep!r}")
        p_j = previous_prime(p_j)
        if rep.get("prime") != p_j or rep.get("seed") != repetition_seed(seed, j):
            raise CertificateError(f"certificate repetition {j} must use prime {p_j} and "
                                   f"seed {repetition_seed(seed, j)}; got {rep!r}")
        for key in ("n_A", "n_B", "rank"):
            if isinstance(rep.get(key), bool) or not isinstance(rep.get(key), int) \
                    or rep[key] < 0:
                raise CertificateError(f"certificate repetition {j} field {key!r} must be "
                                       f"a non-negative integer; got {rep.get(key)!r}")
        check_round(spec, part, rep["n_A"], rep["n_B"], mem, sec)
    routine = rank_method or cert["method"]
    if rank_method is None and routine == "flint" and not flint_available():
        routine = "numpy"
    t0 = time.perf_counter()
    r, t_eval, t_rank = certified_sample_rank(spec, part, inputs, prime, seed, output,
                                              h0, n_a, n_b, routine, params)
    base = r
    if not reps and r != stated:
        raise CertificateError(
            f"the certificate states rank {stated} but re-running it gives rank {r} "
            f"({n_a} x {n_b} sample matrix mod {prime})")
    complete = inputs == "one-hot" or r < min(n_a, n_b) or r == cap
    eps = plan["bound"]
    disproved = False
    for j, rep in enumerate(reps, start=1):
        n_rep = (n_a, n_b) if inputs == "one-hot" else (base + 1, base + 1)
        if (rep["n_A"], rep["n_B"]) != n_rep:
            raise CertificateError(f"certificate repetition {j} must have n_A, n_B = "
                                   f"{n_rep}; got {rep['n_A']}, {rep['n_B']}")
        r_j, te, tr = certified_sample_rank(spec, part, inputs, rep["prime"], rep["seed"],
                                            output, h0, n_rep[0], n_rep[1], routine, params)
        t_eval, t_rank = t_eval + te, t_rank + tr
        if r_j != rep["rank"]:
            raise CertificateError(f"certificate repetition {j} states rank {rep['rank']} "
                                   f"but re-running it gives rank {r_j}")
        if r_j > base:
            if j != len(reps):
                raise CertificateError(f"certificate repetition {j} disproved rank {base}; "
                                       "no repetition may follow it")
            r, eps, disproved = r_j, None, True
            break
        eps = eps * repetition_bound(plan["degree"], base + 1, rep["prime"])
    if r != stated:
        raise CertificateError(
            f"the certificate states rank {stated} but re-running it gives rank {r} "
            f"({n_a} x {n_b} sample matrix mod {prime}"
            f"{' and its repetitions' if reps else ''})")
    if disproved:
        complete = r == cap
    if bool(cert["complete"]) != complete:
        raise CertificateError(f"certificate says complete={cert['complete']!r} but rank "
                               f"{r} of a {n_a} x {n_b} matrix (upper bound {cap}) means "
                               f"complete={complete}")
    certainty = _certainty(r, cap, complete, eps, float(mf))
    fp = 0.0 if certainty == "upper-bound" else (eps if complete else None)
    if cert["certainty"] != certainty:
        raise CertificateError(f"certificate claims certainty {cert['certainty']!r} but its "
                               f"data give {certainty!r}")
    if not _close(cert["failure_probability"], fp):
        raise CertificateError(f"certificate states failure_probability "
                               f"{cert['failure_probability']!r} but its data give {fp!r}")
    return RankResult(
        rank=r, method=f"modp-{routine}", inputs=inputs, partition=part, prime=prime,
        seed=seed, samples=(n_a, n_b), certificate=dict(cert),
        timings={"evaluate": t_eval, "rank": t_rank,
                 "total": time.perf_counter() - t0},
        complete=complete, output=output, spec=spec, upper_bound=cap, rounds=1,
        certainty=certainty, failure_probability=fp, max_failure=float(mf),
        repetitions=tuple(dict(x) for x in reps), weights=whash)
