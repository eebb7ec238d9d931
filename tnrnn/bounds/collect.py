"""Every bound that applies to a spec and partition, each labelled.

Which bound applies to which partition (``SCOPES``):

* **Start-End only** (``A = {1..T/2}`` or its swap): the published depth-1
  and depth-2 statements, the derived depth-2 upper bound, the empirical
  depth-2 value and the depth-``L`` conjecture. They are proved (or
  observed) for that split and say nothing about another.
* **Prefix** ``A = {1..k}`` (or its swap): ``U_sym``, because its proof only
  needs a time step ``k`` before which every step is on one side, so that
  the boundary states ``h[k, 1..L]`` carry all of that side's influence.
* **Any partition**: the input-side caps (they count monomials in the
  inputs of one side) and the min-cut bound (any partition of open legs).

Examples
--------
>>> from tnrnn.circuit import RAC
>>> for b in all_bounds(RAC(2, 3, 3, 8)):
...     print(f"{b.name:18} {b.kind:5} {b.value:>6}  {b.status}")
depth2-lower       lower     15  theorem
depth2-empirical   lower     45  empirical
depth2-upper       upper     45  derived
u-sym              upper     45  derived
poly-cap           upper   2700  derived
min-cut            upper    243  theorem
"""

from __future__ import annotations

from ..circuit import RAC, TTRNN
from ..errors import SpecError, TooLargeError
from ..partition import Partition, parse_partition
from . import closed_forms as cf
from ._records import Bound, format_int as _f
from ._sizes import DEFAULT_MAX_SECONDS, check_work, estimate_log2
from .treecut import DEFAULT_MAX_LOG2, tree_min_cut

__all__ = ["all_bounds", "tightest", "SCOPES", "INPUT_SPACES"]

#: The ``inputs`` argument of :func:`all_bounds`.
INPUT_SPACES = ("continuous", "one-hot")

#: Bound name -> the partitions it applies to.
SCOPES = {
    "depth1-upper": "start-end",
    "depth1-generic": "start-end",
    "depth2-lower": "start-end",
    "depth2-upper": "start-end",
    "depth2-empirical": "start-end",
    "depthL-conjecture": "start-end",
    "u-sym": "prefix",
    "grid-cap": "any",
    "poly-cap": "any",
    "input-cap": "any",
    "min-cut": "any",
}

_LEVINE = "as stated in Levine et al. (arXiv 1710.09431)"


def _check(spec, partition, inputs, form) -> tuple:
    if not isinstance(spec, (RAC, TTRNN)):
        raise SpecError(f"spec must be a RAC or TTRNN; got {type(spec).__name__}")
    if inputs not in INPUT_SPACES:
        raise SpecError(f"inputs must be one of {INPUT_SPACES}; got {inputs!r}")
    if isinstance(spec, TTRNN):
        if form not in (None, "core"):
            raise SpecError(f"a TTRNN has a general core and compiles only in form "
                            f"'core'; got form={form!r}")
        form = "core"
    elif form is None:
        form = "cp"
    elif form not in ("cp", "core"):
        raise SpecError(f"form must be one of ('cp', 'core'); got {form!r}")
    if not (partition is None or isinstance(partition, (str, Partition))):
        raise SpecError(f"partition must be a name ('start-end', 'odd-even', "
                        f"'A:1,2,5') or a Partition; got {type(partition).__name__}")
    return parse_partition(partition, spec.length), form


