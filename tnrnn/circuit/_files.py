"""Weight files (``.npz``) of circuit parameters: :func:`save_params` and
:func:`load_params`. Public through :mod:`tnrnn.circuit`.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ._init import validate_params
from ._specs import TTRNN, Params, RACParams, Spec, TTParams, _check_spec, param_names


def _named_arrays(spec: Spec, params: Params) -> dict:
    if isinstance(spec, TTRNN):
        return {"G": params.G, "W_O": params.W_O, "h0": params.h0}
    L = spec.depth
    out = {f"W_H{l + 1}": params.W_H[l] for l in range(L)}
    out.update({f"W_I{l + 1}": params.W_I[l] for l in range(L)})
    out["W_O"] = params.W_O
    out.update({f"h0_{l + 1}": params.h0[l] for l in range(L)})
    return out


def save_params(path, spec: Spec, params: Params):
    """Write parameters to a ``.npz`` file: arrays ``W_H1..W_HL``,
    ``W_I1..W_IL``, ``W_O``, ``h0_1..h0_L`` for a RAC; ``G``, ``W_O``, ``h0``
    for a TT-RNN (:func:`param_names`). Float and integer arrays are kept
    exactly; ``object`` arrays (Fractions) cannot be stored (no pickles) and
    are refused. The folder must exist (it is never created).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` file in an existing, writable folder.
    spec : RAC or TTRNN
    params : RACParams or TTParams
        Validated against ``spec``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params
    >>> import tempfile, os
    >>> spec = RAC(2, 2, 3, 4)
    >>> p = init_params(spec, seed=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> q = load_params(save_params(path, spec, p), spec)
    >>> all(np.array_equal(a, b) for a, b in zip(p.W_H, q.W_H))
    True
    """
    from ..errors import check_output_path

    spec = _check_spec(spec)
    validate_params(spec, params)
    arrays = _named_arrays(spec, params)
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype == object or not (np.issubdtype(a.dtype, np.floating)
                                     or np.issubdtype(a.dtype, np.integer)):
            raise SpecError(f"save_params stores float or integer arrays; {name} has "
                            f"dtype {a.dtype} (convert Fractions to floats or integers)")
    target = check_output_path(path, option="path", suffixes=(".npz",))
    with open(target, "wb") as fh:
        np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})
    return target


def load_params(path, spec: Spec) -> Params:
    """Read parameters written by :func:`save_params` (or by anyone using its
    layout) and check them against ``spec``.

    The ``h0`` arrays are optional (default all-ones); any other missing or
    unexpected array, or a wrong shape, raises :class:`SpecError` naming it.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` file.
    spec : RAC or TTRNN
        What the weights are for.

    Returns
    -------
    RACParams or TTParams
        Validated against ``spec``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, TTRNN
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> np.savez(path, G=np.ones((2, 2, 2)), W_O=np.ones((1, 2)))
    >>> load_params(path, TTRNN(2, 2, 3)).h0
    array([1., 1.])
    >>> load_params(path, RAC(1, 2, 2, 3))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: weights file ... lacks the arrays W_H1, W_I1 for RAC(depth=1, hidden=2, input_dim=2, length=3, outputs=1) (it has G, W_O)
    """
    import os

    spec = _check_spec(spec)
    if not os.path.isfile(path):
        raise SpecError(f"weights file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise SpecError(f"weights file {str(path)!r} is not a readable .npz file of "
                        f"numeric arrays: {exc}") from None
    names = param_names(spec)
    required = [n for n in names if not n.startswith("h0")]
    missing = [n for n in required if n not in arrays]
    if missing:
        raise SpecError(f"weights file {str(path)!r} lacks the arrays {', '.join(missing)} "
                        f"for {spec} (it has {', '.join(sorted(arrays)) or 'nothing'})")
    extra = sorted(set(arrays) - set(names))
    if extra:
        raise SpecError(f"weights file {str(path)!r} has arrays {', '.join(extra)} that "
                        f"{spec} does not use (expected {', '.join(names)})")
    for k, a in arrays.items():
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise SpecError(f"weights file array {k} must be float or integer; got dtype "
                            f"{a.dtype}")
    R = spec.hidden

    def h0(name):
        if name in arrays:
            return arrays[name]
        like = arrays["W_O"].dtype
        return np.ones(R, dtype=like)

    if isinstance(spec, TTRNN):
        params = TTParams(G=arrays["G"], W_O=arrays["W_O"], h0=h0("h0"))
    else:
        L = spec.depth
        params = RACParams(W_H=tuple(arrays[f"W_H{l}"] for l in range(1, L + 1)),
                           W_I=tuple(arrays[f"W_I{l}"] for l in range(1, L + 1)),
                           W_O=arrays["W_O"],
                           h0=tuple(h0(f"h0_{l}") for l in range(1, L + 1)))
    return validate_params(spec, params)
