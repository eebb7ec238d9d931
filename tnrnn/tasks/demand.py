"""Demand: the Start-End separation rank of the tasks' own label functions.

A network can only fit a task whose target it can express; the Start-End
rank of the target, matricized on the one-hot grid (rows: first halves,
columns: second halves), is what the task *demands*. These functions build
the matrices and take their exact rank mod a prime with
:func:`tnrnn.rank.rank_modp` (a rank mod ``p`` is a certified lower bound on
the rational rank); for Start-End Similarity with ``m = T/2`` the rank also
has a closed form (:func:`ses_rank_closed_form`), exact over the rationals.

Conventions. SES with ``m = T/2`` has no pad and no offset: every sequence
over the alphabet is an input, and the label is ``g(a) = round(C a / m)``
with ``a`` the number of agreeing positions of the two halves. With ``m <
T/2`` only sequences with a pad outside two aligned blocks occur; the label
matrix on them is block-diagonal over the ``T/2 - m + 1`` offsets (pairs
with different offsets never occur), each block the ``m = T/2`` matrix:
any completion has at least that block's rank, the zero-filled matrix
exactly ``T/2 - m + 1`` times it. Copying: each target symbol is a function
of the first half only.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from .._results import Record
from ..errors import SpecError, TooLargeError, check_positive_int
from .memory import ses_label

__all__ = ["ses_label_matrix", "ses_demand", "ses_rank_closed_form", "krawtchouk",
           "copying_demand", "MAX_HALVES", "TargetRank", "SESDemand", "CopyingDemand"]

#: Largest number of halves per side built by default (a MAX_HALVES^2 matrix).
MAX_HALVES = 4096


@dataclasses.dataclass(frozen=True, eq=False)
class TargetRank(Record):
    """The ranks of one SES target in :class:`SESDemand`.

    Parameters
    ----------
    rank_modp : int
        Rank mod the prime of one offset's block (a certified lower bound).
    rank_exact : int
        The closed form (:func:`ses_rank_closed_form`), exact over the rationals.
    zero_filled_rank : int
        ``offsets * rank_exact``: the rank of the zero-filled matrix.

    Examples
    --------
    >>> TargetRank(rank_modp=5, rank_exact=5, zero_filled_rank=10).to_dict()
    {'rank_modp': 5, 'rank_exact': 5, 'zero_filled_rank': 10}
    """

    rank_modp: int
    rank_exact: int
    zero_filled_rank: int


@dataclasses.dataclass(frozen=True, eq=False)
class SESDemand(Record):
    """What :func:`ses_demand` returns: the settings and the ranks per target.

    ``to_dict()`` gives the dict the previous version returned: the settings,
    then ``label`` and ``class_0``, ``class_1`` ... (one key per class, the
    entries of ``class_ranks``). Reading it by key (``d["label"]``,
    ``d["class_0"]``) still works for one release, with a
    :class:`DeprecationWarning`.

    Parameters
    ----------
    task : str
        ``'ses'``.
    length, block, alphabet, classes : int
        ``T``, ``m``, ``n`` and the number of classes ``C + 1``.
    offsets : int
        ``T/2 - m + 1`` block offsets.
    halves : int
        ``n**m`` halves per side of one block.
    prime : int
        The prime of the ranks.
    label : TargetRank
        The label function's ranks.
    class_ranks : tuple of TargetRank
        Class ``c``'s indicator's ranks at index ``c``.

    Examples
    --------
    >>> r = TargetRank(1, 1, 1)
    >>> d = SESDemand("ses", 2, 1, 2, 2, 1, 2, 7, r, (r, r))
    >>> list(d.to_dict())[-3:], d.class_ranks[1].rank_exact
    (['label', 'class_0', 'class_1'], 1)
    """

    task: str
    length: int
    block: int
    alphabet: int
    classes: int
    offsets: int
    halves: int
    prime: int
    label: TargetRank
    class_ranks: tuple

    def to_dict(self) -> dict:
        """The plain dict (``class_ranks`` as ``class_0``, ``class_1`` ...).

        Returns
        -------
        dict

        Examples
        --------
        >>> r = TargetRank(1, 1, 1)
        >>> SESDemand("ses", 2, 1, 2, 2, 1, 2, 7, r, (r, r)).to_dict()["class_1"]
        {'rank_modp': 1, 'rank_exact': 1, 'zero_filled_rank': 1}
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("label", "class_ranks")}
        out["label"] = self.label.to_dict()
        for c, r in enumerate(self.class_ranks):
            out[f"class_{c}"] = r.to_dict()
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class CopyingDemand(Record):
    """What :func:`copying_demand` returns: the settings and the ranks.

    ``to_dict()`` gives the dict the previous version returned; reading it by
    key still works for one release, with a :class:`DeprecationWarning`.

    Parameters
    ----------
    task : str
        ``'copying'``.
    delay, word_length, alphabet : int
        ``B``, ``M`` and ``n``.
    length : int
        ``T = 2 M + B``.
    words : int
        ``n**M`` rows.
    prime : int
        The prime of the ranks.
    per_output_rank_max : int
        Largest rank of a scalar target (1).
    joint_rank_modp : int
        Rank mod ``prime`` of the joint target.
    joint_rank_exact : int
        Its closed form ``M (n - 1) + 1``.

    Examples
    --------
    >>> d = CopyingDemand("copying", 1, 1, 2, 3, 2, 7, 1, 2, 2)
    >>> d.joint_rank_exact, d.to_dict()["length"]
    (2, 3)
    """

    task: str
    delay: int
    word_length: int
    alphabet: int
    length: int
    words: int
    prime: int
    per_output_rank_max: int
    joint_rank_modp: int
    joint_rank_exact: int


