"""Shared plumbing of tnrnn.dynamics: float64, states, inputs, validation.

Every analysis takes a map ``f(x)`` (autonomous) or ``f(x, u)`` (driven).
States are 1-D arrays of length ``d``; a scalar state (``x0`` of shape
``()``) is handled as ``d = 1``. Inputs come in one of two forms:

* ``u``: a constant input, passed to ``f`` at every step (attractors under
  constant input, as in orbit diagrams);
* ``inputs``: one input per step, an array whose leading axis is the number
  of steps run (``burn + steps``); step ``k`` (from 0) computes
  ``x[k+1] = f(x[k], inputs[k])``.

With neither, ``f`` is called as ``f(x)``.

Float64: JAX is float32 unless x64 is enabled. Every public entry point of
tnrnn.dynamics runs its body (conversion, tracing, execution) inside
tnrnn's one float64 switch, :func:`tnrnn._jax.x64` (``jax.enable_x64(True)``),
so results are float64 and the caller's process-wide ``jax_enable_x64``
setting is left as it was.
"""

from __future__ import annotations

import collections
import dataclasses
import numbers
import weakref
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._jax import x64  # noqa: F401 - the one float64 switch, imported from here by the package
from ..errors import SpecError, TooLargeError, check_positive_int


class State(NamedTuple):
    """An initial state brought to a batch of flat vectors.

    ``batch`` is ``(n, d)`` float64; ``scalar`` says the caller's states were
    scalars, ``single`` that one state (not a batch) was given.
    """

    batch: np.ndarray
    scalar: bool
    single: bool

    def unbatch(self, arr):
        """Undo the batching on an array with leading batch axis ``n`` and
        (when the states are scalars) a trailing state axis of size 1."""
        arr = np.asarray(arr)
        if self.single:
            arr = arr[0]
        return arr


def plain(value):
    """``value`` as JSON-able Python: arrays and numpy scalars to lists and
    numbers, complex numbers to ``[real, imaginary]``, containers recursively.

    Examples
    --------
    >>> plain({"a": np.array([1.0, 2.0]), "z": np.array([1 + 2j]), "s": "ok", "n": None})
    {'a': [1.0, 2.0], 'z': [[1.0, 2.0]], 's': 'ok', 'n': None}
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        return np.stack([arr.real, arr.imag], axis=-1).tolist()
    return arr.tolist()


def fields_dict(result) -> dict:
    """Every field of a dataclass result, through :func:`plain`."""
    return {f.name: plain(getattr(result, f.name)) for f in dataclasses.fields(result)}


def check_map(f, name: str = "f") -> Callable:
    """``f`` must be callable."""
    if not callable(f):
        raise SpecError(f"{name} must be a callable map f(x) or f(x, u); got {type(f).__name__}")
    return f


def check_nonneg_int(name: str, value) -> int:
    """An integer >= 0 (burn-in lengths)."""
    return check_positive_int(name, value, minimum=0)


def check_float(name: str, value, *, positive: bool = False, minimum: float | None = None,
                maximum: float | None = None) -> float:
    """A finite real number (strictly positive, or within ``[minimum, maximum]``, if asked).

    Booleans, strings and complex numbers are refused, and so are NaN and
    infinity: a number that enters an analysis must be one it can use.

    Examples
    --------
    >>> check_float("tol", 1e-9, positive=True)
    1e-09
    >>> check_float("init_std", float("inf"))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: init_std must be a finite real number; got inf
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise SpecError(f"{name} must be a finite real number; got {value!r} "
                        f"({type(value).__name__})")
    if not np.isfinite(value):
        raise SpecError(f"{name} must be a finite real number; got {value!r}")
    value = float(value)
    if positive and value <= 0:
        raise SpecError(f"{name} must be > 0; got {value!r}")
    if minimum is not None and value < minimum:
        raise SpecError(f"{name} must be >= {minimum:g}; got {value!r}")
    if maximum is not None and value > maximum:
        raise SpecError(f"{name} must be <= {maximum:g}; got {value!r}")
    return value


def step_cost(d: int) -> float:
    """Multiply-adds charged for one evaluation of a dense map of ``d`` states
    (a matrix-vector product, plus a fixed cost per step that dominates for
    tiny ``d``): the unit of the work estimates."""
    return 2.0 * d * d + 64.0


#: Multiply-adds charged per sequential step of a scan, whatever the batch:
#: its fixed cost (about a microsecond on a CPU), which dominates a loop of
#: many steps over few states.
LOOP_COST = 2000.0


def check_seed(name: str, value) -> int:
    """A seed: an integer in ``[0, 2^32)`` (what numpy and ``jax.random.PRNGKey`` both take)."""
    value = check_positive_int(name, value, minimum=0)
    if value >= 2 ** 32:
        raise SpecError(f"{name} must be an integer in [0, 2^32); got {value}")
    return value


def check_limit(name: str, value) -> float:
    """A work or memory limit: a finite number > 0."""
    return check_float(name, value, positive=True)


