"""How sure is ``= r``? Schwartz-Zippel bounds for certified ranks.

A rank ``r`` of the sample matrix mod ``p`` proves ``rank >= r`` with
certainty. The claim ``= r`` (that ``r`` is the *generic* rank) is
probabilistic; this module bounds the probability that it is wrong.

Theorem (failure probability) **[derived]**
-------------------------------------------
Let ``y`` be the chosen output of a circuit whose random quantities (the
weights, the initial states and the sampled inputs, each uniform in
``GF(p)``) are the variables ``z``. Let ``D`` (:func:`output_degree`) be the
total degree of ``y`` in ``z`` and ``rho`` the generic rank over ``GF(p)``.
Sample matrices are nested: the ``n x n`` matrix is the leading block of
every larger one (halves are prefix-stable), so let ``Delta_m`` be its
leading ``m x m`` minor, a polynomial in ``z``.

1. *Generic sample matrices have full rank* ``min(n, rho)``. At weights
   where the rank is ``rho`` (they exist over the algebraic closure), write
   ``y = sum_{k <= rho} g_k(a) h_k(b)`` with the ``g_k`` and the ``h_k``
   linearly independent polynomials; ``Y = G H^T`` with ``G[i, k] =
   g_k(a_i)``, ``H[j, k] = h_k(b_j)``. Fix ``m <= rho``. Adding A-halves one
   at a time, a new row ``g(a_i)`` lies in the span of the previous ones only
   if ``lambda . g(a_i) = 0`` for some non-zero functional ``lambda``, which
   is a non-zero polynomial in the fresh ``a_i``; so halves exist with
   ``rank G_m = m``. Then ``b -> G_m h(b)`` spans ``F^m`` (a functional
   vanishing on it would make the ``h_k`` dependent, ``G_m`` being onto), so
   B-halves chosen one at a time keep the columns of ``G_m H_m^T``
   independent. Hence ``Delta_m`` is a non-zero polynomial for every
   ``m <= rho``.
2. *Degree.* Each entry of ``Y`` has degree at most ``D``, so ``Delta_m``
   has degree at most ``m D``.
3. *Schwartz-Zippel.* A non-zero polynomial of degree ``d`` vanishes, at a
   point whose coordinates are drawn independently and uniformly from sets
   of size at least ``S``, with probability at most ``d / S``. tnrnn draws
   weights and inputs from all of ``GF(p)`` and the initial states from its
   ``p - 1`` non-zero elements (a zero state makes the output vanish), so
   ``S = p - 1`` below.
4. *The search.* It tries the sizes ``n_1 < n_2 < ...`` of a schedule fixed
   in advance (it depends on the spec and the options only) and claims
   ``= r`` at the first size with ``r = rank(Y_{n_k}) < n_k``. The claim is
   wrong only if ``rho > r``, i.e. ``rank(Y_{n_k}) < min(n_k, rho)``, which
   forces ``Delta_{min(n_k, rho)} = 0``. The rounds with ``n_k >= rho`` all
   share the one polynomial ``Delta_rho``. A union bound over the distinct
   polynomials gives::

       P(wrong)  <=  D / (p - 1) * ( rho + sum_{k : n_k < rho} n_k ).

   The right side grows with ``rho``; since ``rho`` is unknown it is taken
   at ``rho_max = min(upper bound, largest size of the schedule)``
   (:func:`search_failure_bound`). A doubling schedule keeps the sum below
   ``3 rho_max``.
5. *Repetitions.* A repetition draws fresh weights, states and inputs (a new
   seed and a different prime ``p_j``) and takes the rank of one matrix of
   the fixed size ``r + 1``. Given that the first claim is wrong (``rho >
   r``), the repetition also comes back singular with probability at most
   ``(r + 1) D / (p_j - 1)`` (steps 1-3 with ``m = r + 1 <= rho``). Independent
   runs multiply: ``P(all wrong) <= eps_1 * prod_j (r + 1) D / (p_j - 1)``
   (:func:`repetition_bound`). A repetition that finds a larger rank
   disproves ``= r`` outright.

One-hot inputs enumerate every half, so only the weights and states are
random: the grid matrix has a non-zero ``rho x rho`` minor polynomial of
degree at most ``rho D`` (``D`` then counts no inputs), and one sample
matrix is taken, so ``P(wrong) <= rho_max D / (p - 1)``; a repetition (the whole
grid again, fresh weights, another prime) fails given ``rho > r`` only if a
fixed non-zero ``(r + 1)``-minor vanishes: at most ``(r + 1) D / (p_j - 1)``.

With given (not random) weights only the inputs are random: ``D`` is then
the degree of ``y`` in the inputs alone. With nothing random (given weights,
one-hot inputs) no probability applies and only ``>= r`` is claimed.

The claim is about the generic rank over ``GF(p)``. It equals the generic
rank over the rationals unless ``p`` divides every coefficient of every
``rho``-minor polynomial, a property of ``p`` alone that holds for finitely
many primes; the bounds are stated for primes outside that set (using
distinct primes for repetitions means a single exceptional prime cannot
fool every run). When ``r`` equals a proven upper bound, ``= r`` is certain
and no probability is needed.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> output_degree(RAC(1, 3, 3, 6))          # 2 + 3 T
20
>>> search_failure_bound(20, 2**31 - 1, [4], 3) < 3e-8   # 3 * 20 / (p - 1)
True
"""

