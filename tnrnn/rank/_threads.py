"""numpy's OpenBLAS thread count, set for a block of code
(:func:`blas_threads`; re-exported by :mod:`tnrnn.rank.blas`)."""

from __future__ import annotations

import contextlib

import numpy as np

_BLAS: list = []


def _openblas():
    """numpy's OpenBLAS thread-count setter and getter, or None."""
    if _BLAS:
        return _BLAS[0]
    lib = None
    try:
        import ctypes
        import glob
        import os

        here = os.path.dirname(os.path.dirname(np.__file__))
        for path in sorted(glob.glob(os.path.join(here, "numpy.libs", "*openblas*.so*"))):
            cand = ctypes.CDLL(path)
            for set_name, get_name in (("scipy_openblas_set_num_threads64_",
                                        "scipy_openblas_get_num_threads64_"),
                                       ("openblas_set_num_threads", "openblas_get_num_threads")):
                if hasattr(cand, set_name) and hasattr(cand, get_name):
                    getter = getattr(cand, get_name)
                    getter.restype = ctypes.c_int
                    lib = (getattr(cand, set_name), getter)
                    break
            if lib:
                break
    except Exception:  # pragma: no cover - another BLAS: leave its threads alone
        lib = None
    _BLAS.append(lib)
    return lib


@contextlib.contextmanager
def blas_threads(n: int):
    """numpy's OpenBLAS on ``n`` threads inside the block (restored after);
    does nothing when numpy uses another BLAS. On a shared 2-core machine a
    second BLAS thread beside the evaluation only waits for its core.

    Parameters
    ----------
    n : int
        BLAS threads inside the block.

    Yields
    ------
    None
        Control, with the thread count set.

    Examples
    --------
    >>> with blas_threads(1):
    ...     int(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
    4
    """
    lib = _openblas()
    if lib is None:
        yield
        return
    import ctypes

    setter, getter = lib
    before = int(getter())
    setter(ctypes.c_int(n))
    try:
        yield
    finally:
        setter(ctypes.c_int(before))
