"""The plan of a certification, fixed before it runs: the proven upper
bound on the rank (:func:`sample_cap`), the sizes the search may try
(:func:`sample_schedule`) and the failure bound of the whole search
(:func:`plan_guarantee`).

:func:`tnrnn.rank.separation_rank` follows this plan and
:func:`tnrnn.rank.check_certificate` re-derives it from a certificate, so
both import it from here (re-exported by :mod:`tnrnn.rank.separation`).
"""

from __future__ import annotations

import math

from ..circuit import RAC, Spec
from ..compile import input_copies
from ..partition import Partition
from .guarantee import output_degree, search_failure_bound
from .sampling import prefix_length

__all__ = ["INITIAL_SAMPLES", "first_sample_size", "sample_cap", "sample_schedule",
           "next_sample_size", "plan_guarantee"]

#: Halves per side in the first round of the adaptive search.
INITIAL_SAMPLES = 64
#: When the known upper bound + 1 is at most this, start there directly.
_DIRECT_START = 512
#: Caps up to this are tried at once by :func:`sample_schedule`.
_DIRECT_CAP = 1024


def first_sample_size(cap: int, max_samples: int) -> int:
    """Halves per side in the first round: ``cap + 1`` when that is at most
    512 (one round then settles it), else 64; never above ``max_samples``.

    Parameters
    ----------
    cap : int
        :func:`sample_cap`.
    max_samples : int
        The cap per side.

    Returns
    -------
    int
        Halves per side.

    Examples
    --------
    >>> first_sample_size(140, 4096), first_sample_size(660, 4096)
    (141, 64)
    """
    first = cap + 1 if cap + 1 <= _DIRECT_START else INITIAL_SAMPLES
    return min(first, cap + 1, max_samples)


def _side_cap(spec: Spec, steps: tuple, inputs: str) -> int:
    M, T, L = spec.input_dim, spec.length, spec.depth
    # y is homogeneous of degree n_t = C(T-t+L-1, L-1) in x_t: for fixed
    # inputs on the other side it lies in the span of the monomials of those
    # degrees, C(m + n_t - 1, n_t) of them per step, where m = min(M, R) for
    # a RAC (x_t enters only through the R-vector W_I[1] x_t) and M otherwise.
    m = min(M, spec.hidden) if isinstance(spec, RAC) else M
    poly = math.prod(math.comb(m + input_copies(T, L, t) - 1, input_copies(T, L, t))
                     for t in steps)
    if inputs == "one-hot":
        return min(M ** len(steps), poly)
    return poly


def sample_cap(spec: Spec, partition: Partition, inputs: str = "continuous") -> int:
    """An upper bound on the separation rank, valid for all weights: the
    search never needs more than this many halves per side, and a rank equal
    to it is exact with certainty.

    The least of:

    * per side, the number of monomials ``y`` can use in that side's inputs:
      ``prod_t C(m + n_t - 1, n_t)`` with ``n_t = C(T-t+L-1, L-1)`` the degree
      of ``y`` in ``x_t`` and ``m = min(M, R)`` for a RAC (``x_t`` enters
      only through the ``R``-vector ``W_I[1] x_t``, so ``y`` is a polynomial
      of that degree in ``R`` variables), ``m = M`` for a TT-RNN; for one-hot
      inputs also ``M^|side|`` **[derived]**;
    * when one side is exactly the leading steps ``1..k`` (a prefix | suffix
      split such as Start-End): all its influence flows
      through the boundary states ``h[k, l]``, in which ``y`` is homogeneous
      of degree ``D_l = C(T-k+L-l-1, L-l)``, so the rank is at most
      ``U_sym = prod_l C(R + D_l - 1, D_l)`` (``R`` at depth 1) **[derived]**
      (``docs/theory.md``).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    inputs : {"continuous", "one-hot"}
        How the halves are drawn.

    Returns
    -------
    int
        The bound.

    Examples
    --------
    >>> from tnrnn.partition import start_end, odd_even
    >>> sample_cap(RAC(2, 4, 4, 16), start_end(16))      # 4 * C(11, 8)
    660
    >>> sample_cap(RAC(2, 4, 4, 4), start_end(4), "one-hot")
    16
    >>> sample_cap(RAC(2, 4, 5, 5), odd_even(5))         # min(M, R) = 4 per step
    350
    """
    cap = min(_side_cap(spec, partition.A, inputs), _side_cap(spec, partition.B, inputs))
    lead = partition.A if 1 in partition.A else partition.B
    k = prefix_length(lead)
    if k < len(lead):  # not a prefix | suffix split: no boundary-state bound
        return cap
    T, L, R = spec.length, spec.depth, spec.hidden
    u_sym = 1
    for l in range(1, L + 1):
        D = math.comb(T - k + L - l - 1, L - l)
        u_sym *= math.comb(R + D - 1, D)
    return min(cap, u_sym)