def _halves(alphabet: int, m: int, limit: int) -> np.ndarray:
    count = alphabet ** m
    if count > limit:
        raise TooLargeError(f"alphabet**(T/2) = {alphabet}**{m} = {count} halves per side is "
                            f"above max_halves={limit}; lower the alphabet or T, or raise "
                            "max_halves", estimate=count, limit=limit)
    return np.array(list(itertools.product(range(alphabet), repeat=m)), dtype=np.int64)


def ses_label_matrix(*, length: int, alphabet: int, classes: int = 3,
                     target: str = "label", max_halves: int = MAX_HALVES) -> np.ndarray:
    """The SES target with ``m = T/2`` on the one-hot grid, as an integer matrix.

    Rows and columns are the ``alphabet**(T/2)`` halves in lexicographic
    order. ``target="label"``: the label ``round(C a / m)``; ``target=c``
    (an int): the indicator of class ``c``.

    Parameters
    ----------
    length : int
        Sequence length ``T`` (even; ``m = T/2``).
    alphabet : int
        Alphabet size ``q``.
    classes : int
        ``C + 1`` classes.
    target : "label" or int
        The label, or the indicator of one class.
    max_halves : int
        Refuse more than this many halves per side (a ``max_halves^2`` matrix).

    Returns
    -------
    numpy.ndarray of int64, shape (q^m, q^m)

    Examples
    --------
    >>> ses_label_matrix(length=2, alphabet=2)   # m = 1, C = 2: label 2 iff equal
    array([[2, 0],
           [0, 2]])
    """
    length = check_positive_int("length", length, minimum=2)
    if length % 2:
        raise SpecError(f"length must be even; got {length}")
    alphabet = check_positive_int("alphabet", alphabet, minimum=2)
    classes = check_positive_int("classes", classes, minimum=2)
    m = length // 2
    H = _halves(alphabet, m, check_positive_int("max_halves", max_halves))
    agree = (H[:, None, :] == H[None, :, :]).sum(axis=-1)
    label = ses_label(agree, block=m, classes=classes)
    if target == "label":
        return label
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) \
            and 0 <= target < classes:
        return (label == target).astype(np.int64)
    raise SpecError(f"target must be 'label' or a class in 0..{classes - 1}; got {target!r}")


