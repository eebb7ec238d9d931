"""Capacity against use: certified Start-End ranks of *trained* RAC weights.

A trained RAC stack (:func:`tnrnn.cells.stack` with ``kind="rac"``) is
exactly the circuit :class:`tnrnn.circuit.RAC` with the same weights
(:func:`rac_circuit`); its float weights are exact dyadic rationals, so
:func:`tnrnn.rank.separation_rank` with ``params=`` certifies the rank of
the function the trained network computes (in exact arithmetic). Beside it:
the generic rank of the same architecture (random weights) and the proven
bounds: how much of its capacity training used.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError

__all__ = ["rac_circuit", "capacity_use"]


def rac_circuit(params: dict, *, length: int):
    """``(spec, RACParams)`` of a RAC stack's weights (float64 copies).

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=2, hidden=3, input_dim=4, outputs=2)
    >>> spec, rp = rac_circuit(p, length=6)
    >>> spec
    RAC(depth=2, hidden=3, input_dim=4, length=6, outputs=2)
    """
    from ..circuit import RAC, RACParams

    layers = params.get("layers") if isinstance(params, dict) else None
    if not layers or any(set(l) != {"W_H", "W_I", "h0"} for l in layers) \
            or set(params.get("readout", {})) != {"W_O"}:
        raise SpecError("params must be a RAC stack's weights (layers with W_H, W_I, h0 and a "
                        "readout with W_O only)")
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731  (exact: floats widen exactly)
    W_O = f64(params["readout"]["W_O"])
    H, M = np.shape(layers[0]["W_I"])
    spec = RAC(depth=len(layers), hidden=int(H), input_dim=int(M), length=length,
               outputs=int(W_O.shape[0]))
    rp = RACParams(W_H=tuple(f64(l["W_H"]) for l in layers),
                   W_I=tuple(f64(l["W_I"]) for l in layers),
                   W_O=W_O, h0=tuple(f64(l["h0"]) for l in layers))
    return spec, rp


def capacity_use(params: dict, *, length: int, inputs: str = "one-hot",
                 outputs=None, seed: int = 0) -> dict:
    """Certified rank of each output of trained RAC weights, the generic rank
    of the architecture and its bounds (JSON-able).

    Returns ``{"spec", "inputs", "trained": [{"output", "rank", "claim"}, ...],
    "generic": {"rank", "claim"}, "bounds": {name: value}}``.

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
    >>> r = capacity_use(p, length=4)
    >>> r["trained"][0]["rank"], r["generic"]["rank"], r["bounds"]["grid-cap"]
    (2, 2, 4)
    """
    from ..bounds import all_bounds
    from ..rank import separation_rank

    spec, rp = rac_circuit(params, length=length)
    outs = range(spec.outputs) if outputs is None else outputs
    trained = []
    for k in outs:
        r = separation_rank(spec, params=rp, inputs=inputs, output=k, seed=seed)
        trained.append({"output": int(k), "rank": int(r.rank), "claim": r.claim()})
    g = separation_rank(spec, inputs=inputs, seed=seed)
    bounds = {b.name: int(b.value) for b in all_bounds(spec, inputs=inputs)}
    return {"spec": spec.to_dict(), "inputs": inputs, "trained": trained,
            "generic": {"rank": int(g.rank), "claim": g.claim()}, "bounds": bounds}