def sample_schedule(cap: int, max_samples: int) -> list:
    """The sizes ``n_1 < n_2 < ...`` the continuous search may try, fixed in
    advance: ``cap`` at once when it is at most 1,024 (one round settles it),
    else 64, 128, ... doubling, jumping to ``cap`` once the next doubling
    would pass half of it; never above ``max_samples``. The search stops at
    the first size whose matrix is rank-deficient; a full-rank ``cap x cap``
    matrix proves ``= cap`` outright.

    Parameters
    ----------
    cap : int
        :func:`sample_cap`.
    max_samples : int
        The cap per side.

    Returns
    -------
    list of int
        The sizes, increasing.

    Examples
    --------
    >>> sample_schedule(140, 4096)
    [140]
    >>> sample_schedule(5005, 4096)
    [64, 128, 256, 512, 1024, 2048, 4096]
    >>> sample_schedule(2971, 10**6)
    [64, 128, 256, 512, 1024, 2971]
    """
    top = min(cap, max_samples)
    if top <= _DIRECT_CAP:
        return [top]
    sizes = [min(INITIAL_SAMPLES, top)]
    while sizes[-1] < top:
        sizes.append(next_sample_size(sizes[-1], cap, max_samples))
    return sizes


def next_sample_size(n: int, cap_plus: int, max_samples: int) -> int:
    """The next sample count of a doubling search: double ``n``, but jump
    straight to ``cap_plus`` once doubling again would pass it; never above
    ``max_samples``.

    Parameters
    ----------
    n : int
        This round's size.
    cap_plus : int
        The size that settles the search (``cap + 1``, or ``cap``).
    max_samples : int
        The cap per side.

    Returns
    -------
    int
        The next size.

    Examples
    --------
    >>> [next_sample_size(n, 661, 4096) for n in (64, 128, 256)]
    [128, 256, 661]
    """
    nxt = 2 * n
    if 2 * nxt >= cap_plus:
        nxt = cap_plus
    return min(nxt, cap_plus, max_samples)


def plan_guarantee(spec: Spec, partition: Partition, inputs: str, prime: int,
                   max_samples: int, *, given_weights: bool, h0: str,
                   cap: int | None = None) -> dict:
    """The degree, schedule and failure bound of a search, before it runs:
    ``degree``, ``schedule`` (continuous) or ``sizes`` (one-hot), ``rho_max``
    and ``bound`` (:func:`~tnrnn.rank.guarantee.search_failure_bound`, or
    None when nothing is random).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    inputs : {"continuous", "one-hot"}
        How the halves are drawn.
    prime : int
        The field.
    max_samples : int
        The cap per side.
    given_weights : bool
        Whether the weights are given (then only inputs are random).
    h0 : {"random", "ones"}
        The initial states.
    cap : int, optional
        :func:`sample_cap` when already known.

    Returns
    -------
    dict
        ``degree``, ``schedule``, ``rho_max``, ``bound`` and ``cap``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> plan = plan_guarantee(RAC(2, 3, 3, 8), start_end(8), "continuous", 2**31 - 1, 4096,
    ...                       given_weights=False, h0="random")
    >>> plan["schedule"], plan["rho_max"], plan["degree"]
    ([45], 45, 134)
    >>> abs(plan["bound"] - 134 * 45 / (2**31 - 2)) < 1e-18       # D rho_max / (p - 1)
    True
    """
    if cap is None:
        cap = sample_cap(spec, partition, inputs)
    continuous = inputs == "continuous"
    degree = output_degree(spec, weights=not given_weights,
                           h0=(not given_weights and h0 == "random"), inputs=continuous)
    if continuous:
        schedule = sample_schedule(cap, max_samples)
        rho_max = min(cap, schedule[-1])
    else:
        M = spec.input_dim
        sizes = (M ** len(partition.A), M ** len(partition.B))
        schedule = [min(sizes)]
        rho_max = min(cap, *sizes)
    bound = None if degree == 0 else search_failure_bound(degree, prime, schedule, rho_max)
    return {"degree": degree, "schedule": schedule, "rho_max": rho_max, "bound": bound,
            "cap": cap}