def krawtchouk(k: int, x: int, *, n: int, q: int) -> int:
    """The Krawtchouk polynomial ``K_k(x) = sum_j (-1)^j (q-1)^(k-j) C(x, j) C(n-x, k-j)``.

    Parameters
    ----------
    k : int
        Degree.
    x : int
        Argument (a Hamming distance, ``0..n``).
    n : int
        Word length.
    q : int
        Alphabet size.

    Returns
    -------
    int
        Exact (integer arithmetic).

    Examples
    --------
    >>> [krawtchouk(1, x, n=3, q=2) for x in range(4)]
    [3, 1, -1, -3]
    >>> # orthogonality: sum_x C(n,x)(q-1)^x K_j(x) K_k(x) = 0 for j != k
    >>> import math
    >>> sum(math.comb(4, x) * 2 ** x * krawtchouk(1, x, n=4, q=3) * krawtchouk(2, x, n=4, q=3)
    ...     for x in range(5))
    0
    """
    return sum((-1) ** j * (q - 1) ** (k - j) * math.comb(x, j) * math.comb(n - x, k - j)
               for j in range(k + 1))


def ses_rank_closed_form(*, length: int, alphabet: int, classes: int = 3,
                         target="label") -> int:
    """Exact rational rank of :func:`ses_label_matrix`, by the Hamming scheme.

    Parameters
    ----------
    length : int
        Sequence length ``T`` (``m = T/2``).
    alphabet : int
        Alphabet size ``q``.
    classes : int
        ``C + 1`` classes.
    target : "label" or int
        The label, or the indicator of one class.

    Returns
    -------
    int

    Notes
    -----
    **[derived]** The matrix ``A[a, b] = f(d(a, b))`` (``d`` the Hamming
    distance between halves of length ``m`` over ``q`` symbols) lies in the
    Bose-Mesner algebra of the Hamming scheme ``H(m, q)``: its eigenvalues
    are ``lambda_j = sum_d f(d) K_d(j)`` with multiplicity
    ``C(m, j) (q - 1)^j`` (``K_d`` the Krawtchouk polynomials; the
    characters of ``Z_q^m`` diagonalise every such matrix). Its rank is the
    sum of the multiplicities of the non-zero ``lambda_j``, computed here in
    integers, so exactly.

    Examples
    --------
    >>> ses_rank_closed_form(length=2, alphabet=2)
    2
    >>> ses_rank_closed_form(length=8, alphabet=2), ses_rank_closed_form(length=12, alphabet=3)
    (6, 505)
    """
    m, q = length // 2, alphabet
    values = [int(v) for v in ses_label(np.arange(m + 1), block=m, classes=classes)]
    if target != "label":
        values = [int(v == target) for v in values]
    f = [values[m - d] for d in range(m + 1)]  # as a function of the distance d = m - agree
    rank = 0
    for j in range(m + 1):
        lam = sum(f[d] * krawtchouk(d, j, n=m, q=q) for d in range(m + 1))
        if lam != 0:
            rank += math.comb(m, j) * (q - 1) ** j
    return rank