def all_bounds(spec, partition="start-end", inputs: str = "continuous", *,
               form: str | None = None, max_log2: float = DEFAULT_MAX_LOG2,
               max_seconds: float = DEFAULT_MAX_SECONDS) -> list:
    """Every bound on the separation rank of ``spec`` for ``partition`` and
    the input space ``inputs``, each labelled (:class:`Bound`).

    Parameters
    ----------
    spec : RAC or TTRNN
    partition : str or Partition, default "start-end"
    inputs : {"continuous", "one-hot"}
        Which separation rank: of the polynomial, or of the one-hot grid
        tensor. Bounds labelled ``"both"`` are returned for either.
    form : {"cp", "core"}, optional
        Compile form for the min-cut (default ``"cp"`` for a RAC, whose cuts
        include every cut of ``"core"``; a TTRNN is ``"core"``).
    max_log2 : float
        Refuse when a bound is estimated above ``2**max_log2`` (default
        ``2**20`` bits, about 315,000 decimal digits: larger exact integers
        take seconds to minutes to print). Also passed to
        :func:`tree_min_cut`.
    max_seconds : float
        Refuse when the min-cut programme (``O(T L)`` steps) is estimated
        to take longer.

    Returns
    -------
    list of Bound
        Lower bounds first, then upper bounds; the min-cut bound carries its
        :class:`TreeCut` as certificate. The min-cut is the structured tree
        programme (never builds the network); for a TT-RNN it is the MPS
        min-cut.

    Raises
    ------
    SpecError, PartitionError
        On a bad argument, naming what was given and what is allowed.
    TooLargeError
        Before any exact work, when a bound is estimated above
        ``2**max_log2`` or the work above ``max_seconds``; the message gives
        the estimate and the argument that raises the limit.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, TTRNN
    >>> [b.name for b in all_bounds(RAC(1, 3, 3, 6), inputs="one-hot")]
    ['depth1-generic', 'depth1-upper', 'u-sym', 'grid-cap', 'poly-cap', 'min-cut']
    >>> [(b.name, b.value) for b in all_bounds(TTRNN(2, 3, 5), "A:1,3")]
    [('poly-cap', 9), ('min-cut', 6)]
    >>> all_bounds(RAC(2, 3, 3, 8), inputs="grid")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: inputs must be one of ('continuous', 'one-hot'); got 'grid'
    """
    if not isinstance(spec, (RAC, TTRNN)):
        raise SpecError(f"spec must be a RAC or TTRNN; got {type(spec).__name__}")
    for name, value in (("max_log2", max_log2), ("max_seconds", max_seconds)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise SpecError(f"{name} must be a positive number; got {value!r}")
    # Before the partition is built (it lists all T steps).
    check_work(spec.depth, spec.length, max_seconds=max_seconds, what="the bounds")
    p, form = _check(spec, partition, inputs, form)
    L, R, M, T = spec.depth, spec.hidden, spec.input_dim, spec.length
    is_rac = isinstance(spec, RAC)
    start_end = cf.is_start_end(p)
    k = cf.prefix_length(p)
    width = cf.input_width(R, M, "rac" if is_rac else "ttrnn")
    est = estimate_log2(L, R, M, T, p, k=k, m=width)
    name, big = max(est.items(), key=lambda kv: kv[1])
    if big > max_log2:
        raise TooLargeError(
            f"the {name} bound of the depth-{L}, R={R}, M={M}, T={T:,} circuit is about "
            f"2^{big:,.0f}; the limit is max_log2={max_log2:,.0f} bits (exact integers "
            f"of b bits take time ~b^2 to print)", estimate=big, limit=max_log2)
    out: list = []

    def add(name, kind, value, status, holds_for, space, formula, certificate=None):
        if space in (inputs, "both"):
            out.append(Bound(name, kind, value, status=status, holds_for=holds_for,
                             inputs=space, formula=formula, certificate=certificate))

    h = T // 2
    if start_end and L == 1:
        v = cf.depth1_generic(R, M, T)
        if is_rac:
            add("depth1-generic", "lower", v, "theorem", "almost all weights", "both",
                f"sep = min(R, M^(T/2)) = min({R}, {M}^{h}) = {_f(v)} for almost all weights "
                f"(depth-1 RAC, Start-End; one-hot grid rank equal), {_LEVINE}")
            add("depth1-upper", "upper", R, "theorem", "all weights", "both",
                f"sep <= R = {R} for all weights (depth-1 RAC, Start-End), {_LEVINE}")
        else:
            add("depth1-generic", "lower", v, "derived", "almost all weights", "both",
                f"sep = min(R, M^(T/2)) = {_f(v)} for almost all TT cores: the RAC cores "
                f"are TT cores reaching it (theorem for depth-1 RACs, {_LEVINE}), and "
                f"R, M^(T/2) bound it")
    if is_rac and start_end and L == 2:
        v = cf.depth2_lower(R, M, T)
        add("depth2-lower", "lower", v, "theorem", "almost all weights", "continuous",
            f"sep >= C(min(M,R) + T/2 - 1, T/2) = C({min(M, R)}+{h}-1, {h}) = {_f(v)} for "
            f"almost all weights (depth-2 RAC, Start-End), {_LEVINE}")
        if M >= R:
            v = cf.depth2_empirical(R, M, T)
            add("depth2-empirical", "lower", v, "empirical", "almost all weights",
                "continuous",
                f"sep = min(R*C(R+T/2-1, T/2), poly-cap, min-cut) = {_f(v)} (the least "
                f"proved upper bound) observed with exact arithmetic for depth 2, "
                f"M >= R (here M={M}, R={R}), Start-End, continuous inputs; "
                f"not proven")
        v = cf.depth2_upper(R, T)
        add("depth2-upper", "upper", v, "derived", "all weights", "both",
            f"sep <= R*C(R + T/2 - 1, T/2) = {R}*C({R}+{h}-1, {h}) = {_f(v)} "
            f"(U_sym at depth 2)")
    if is_rac and start_end and L >= 3:
        D = cf.conjecture_degree(L, T)
        v = cf.conjectured_lower(L, R, M, T)
        add("depthL-conjecture", "lower", v, "conjecture", "almost all weights",
            "continuous",
            f"conjectured sep >= C(min(M,R) + D - 1, D), D = C(T/2+L-2, L-1) = {_f(D)}: "
            f"{_f(v)} (published conjecture, exact form unverified; not asserted)")
    if k is not None:
        D = cf.boundary_degrees(L, T, k)
        v = cf.u_sym(L, R, T, p)
        add("u-sym", "upper", v, "derived", "all weights", "both",
            f"sep <= U_sym = prod_l C(R + D_l - 1, D_l) = {_f(v)}, boundary states "
            f"h[{k}, 1..{L}] of degrees D_l = C(T-k+L-l-1, L-l) = [{', '.join(_f(d) for d in D)}] "
            f"(prefix split at k={k})")
    v = cf.grid_cap(M, T, p)
    add("grid-cap", "upper", v, "derived", "all weights", "one-hot",
        f"grid rank <= M^min(|A|,|B|) = {M}^{min(len(p.A), len(p.B))} = {_f(v)}")
    caps = cf.poly_cap_sides(L, M, T, p)
    v = min(caps)
    side = "A" if caps[0] <= caps[1] else "B"
    add("poly-cap", "upper", v, "derived", "all weights", "both",
        f"sep <= prod_(t in {side}) C(M + n_t - 1, n_t) = {_f(v)}, y of degree "
        f"n_t = C(T-t+L-1, L-1) in x_t (side {side} gives the smaller product)")
    cut = tree_min_cut(L, R, M, T, p, form=form, max_log2=max_log2)
    add("min-cut", "upper", cut.value, "theorem", "all weights", "both",
        f"rank <= product of the sizes on a minimum cut of the duplicated "
        f"{'MPS' if L == 1 else 'network'} (form {form!r}): R^{cut.cut_bonds} * "
        f"M^{cut.cut_legs} = {_f(cut.value)}; min-cut bound as stated in Levine et al. "
        f"(arXiv 1704.01552), applied to the network that is multilinear in the "
        f"input copies (copies set equal give the circuit)", certificate=cut)
    if width < M:
        caps = cf.input_cap_sides(L, R, M, T, p, arch="rac" if is_rac else "ttrnn")
        v = min(caps)
        side = "A" if caps[0] <= caps[1] else "B"
        via = "W_I x_t in R^R" if is_rac else "the R x R matrix G(x_t)"
        add("input-cap", "upper", v, "derived", "all weights", "both",
            f"sep <= prod_(t in {side}) C(m + n_t - 1, n_t) = {_f(v)} with "
            f"m = {'min(M, R)' if is_rac else 'min(M, R^2)'} = {width}: x_t enters only "
            f"through {via} (side {side} gives the smaller product)")
    out.sort(key=lambda b: b.kind != "lower")  # stable: lower bounds first
    return out


def tightest(bounds, kind: str, *, statuses=("theorem", "derived")):
    """The tightest bound of ``kind`` among ``bounds`` whose status is in
    ``statuses`` (by default only proved ones: no empirical value and no
    conjecture), or ``None``.

    Parameters
    ----------
    bounds : iterable of Bound
        As returned by :func:`all_bounds`.
    kind : {"upper", "lower"}
    statuses : tuple of str, default ("theorem", "derived")
        The statuses taken into account.

    Returns
    -------
    Bound or None
        The least upper (greatest lower) bound, ``None`` when none qualifies.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> bs = all_bounds(RAC(2, 3, 3, 8))
    >>> tightest(bs, "upper").value, tightest(bs, "lower").value
    (45, 15)
    >>> tightest(bs, "sideways")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: kind must be 'upper' or 'lower'; got 'sideways'
    """
    if kind not in ("upper", "lower"):
        raise SpecError(f"kind must be 'upper' or 'lower'; got {kind!r}")
    pool = [b for b in bounds if b.kind == kind and b.status in statuses]
    if not pool:
        return None
    pick = min if kind == "upper" else max
    return pick(pool, key=lambda b: b.value)
