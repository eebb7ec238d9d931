"""Compile a circuit spec into a tensor network.

* A TT-RNN, and a depth-1 RAC, compile to a matrix product state (MPS): one
  site per time step, bond dimension ``R``, physical dimension ``M``.
* A RAC of depth ``L`` compiles to the multilayer network with duplicated
  sub-networks (``docs/theory.md`` section 4): a tensor network cannot
  copy a value, and ``h[t, l]`` feeds both ``(t+1, l)`` and ``(t, l+1)``, so
  the sub-network computing it is repeated once per use. The result is a tree
  rooted at the output. For ``L = 1`` this tree *is* the MPS chain.

Two forms of a RAC unit are available:

``"cp"`` (default)
    a 3-leg copy tensor (delta) joined to ``W_H`` and ``W_I`` matrices; every
    weight sits on its own tensor, as in the papers' diagrams.
``"core"``
    one fused core ``G[i, d, j] = W_H[j, i] W_I[j, d]`` per unit (the TT form).

Counts **[derived]** (output at unit ``(T, L)``): unit ``(t, l)`` appears
``C(T-t+L-l, L-l)`` times (monotone lattice paths from ``(t, l)`` to
``(T, L)``), input ``x_t`` appears ``C(T-t+L-1, L-1)`` times, there are
``C(T+L, L) - 1`` unit copies and ``C(T+L-1, L)`` input leaves in all, and
``C(T+L-1, L-1)`` initial-state leaves (hockey-stick identity over layers).

Examples
--------
>>> from tnrnn.circuit import RAC
>>> net = compile_network(RAC(depth=2, hidden=3, input_dim=3, length=4))
>>> net.input_leaves()
{1: 4, 2: 3, 3: 2, 4: 1}
>>> estimate_size(RAC(2, 3, 3, 4)).units
14
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from .circuit import TTRNN, Params, RACParams, Spec, TTParams, rac_core, validate_params
from .errors import SpecError, TooLargeError, check_positive_int
from .network import Leg, Network, Tensor

__all__ = [
    "FORMS",
    "DEFAULT_MAX_TENSORS",
    "SizeEstimate",
    "estimate_size",
    "unit_copies",
    "input_copies",
    "compile_network",
    "tensor_arrays",
    "check_network_spec",
    "export_network",
    "EXPORT_FORMAT",
]

FORMS = ("cp", "core")

#: Default refusal threshold for :func:`compile_network` (tensors built).
DEFAULT_MAX_TENSORS = 200_000


@dataclasses.dataclass(frozen=True)
class SizeEstimate:
    """Exact size of a compiled network, computed from closed forms before
    anything is built.

    Parameters
    ----------
    units : int
        Unit copies (RAC units, duplicates included).
    input_leaves : int
        Open input legs (copies of the inputs).
    state_leaves : int
        Copies of the initial hidden states.
    tensors : int
        Tensors in the network.
    bonds : int
        Contracted indices.
    entries : int
        Total entries stored in all tensors (memory, in numbers).

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(2, 2, 3, 4)
    >>> e, net = estimate_size(spec), compile_network(spec)
    >>> (e.tensors, e.bonds, e.input_leaves) == (net.num_tensors, len(net.bonds()),
    ...                                          len(net.input_legs()))
    True
    >>> sorted(e.to_dict())
    ['bonds', 'entries', 'input_leaves', 'state_leaves', 'tensors', 'units']
    """

    units: int
    input_leaves: int
    state_leaves: int
    tensors: int
    bonds: int
    entries: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def unit_copies(T: int, L: int, t: int, l: int) -> int:
    """Copies of unit ``(t, l)`` in the depth-``L``, length-``T`` network:
    ``C(T - t + L - l, L - l)``.

    Parameters
    ----------
    T, L : int
        Length and depth of the RAC.
    t, l : int
        The unit's 1-based time step and layer.

    Returns
    -------
    int

    Examples
    --------
    Counted in the compiled network (the tensors of kind ``"W_H"`` of unit
    ``(t, 1)``, one per copy):

    >>> from collections import Counter
    >>> from tnrnn.circuit import RAC
    >>> net = compile_network(RAC(2, 2, 2, 4))
    >>> seen = Counter(x.unit for x in net.tensors if x.kind == "W_H")
    >>> [seen[(t, 1)] for t in range(1, 5)] == [unit_copies(4, 2, t, 1) for t in range(1, 5)]
    True
    >>> [unit_copies(4, 2, t, 1) for t in range(1, 5)]
    [4, 3, 2, 1]
    """
    T, L = check_positive_int("T", T), check_positive_int("L", L)
    t, l = check_positive_int("t", t), check_positive_int("l", l)
    if t > T or l > L:
        raise SpecError(f"unit (t, l) must have 1 <= t <= T = {T}, 1 <= l <= L = {L}; "
                        f"got ({t}, {l})")
    return math.comb(T - t + L - l, L - l)


def input_copies(T: int, L: int, t: int) -> int:
    """Copies of input ``x_t``: ``C(T - t + L - 1, L - 1)``; also the degree
    of the RAC output as a polynomial in ``x_t``.

    Parameters
    ----------
    T, L : int
        Length and depth of the RAC.
    t : int
        The 1-based time step.

    Returns
    -------
    int

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> net = compile_network(RAC(3, 2, 2, 4))
    >>> [net.input_leaves()[t] for t in range(1, 5)]
    [10, 6, 3, 1]
    >>> [input_copies(4, 3, t) for t in range(1, 5)]
    [10, 6, 3, 1]
    """
    T, L, t = check_positive_int("T", T), check_positive_int("L", L), check_positive_int("t", t)
    if t > T:
        raise SpecError(f"time step t must be in 1..T = {T}; got {t}")
    return math.comb(T - t + L - 1, L - 1)


def _check_form(spec: Spec, form: str | None) -> str:
    from .circuit import RAC

    if not isinstance(spec, (RAC, TTRNN)):
        raise SpecError(f"spec must be a RAC or TTRNN (tnrnn.RAC(depth, hidden, input_dim, "
                        f"length)); got {type(spec).__name__} {spec!r:.60}")
    if form is None:
        return "core" if isinstance(spec, TTRNN) else "cp"
    if form not in FORMS:
        raise SpecError(f"form must be one of {FORMS}; got {form!r}")
    if isinstance(spec, TTRNN) and form != "core":
        raise SpecError(f"a TTRNN has a general core and compiles only in form "
                        f"'core'; got form={form!r}")
    return form


def estimate_size(spec: Spec, form: str | None = None) -> SizeEstimate:
    """Size of ``compile_network(spec, form)`` without building it.

    Parameters
    ----------
    spec : RAC or TTRNN
    form : {"cp", "core"}, optional
        As in :func:`compile_network` (default ``"cp"`` for a RAC, ``"core"``
        for a TT-RNN).

    Returns
    -------
    SizeEstimate

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> e = estimate_size(RAC(3, 2, 2, 10))
    >>> e.units, e.input_leaves
    (285, 220)
    """
    form = _check_form(spec, form)
    T, L, R = spec.length, spec.depth, spec.hidden
    units = math.comb(T + L, L) - 1
    inputs = math.comb(T + L - 1, L)
    states = math.comb(T + L - 1, L - 1)
    per_unit = 3 if form == "cp" else 1
    tensors = per_unit * units + states + 1
    # Units of layer l: sum_t C(T-t+L-l, L-l) = C(T+L-l, L-l+1).
    layer_units = [math.comb(T + L - l, L - l + 1) for l in range(1, L + 1)]
    if form == "cp":
        unit_entries = sum(n * (R**3 + R * R + R * spec.layer_input_dim(l))
                           for l, n in zip(range(1, L + 1), layer_units))
    else:
        unit_entries = sum(n * R * R * spec.layer_input_dim(l)
                           for l, n in zip(range(1, L + 1), layer_units))
    entries = unit_entries + states * R + spec.outputs * R
    return SizeEstimate(units=units, input_leaves=inputs, state_leaves=states,
                        tensors=tensors, bonds=tensors - 1, entries=entries)


def compile_network(spec: Spec, *, form: str | None = None,
                    max_tensors: int = DEFAULT_MAX_TENSORS) -> Network:
    """Compile ``spec`` into its tensor network.

    Parameters
    ----------
    spec : RAC or TTRNN
    form : {"cp", "core"}, optional
        How a RAC unit is drawn (see the module docstring); default ``"cp"``
        for a RAC. A TTRNN is always ``"core"``.
    max_tensors : int
        Refuse, before building, networks with more tensors than this.

    Returns
    -------
    Network
        Open legs: one ``"input"`` leg per input copy, labelled by time step
        and copy number, then one ``"output"`` leg ``"y"`` of size ``K``.

    Raises
    ------
    TooLargeError
        With the size estimate, when it exceeds ``max_tensors``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, TTRNN
    >>> mps = compile_network(TTRNN(hidden=2, input_dim=3, length=5))
    >>> mps.summary()["kinds"]
    {'W_O': 1, 'core': 5, 'h0': 1}
    >>> compile_network(RAC(3, 2, 2, 60), max_tensors=1000)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the depth-3, T=60 network would have 121,022 tensors (39,710 unit copies, 37,820 input leaves, 639,144 stored entries); the limit is max_tensors=1,000
    """
    form = _check_form(spec, form)
    max_tensors = check_positive_int("max_tensors", max_tensors)
    est = estimate_size(spec, form)
    if est.tensors > max_tensors:
        raise TooLargeError(
            f"the depth-{spec.depth}, T={spec.length} network would have "
            f"{est.tensors:,} tensors ({est.units:,} unit copies, "
            f"{est.input_leaves:,} input leaves, {est.entries:,} stored entries); "
            f"the limit is max_tensors={max_tensors:,}",
            estimate=est.tensors, limit=max_tensors)
    return _build(spec, form)


def _build(spec: Spec, form: str) -> Network:
    T, L, R = spec.length, spec.depth, spec.hidden
    sizes: dict = {"y": spec.outputs}
    tensors: list = []
    legs: list = []
    copies: dict = {}

    def next_copy(key) -> int:
        k = copies.get(key, 0)
        copies[key] = k + 1
        return k

    # Iterative depth-first walk from the output unit (T, L). Each stack item
    # is (t, l, index name this unit's output must carry).
    tensors.append(Tensor("O", ("y", f"h{T}.{L}#0"), kind="W_O", param=("W_O",)))
    stack = [(T, L)]
    while stack:
        t, l = stack.pop()
        k = next_copy((t, l))
        tag = f"{t}.{l}#{k}"
        out = f"h{tag}"
        sizes[out] = R
        # Child along time: unit (t-1, l), or the initial state of layer l.
        if t > 1:
            prev = f"h{t - 1}.{l}#{copies.get((t - 1, l), 0)}"
        else:
            ks = next_copy(("h0", l))
            prev = f"s{l}#{ks}"
            sizes[prev] = R
            tensors.append(Tensor(f"S{l}#{ks}", (prev,), kind="h0",
                                  param=("h0", l - 1), unit=(0, l), copy=ks))
        # Child along depth: unit (t, l-1), or the input leg x_t.
        if l > 1:
            # Its copy number is assigned when popped; the DFS pops the
            # below-child right after this unit (it is pushed last).
            below = None
        else:
            kx = next_copy(("x", t))
            below = f"x{t}#{kx}"
            sizes[below] = spec.input_dim
            legs.append(Leg(below, "input", t, kx))
        if below is None:
            below = f"h{t}.{l - 1}#{copies.get((t, l - 1), 0)}"
        param_l = l - 1
        if form == "cp":
            a, b = f"a{tag}", f"b{tag}"
            sizes[a] = sizes[b] = R
            tensors += [
                Tensor(f"D{tag}", (out, a, b), kind="copy", unit=(t, l), copy=k),
                Tensor(f"H{tag}", (a, prev), kind="W_H", param=("W_H", param_l),
                       unit=(t, l), copy=k),
                Tensor(f"I{tag}", (b, below), kind="W_I", param=("W_I", param_l),
                       unit=(t, l), copy=k),
            ]
        else:
            tensors.append(Tensor(f"G{tag}", (prev, below, out), kind="core",
                                  param=("core", param_l), unit=(t, l), copy=k))
        # Push the time-child first so the depth-child is popped next (its
        # copy number is then the one read above), then the time-child's
        # whole subtree follows; copy numbers are read before each push.
        if t > 1:
            stack.append((t - 1, l))
        if l > 1:
            stack.append((t, l - 1))
    legs.sort(key=lambda leg: (leg.time, leg.copy))
    legs.append(Leg("y", "output", None, 0))
    return Network(tuple(tensors), sizes, tuple(legs),
                   meta={"spec": spec.to_dict(), "form": form})


@functools.lru_cache(maxsize=256)
def _spec_dict(spec: Spec) -> dict:
    """``spec.to_dict()``, cached (specs are immutable and hashable; the
    dict is only compared, never changed)."""
    return spec.to_dict()


def check_network_spec(net: Network, spec: Spec) -> None:
    """Raise :class:`~tnrnn.errors.SpecError` unless ``net`` was compiled
    from ``spec``.

    Parameters
    ----------
    net : Network
        A network; its ``meta["spec"]`` says what it was compiled from.
    spec : RAC or TTRNN

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> check_network_spec(compile_network(RAC(1, 2, 3, 2)), RAC(1, 2, 3, 3))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: network was compiled from {'kind': 'rac', 'depth': 1, 'hidden': 2, 'input_dim': 3, 'length': 2, 'outputs': 1}, not from {'kind': 'rac', 'depth': 1, 'hidden': 2, 'input_dim': 3, 'length': 3, 'outputs': 1}
    """
    if net.meta.get("spec") != _spec_dict(spec):
        raise SpecError(f"network was compiled from {net.meta.get('spec')}, "
                        f"not from {spec.to_dict()}")


def tensor_arrays(net: Network, spec: Spec, params: Params, *, xp=np,
                  check: bool = True) -> list:
    """One array per tensor of ``net`` (network order, axes in index order),
    filled from ``params``.

    ``xp`` is the array namespace (``numpy`` or ``jax.numpy``). Copy tensors
    become 3-leg deltas of the parameters' dtype. ``check=False`` skips
    :func:`~tnrnn.circuit.validate_params` and :func:`check_network_spec`,
    for callers that have just run them.

    Parameters
    ----------
    net : Network
        Compiled from ``spec`` by :func:`compile_network`.
    spec : RAC or TTRNN
    params : RACParams or TTParams
    xp : module, default numpy
        The array namespace.
    check : bool, default True
        Check ``params`` against ``spec`` and ``net`` against ``spec`` first.

    Returns
    -------
    list of arrays
        One per tensor of ``net``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params
    >>> spec = RAC(1, 2, 3, 2)
    >>> net = compile_network(spec)
    >>> [a.shape for a in tensor_arrays(net, spec, init_params(spec))][:4]
    [(1, 2), (2, 2, 2), (2, 2), (2, 3)]
    """
    if check:
        validate_params(spec, params)
        check_network_spec(net, spec)
    if isinstance(params, TTParams):
        table = {("core", 0): params.G, ("W_O",): params.W_O, ("h0", 0): params.h0}
        dtype = np.asarray(params.G).dtype
    else:
        assert isinstance(params, RACParams)
        table = {("W_O",): params.W_O}
        for l in range(spec.depth):
            table[("W_H", l)] = params.W_H[l]
            table[("W_I", l)] = params.W_I[l]
            table[("h0", l)] = params.h0[l]
        dtype = np.asarray(params.W_O).dtype
    cores: dict = {}
    deltas: dict = {}
    arrays = []
    for t in net.tensors:
        if t.kind == "copy":
            n = net.sizes[t.indices[0]]
            if n not in deltas:
                d = np.zeros((n, n, n), dtype=dtype)
                d[np.arange(n), np.arange(n), np.arange(n)] = 1
                deltas[n] = xp.asarray(d)
            arrays.append(deltas[n])
        elif t.param[0] == "core" and isinstance(params, RACParams):
            l = t.param[1]
            if l not in cores:
                cores[l] = xp.asarray(rac_core(np.asarray(params.W_H[l]),
                                               np.asarray(params.W_I[l])))
            arrays.append(cores[l])
        else:
            arrays.append(xp.asarray(table[t.param]))
    return arrays


#: Version tag of the JSON written by :func:`export_network`.
EXPORT_FORMAT = "tnrnn-einsum/1"


def export_network(net: Network, spec: Spec, params: Params, prefix, *,
                   output: int | None = None, max_entries: int = 2 ** 27) -> tuple:
    """Write a compiled network for other tools: ``PREFIX.json`` (the einsum
    expression, operand shapes and what each operand is) and ``PREFIX.npz``
    (the weight tensors, copy tensors included).

    The expression has one operand per tensor of ``net`` (in network order;
    arrays ``npz["t<i>"]``) followed by one operand per open input leg (a
    copy of ``x_t``: the caller supplies the input vector of step ``t``
    there, the same vector for every copy). Its output is ``y`` (size
    ``K``), or a scalar when ``output`` picks one row of ``W_O``. Index
    symbols are :func:`opt_einsum.get_symbol` characters (beyond 52 they
    are non-ASCII letters, which ``opt_einsum.contract`` accepts).

    Parameters
    ----------
    net : Network
        From :func:`compile_network` applied to ``spec``.
    spec : RAC or TTRNN
    params : RACParams or TTParams
    prefix : str or os.PathLike
        Files ``PREFIX.json`` and ``PREFIX.npz``; their folder must exist.
    output : int, optional
        Keep only output ``output`` (``0..K-1``).
    max_entries : int
        Refuse (before writing) when the tensors hold more entries.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The JSON and the ``.npz`` file.

    Examples
    --------
    >>> import json, tempfile, pathlib, numpy as np, opt_einsum
    >>> from tnrnn.circuit import RAC, init_params, random_inputs, evaluate
    >>> spec = RAC(2, 2, 3, 3)
    >>> p, X = init_params(spec, seed=1), random_inputs(spec, 1, seed=2)[0]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     j, z = export_network(compile_network(spec), spec, p, pathlib.Path(d) / "net")
    ...     meta, arrays = json.loads(j.read_text()), np.load(z)
    ...     ops = [arrays[o["array"]] if o["kind"] != "input" else X[o["time"] - 1]
    ...            for o in meta["operands"]]
    ...     y = opt_einsum.contract(meta["einsum"], *ops)
    >>> bool(np.allclose(y, evaluate(spec, p, X[None])[0]))
    True
    """
    import json
    import pathlib

    from .errors import check_output_path

    if not isinstance(net, Network):
        raise SpecError(f"net must be a Network; got {type(net).__name__}")
    validate = check_network_spec
    validate(net, spec)
    if output is not None and (isinstance(output, bool) or not isinstance(output, int)
                               or not 0 <= output < spec.outputs):
        raise SpecError(f"output must be an integer in 0..{spec.outputs - 1} (K = "
                        f"{spec.outputs}); got {output!r}")
    max_entries = check_positive_int("max_entries", max_entries)
    entries = sum(math.prod(net.sizes[i] for i in t.indices) for t in net.tensors)
    if entries > max_entries:
        raise TooLargeError(
            f"the exported tensors would hold {entries:,} entries ({entries * 8 / 2**20:,.1f} "
            f"MiB as float64); the limit is max_entries={max_entries:,}",
            estimate=entries, limit=max_entries)
    base = pathlib.Path(prefix)
    jpath = check_output_path(base.with_name(base.name + ".json"), option="prefix")
    zpath = check_output_path(base.with_name(base.name + ".npz"), option="prefix")
    import opt_einsum

    arrays = [np.asarray(a) for a in tensor_arrays(net, spec, params)]
    symbols: dict = {}

    def sym(ix):
        if ix not in symbols:
            symbols[ix] = opt_einsum.get_symbol(len(symbols))
        return symbols[ix]

    operands, terms, store = [], [], {}
    for i, (t, a) in enumerate(zip(net.tensors, arrays)):
        idx = list(t.indices)
        if output is not None and t.kind == "W_O":
            a = a[output]
            idx = [ix for ix in idx if ix != "y"]
        key = f"t{i}"
        store[key] = a
        terms.append("".join(sym(ix) for ix in idx))
        operands.append({"name": t.name, "kind": t.kind, "indices": idx,
                         "shape": list(a.shape), "array": key})
    for leg in net.legs:
        if leg.role == "input":
            terms.append(sym(leg.index))
            operands.append({"name": leg.index, "kind": "input", "time": leg.time,
                             "copy": leg.copy, "indices": [leg.index],
                             "shape": [net.sizes[leg.index]]})
    out = "" if output is not None else sym("y")
    meta = {
        "format": EXPORT_FORMAT,
        "spec": spec.to_dict(),
        "form": net.meta.get("form"),
        "output": output,
        "einsum": ",".join(terms) + "->" + out,
        "output_indices": [] if output is not None else ["y"],
        "symbols": {v: k for k, v in symbols.items()},
        "size_dict": {k: int(net.sizes[k]) for k in symbols},
        "operands": operands,
        "inputs": "operands of kind 'input' take x_t (time 'time', 1-based); every copy "
                  "of x_t gets the same vector",
    }
    jpath.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    np.savez(zpath, **store)
    return jpath, zpath