from __future__ import annotations

import math

from ..circuit import TTRNN, Spec

__all__ = ["output_degree", "search_failure_bound", "repetition_bound",
           "minimum_prime", "DEFAULT_MAX_FAILURE", "MAX_REPETITIONS"]

#: Default threshold below which ``= r`` is printed (``--max-failure``).
DEFAULT_MAX_FAILURE = 1e-6
#: Most independent repetitions the search will run to reach the threshold.
MAX_REPETITIONS = 8


def output_degree(spec: Spec, *, weights: bool = True, h0: bool = True,
                  inputs: bool = True) -> int:
    """Total degree of one output ``y`` in the random variables.

    Parameters
    ----------
    spec : RAC or TTRNN
    weights, h0, inputs : bool
        Whether the weights (``W_H, W_I, W_O``; ``G, W_O``), the initial
        states and the inputs are random variables (then they count 1 per
        factor) or fixed numbers (0).

    Returns
    -------
    int
        The total degree.

    Notes
    -----
    **[derived]** By the recurrence: ``deg h[0, l] = h0``, ``deg h[t, 0] =
    inputs``, ``deg h[t, l] = (w + deg h[t-1, l]) + (w + deg h[t, l-1])``
    (the elementwise product of ``W_H h[t-1, l]`` and ``W_I h[t, l-1]``), and
    ``deg y = w + deg h[T, L]`` with ``w = weights``. For a TT-RNN,
    ``deg h_t = w + deg h_{t-1} + inputs``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, TTRNN
    >>> output_degree(RAC(2, 3, 3, 8))
    134
    >>> output_degree(RAC(2, 3, 3, 8), weights=False, h0=False)  # sum of C(T-t+1, 1)
    36
    >>> output_degree(TTRNN(2, 2, 4))
    10
    """
    w, s, x = int(bool(weights)), int(bool(h0)), int(bool(inputs))
    T = spec.length
    if isinstance(spec, TTRNN):
        return w + s + T * (w + x)
    L = spec.depth
    prev = [s] * (L + 1)          # deg h[t-1, l], l = 0..L (index 0 unused)
    for _ in range(T):
        cur = [x] + [0] * L
        for l in range(1, L + 1):
            cur[l] = (w + prev[l]) + (w + cur[l - 1])
        prev = cur
    return w + prev[L]


def search_failure_bound(degree: int, prime: int, schedule, rho_max: int) -> float:
    """Bound on the probability that the adaptive search claims ``= r``
    wrongly (theorem, step 4): ``D / (p - 1) * (rho_max + sum of n_k < rho_max)``,
    capped at 1 (``p - 1``: the initial states are drawn non-zero).

    Parameters
    ----------
    degree : int
        ``D``, the output's total degree in the random variables.
    prime : int
        The field.
    schedule : sequence of int
        Sample sizes of the search's rounds.
    rho_max : int
        The largest rank the search can claim.

    Returns
    -------
    float
        The bound, at most 1.

    Examples
    --------
    >>> search_failure_bound(10, 1001, [2, 4, 8], 5)    # 10/1000 * (5 + 2 + 4)
    0.11
    """
    if degree <= 0:
        return 0.0
    total = rho_max + sum(n for n in schedule if n < rho_max)
    return min(1.0, degree * total / (prime - 1))


def repetition_bound(degree: int, size: int, prime: int) -> float:
    """Bound for one repetition of fixed size ``size = r + 1`` (step 5):
    ``size * D / (p - 1)``, capped at 1.

    Parameters
    ----------
    degree : int
        ``D``.
    size : int
        The repetition's sample size (``r + 1``).
    prime : int
        The repetition's field.

    Returns
    -------
    float
        The bound, at most 1.

    Examples
    --------
    >>> repetition_bound(10, 5, 1001)
    0.05
    """
    return min(1.0, degree * size / (prime - 1))


def minimum_prime(degree: int, rho_max: int, schedule=()) -> int:
    """The least size a prime must exceed for the search bound to be below 1,
    i.e. for a claim ``= r`` to be possible at all:
    ``D * (rho_max + sum of n_k < rho_max) + 1`` (the bound divides by ``p - 1``).

    Parameters
    ----------
    degree : int
        ``D``.
    rho_max : int
        The largest rank the search can claim.
    schedule : sequence of int
        Sample sizes of the search's rounds.

    Returns
    -------
    int
        A prime must exceed this.

    Examples
    --------
    >>> minimum_prime(10, 5, [2, 4, 8])
    111
    """
    return degree * (rho_max + sum(n for n in schedule if n < rho_max)) + 1


def format_probability(eps: float) -> str:
    """``3e-12`` style, one significant digit rounded up (a bound stays a bound).

    Parameters
    ----------
    eps : float
        A probability bound.

    Returns
    -------
    str
        Its text.

    Examples
    --------
    >>> format_probability(2.71e-12), format_probability(0.5), format_probability(0.0)
    ('3e-12', '0.5', '0')
    """
    if eps <= 0:
        return "0"
    if eps >= 0.1:
        return f"{math.ceil(eps * 10) / 10:g}"
    e = math.floor(math.log10(eps))
    m = math.ceil(eps / 10 ** e - 1e-9)
    if m >= 10:
        m, e = 1, e + 1
    return f"{m}e{e:d}"