def refuse_if_over(estimate: float, limit: float, what: str, option: str, advice: str) -> None:
    """Raise :class:`~tnrnn.errors.TooLargeError` before any work when
    ``estimate > limit`` (the message carries both numbers)."""
    if estimate > limit:
        raise TooLargeError(f"{what}: about {estimate:.3g}, over {option} = {limit:.3g}; "
                            f"{advice}", estimate=estimate, limit=limit)


def check_finite_tree(name: str, tree) -> None:
    """Every leaf of ``tree`` (weights, parameters) is a real array without NaN or infinity."""
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        if isinstance(leaf, jax.core.Tracer):
            continue
        where = name + jax.tree_util.keystr(path)
        try:
            arr = np.asarray(leaf)
        except Exception as exc:  # an object numpy cannot read
            raise SpecError(f"{where} must be a real array; got {type(leaf).__name__}: "
                            f"{exc}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                       or arr.dtype == np.bool_):
            raise SpecError(f"{where} must be a real array; got dtype {arr.dtype}")
        if np.iscomplexobj(arr):
            raise SpecError(f"{where} must be real; got complex values")
        if not np.all(np.isfinite(arr)):
            raise SpecError(f"{where} contains NaN or infinity")


def progress_every(progress, done: int, total: int) -> None:
    """Call ``progress(done, total)`` if a callback was given."""
    if progress is not None:
        progress(done, total)


def _real_array(value, name: str, role: str) -> np.ndarray:
    """``value`` as a float64 array; a SpecError naming ``name`` and its ``role`` if not."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{name} must be a real array ({role}); could not convert it: "
                        f"{exc}") from None


def as_states(x0, *, name: str = "x0", allow_batch: bool = True) -> State:
    """Bring ``x0`` to a float64 batch of flat states.

    Shape ``()``: one scalar state; ``(d,)``: one state; ``(n, d)``: a batch
    of ``n`` states (only where ``allow_batch``). A batch of scalar states is
    given as ``(n, 1)``.
    """
    arr = _real_array(x0, name, "a state or a batch of states")
    if arr.ndim > (2 if allow_batch else 1):
        allowed = "(), (d,) or (n, d)" if allow_batch else "() or (d,)"
        raise SpecError(f"{name} must have shape {allowed}; got shape {arr.shape}")
    if arr.size == 0:
        raise SpecError(f"{name} is empty (shape {arr.shape}); give at least one state of size >= 1")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} contains NaN or infinity")
    if arr.ndim == 0:
        return State(arr.reshape(1, 1), True, True)
    if arr.ndim == 1:
        return State(arr.reshape(1, -1), False, True)
    return State(arr, False, False)


def flat_map(f, scalar: bool, driven: bool):
    """``f`` as a map of flat states: ``g(x, u)`` with ``x`` of shape ``(d,)``.

    Scalar maps are called on ``x[0]`` and their result reshaped to ``(1,)``;
    autonomous maps ignore ``u``.
    """
    if scalar:
        if driven:
            return lambda x, u: jnp.reshape(f(x[0], u), (1,))
        return lambda x, u: jnp.reshape(f(x[0]), (1,))
    if driven:
        return lambda x, u: jnp.reshape(f(x, u), x.shape)
    return lambda x, u: jnp.reshape(f(x), x.shape)


class Inputs(NamedTuple):
    """How inputs reach the map: ``kind`` is ``'none'``, ``'const'`` or ``'seq'``."""

    kind: str
    value: np.ndarray | None  # const: the input; seq: (burn + steps, ...)

    @property
    def driven(self) -> bool:
        return self.kind != "none"

    def split(self, burn: int):
        """Per-step inputs for the burn-in and the kept part (``None`` if not a sequence)."""
        if self.kind != "seq":
            return None, None
        return self.value[:burn], self.value[burn:]


def as_inputs(u, inputs, total: int | None) -> Inputs:
    """Validate the two ways of giving inputs (at most one)."""
    if u is not None and inputs is not None:
        raise SpecError("give either u (a constant input) or inputs (one per step), not both")
    if u is not None:
        arr = _real_array(u, "u", "a constant input")
        if not np.all(np.isfinite(arr)):
            raise SpecError("u contains NaN or infinity")
        return Inputs("const", arr)
    if inputs is not None:
        arr = _real_array(inputs, "inputs", "one input per step")
        if arr.ndim == 0:
            raise SpecError("inputs must have a leading axis of one input per step; got a scalar "
                            "(for a constant input use u=)")
        if total is not None and arr.shape[0] != total:
            raise SpecError(f"inputs must hold one input per step run (burn + steps = {total}); "
                            f"got {arr.shape[0]}")
        if not np.all(np.isfinite(arr)):
            raise SpecError("inputs contains NaN or infinity")
        return Inputs("seq", arr)
    return Inputs("none", None)


def scan_steps(g, x, us, length: int, inputs: Inputs, body):
    """Run ``body(carry, u_k)`` for ``length`` steps with the right inputs.

    ``us`` is the per-step input sequence (``'seq'``) or ``None``; for
    ``'const'`` the constant input is passed at every step; for ``'none'``
    ``u_k`` is ``None``.
    """
    if length == 0:
        return x, None
    if inputs.kind == "seq":
        return jax.lax.scan(body, x, us)
    const = None if inputs.kind == "none" else jnp.asarray(inputs.value)
    return jax.lax.scan(lambda c, _: body(c, const), x, None, length=length)


#: Compiled programs per user callable: ``f -> {static key: program}``. Keyed
#: weakly, so that a program lives as long as the map it was built for and no
#: longer; the programs themselves reach ``f`` only through :class:`WeakCall`.
_PROGRAMS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

#: Most programs (and shape checks) kept per map, the least recently used
#: dropped first: a map analysed with ever new options (or a family with a new
#: ``point`` callable every call) does not grow the cache without bound.
MAX_PROGRAMS_PER_MAP = 64


class WeakCall:
    """``f`` called through a weak reference.

    A program kept in the cache (:func:`cached`) calls the user's map through
    this, so that the cache entry (held weakly by ``f``) does not keep ``f``
    alive in turn. The program is only ever traced while its caller holds ``f``.
    """

    __slots__ = ("_ref", "__weakref__")

    def __init__(self, fn):
        self._ref = weakref.ref(fn)

    def __call__(self, *args):
        fn = self._ref()
        if fn is None:  # pragma: no cover - a program is traced only while f is held
            raise RuntimeError("the map this program was compiled for no longer exists")
        return fn(*args)


def _per_map(f):
    """The cache entry of ``f`` (created if absent), or None where ``f`` cannot
    be a weak key (not weakly referenceable, or not hashable)."""
    try:
        per = _PROGRAMS.get(f)
        if per is None:
            per = collections.OrderedDict()
            _PROGRAMS[f] = per
        return per
    except (TypeError, ValueError):  # unhashable, or an __eq__ that is not a bool
        return None


def cached(f, key, build):
    """The program ``build(g)`` for the user callable ``f`` and the static ``key``,
    built once and reused.

    ``build`` receives ``f`` wrapped in :class:`WeakCall` (or ``f`` itself
    where ``f`` cannot be cached: then it is built afresh, as before) and
    returns a program, typically a ``jax.jit`` function whose own cache
    handles the shapes and dtypes of its arguments. ``key`` holds everything
    static the program was built with (step counts, input kind, the other
    callables it calls); it must be hashable. A map defined once and analysed
    many times is compiled once per shape and set of static options.
    """
    per = _per_map(f)
    if per is None:
        return build(f)
    try:
        prog = per.get(key)
    except (TypeError, ValueError):  # an unhashable option: no cache
        return build(f)
    if prog is None:
        prog = build(WeakCall(f))
        _remember(per, key, prog)
    else:
        per.move_to_end(key)
    return prog


def _remember(per, key, value) -> None:
    """Store ``value`` under ``key``, dropping the least recently used entries
    beyond :data:`MAX_PROGRAMS_PER_MAP`."""
    per[key] = value
    per.move_to_end(key)
    while len(per) > MAX_PROGRAMS_PER_MAP:
        per.popitem(last=False)


def clear_cache() -> None:
    """Drop every compiled program of tnrnn.dynamics (they are rebuilt on use).

    Examples
    --------
    >>> from tnrnn.dynamics._core import clear_cache, _PROGRAMS
    >>> clear_cache(); len(_PROGRAMS)
    0
    """
    _PROGRAMS.clear()


def _aval(u):
    """Shape and dtype of an input (or None), a hashable cache key."""
    if u is None:
        return None
    return (tuple(np.shape(u)), str(getattr(u, "dtype", np.result_type(u))))


def probe(g, x, u, *, f=None, key=()):
    """Call the flat map once (abstractly) to check it returns a state of the right shape.

    With ``f`` (the user's map ``g`` was built from) the check is remembered
    per (``f``, ``key``, shapes): a map already checked on these shapes is
    not traced again.
    """
    per = None if f is None else _per_map(f)
    memo = ("probe", key, tuple(x.shape), _aval(u))
    if per is not None:
        try:
            if memo in per:
                per.move_to_end(memo)
                return per[memo]
        except (TypeError, ValueError):
            per = None
    out = _probe(g, x, u)
    if per is not None:
        _remember(per, memo, out)
    return out


def _probe(g, x, u):
    try:
        out = jax.eval_shape(g, jax.ShapeDtypeStruct(x.shape, jnp.float64), u)
    except SpecError:
        raise
    except Exception as exc:  # the user's map failed on a state of this shape
        raise SpecError(f"the map could not be evaluated on a state of shape {x.shape}: "
                        f"{type(exc).__name__}: {exc}") from None
    if out.shape != x.shape:  # pragma: no cover - flat_map reshapes; a size mismatch raises above
        raise SpecError(f"the map must return a state of shape {x.shape}; got {out.shape}")
    return out