def ses_demand(*, length: int, alphabet: int, block: int | None = None, classes: int = 3,
               prime: int = 2_147_483_647, max_halves: int = MAX_HALVES) -> SESDemand:
    """Ranks mod ``prime`` of the SES label and class indicators, with the closed forms.

    ``block=None`` means ``m = T/2``. For ``m < T/2`` the ranks of one offset's
    block are returned (with ``offsets``): a lower bound for any label
    function that agrees with the task on the inputs it produces; the
    zero-filled matrix has ``offsets`` times that rank.

    Parameters
    ----------
    length : int
        Sequence length ``T``.
    alphabet : int
        Alphabet size.
    block : int, optional
        Block length ``m <= T/2`` (default ``T/2``).
    classes : int
        ``C + 1`` classes.
    prime : int
        The prime of the rank.
    max_halves : int
        Refuse more than this many halves per side (a ``max_halves^2`` matrix).

    Returns
    -------
    SESDemand
        The settings, and per target (``label``, ``class_ranks``) its
        ``rank_modp``, ``rank_exact`` and ``zero_filled_rank``.

    Examples
    --------
    >>> d = ses_demand(length=8, alphabet=3)
    >>> d.label.rank_modp, d.label.rank_exact, d.halves, len(d.class_ranks)
    (81, 81, 81, 3)
    """
    from ..rank import rank_modp

    m = length // 2 if block is None else check_positive_int("block", block)
    if m > length // 2:
        raise SpecError(f"block must be at most length / 2 = {length // 2}; got block={m}")
    offsets = length // 2 - m + 1
    ranks = []
    for target in ["label", *range(classes)]:
        Y = ses_label_matrix(length=2 * m, alphabet=alphabet, classes=classes, target=target,
                             max_halves=max_halves)
        r = int(rank_modp(Y, prime))
        exact = ses_rank_closed_form(length=2 * m, alphabet=alphabet, classes=classes,
                                     target=target)
        ranks.append(TargetRank(rank_modp=r, rank_exact=exact, zero_filled_rank=offsets * exact))
    return SESDemand(task="ses", length=length, block=m, alphabet=alphabet, classes=classes,
                     offsets=offsets, halves=alphabet ** m, prime=prime, label=ranks[0],
                     class_ranks=tuple(ranks[1:]))


def copying_demand(*, delay: int, word_length: int, alphabet: int,
                   prime: int = 2_147_483_647, max_halves: int = MAX_HALVES) -> CopyingDemand:
    """Start-End ranks of the copying task's targets on its own inputs.

    Rows: the ``n**M`` words (the first half; ``T/2 >= M``); the second half
    of every input is the same (blanks and the marker). Each scalar target
    (``[symbol at step T - M + j == c]``) depends on the first half only:
    rank 1. The joint target (all ``M`` steps, all ``n`` letters stacked on
    the End side) has rank ``M (n - 1) + 1`` **[derived]**: the rows are
    ``e_(1, w_1) + ... + e_(M, w_M)``, which span the vectors whose block sums
    are all equal.

    Parameters
    ----------
    delay : int
        ``B`` (recorded; the ranks do not depend on it).
    word_length : int
        ``M``.
    alphabet : int
        ``n`` letters.
    prime : int
        The prime of the rank.
    max_halves : int
        Refuse more than this many halves per side (a ``max_halves^2`` matrix).

    Returns
    -------
    CopyingDemand
        The settings, ``per_output_rank_max``, ``joint_rank_modp`` and the
        closed form ``joint_rank_exact``.

    Examples
    --------
    >>> d = copying_demand(delay=2, word_length=2, alphabet=3)
    >>> d.per_output_rank_max, d.joint_rank_modp, d.joint_rank_exact
    (1, 5, 5)
    """
    from ..rank import rank_modp

    n, M = alphabet, word_length
    words = _halves(n, M, check_positive_int("max_halves", max_halves))
    # joint: rows = words, columns = (step j, letter c): indicator word[j] == c
    J = np.zeros((len(words), M * n), dtype=np.int64)
    for j in range(M):
        J[np.arange(len(words)), j * n + words[:, j]] = 1
    per_output = [int(rank_modp(J[:, [k]], prime)) for k in range(M * n)]
    return CopyingDemand(task="copying", delay=delay, word_length=M, alphabet=n,
                         length=2 * M + delay, words=len(words), prime=prime,
                         per_output_rank_max=max(per_output),
                         joint_rank_modp=int(rank_modp(J, prime)),
                         joint_rank_exact=M * (n - 1) + 1)
