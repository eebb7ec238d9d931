"""Shared test helpers."""
import numpy as np


def tolerance(dtype) -> dict:
    """rtol/atol for comparing floating results of the given dtype."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return {"rtol": 1e-4, "atol": 1e-5}
    return {"rtol": 1e-9, "atol": 1e-11}
