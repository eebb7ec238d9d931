"""Parameter counts of stacks and cells, widths for a parameter budget, and
the mask of trained entries."""

from __future__ import annotations

from ..errors import SpecError, check_positive_int
from ._model import Model, as_model, check_count, layer_count
from ._registry import get_cell

__all__ = ["count_params", "stack_param_count", "width_for_budget", "trainable_mask"]


def count_params(params, *, kind: str | None = None, convention: str = "free") -> int:
    """Exact number of trained scalars of a stack or of one cell's weights.

    ``params`` is a :class:`~tnrnn.cells.Model`, or a stack dict or one
    layer's dict with its ``kind``. Frozen entries (:attr:`Cell.frozen`:
    initial states, derived matrices) are not counted; a skew matrix counts
    its ``H (H - 1) / 2`` free entries. With ``convention="paper"`` scoRNN's
    ``W`` counts ``H x H`` instead, as the depth paper's code counts it
    (:data:`COUNTS`).

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        Required with a dict.
    convention : {"free", "paper"}

    Returns
    -------
    int

    Examples
    --------
    >>> from tnrnn.cells import init_cell, stack
    >>> p = init_cell("lstm", input_dim=3, hidden=2)
    >>> count_params(p, kind="lstm") == 4 * 2 * (3 + 2 + 1)
    True
    >>> p, _ = stack("scornn", depth=1, hidden=4, input_dim=3, outputs=2)
    >>> count_params(p), count_params(p, convention="paper")
    (32, 42)
    """
    check_count(convention)
    if not isinstance(params, (dict, Model)):
        raise SpecError(f"params must be a Model or a stack's or a cell's dict; got "
                        f"{type(params).__name__}")
    if isinstance(params, dict) and "layers" not in params:  # one layer's weights
        if kind is None:
            as_model(params)  # the error: a dict does not say its kind
        return layer_count(get_cell(kind).name, params, convention)
    return as_model(params, kind).count(convention)


def stack_param_count(kind: str, *, depth: int, hidden: int, input_dim: int,
                      outputs: int, convention: str = "free") -> int:
    """Closed-form :func:`count_params` of :func:`stack` without drawing weights.

    Parameters
    ----------
    kind : str
    depth, hidden, input_dim, outputs : int
    convention : {"free", "paper"}

    Returns
    -------
    int

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("scornn", depth=3, hidden=5, input_dim=4, outputs=2)
    >>> stack_param_count("scornn", depth=3, hidden=5, input_dim=4, outputs=2) == count_params(p)
    True
    >>> (stack_param_count("scornn", depth=3, hidden=5, input_dim=4, outputs=2, convention="paper")
    ...  == count_params(p, convention="paper"))
    True
    """
    cell = get_cell(kind)
    check_count(convention)
    n = cell.count(input_dim, hidden) + (depth - 1) * cell.count(hidden, hidden)
    if convention == "paper" and cell.name == "scornn":  # W as H x H, not A's H(H-1)/2
        n += depth * (hidden * hidden - hidden * (hidden - 1) // 2)
    return n + outputs * hidden + (0 if cell.name == "rac" else outputs)


def width_for_budget(kind: str, *, depth: int, budget: int, input_dim: int, outputs: int,
                     tolerance: float = 0.05, convention: str = "free") -> int:
    """The width whose stack has the parameter count closest to ``budget``.

    Raises :class:`~tnrnn.errors.SpecError` when no width comes within
    ``tolerance`` (relative) of the budget.

    Parameters
    ----------
    kind : str
    depth : int
    budget : int
        The parameter count aimed at.
    input_dim, outputs : int
    tolerance : float
        Largest relative distance from the budget.
    convention : {"free", "paper"}
        How parameters are counted (:func:`stack_param_count`).

    Returns
    -------
    int
        The width.

    Examples
    --------
    >>> H = width_for_budget("lstm", depth=2, budget=10_000, input_dim=10, outputs=10)
    >>> H, stack_param_count("lstm", depth=2, hidden=H, input_dim=10, outputs=10)
    (27, 10324)
    >>> width_for_budget("lstm", depth=3, budget=10, input_dim=10, outputs=10)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: no lstm width of depth 3 comes within 5% of the budget 10 parameters (the smallest, width 1, has 92); raise the budget
    """
    budget = check_positive_int("budget", budget)
    depth = check_positive_int("depth", depth)

    def n(h):
        return stack_param_count(kind, depth=depth, hidden=h, input_dim=input_dim,
                                 outputs=outputs, convention=convention)

    # n(h) increases with h: the largest h with n(h) <= budget by doubling then bisection
    # (a budget of 1e18 takes ~60 evaluations, not 1e9)
    lo, hi = 1, 2
    while n(hi) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if n(mid) <= budget else (lo, mid)
    h = lo
    best = min((h, h + 1), key=lambda w: abs(n(w) - budget))
    if abs(n(best) - budget) > tolerance * budget:
        raise SpecError(
            f"no {get_cell(kind).name} width of depth {depth} comes within "
            f"{tolerance:.0%} of the budget {budget} parameters (the smallest, width 1, "
            f"has {n(1)}); raise the budget")
    return best


def trainable_mask(params, *, kind: str | None = None):
    """A pytree of booleans like ``params``: False on frozen entries
    (:attr:`Cell.frozen` of the model's kind). A model gives a model of
    booleans, a stack dict (with ``kind``) a dict.

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        Required with a dict.

    Returns
    -------
    Model or dict

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
    >>> trainable_mask(p).layers[0]
    {'W_H': True, 'W_I': True, 'h0': False}
    >>> trainable_mask(p.to_dict(), kind="rac")["layers"]
    [{'W_H': True, 'W_I': True, 'h0': False}]
    """
    mask = as_model(params, kind).mask()
    return mask if isinstance(params, Model) else mask.to_dict()
