"""matplotlib's pyplot on the Agg backend, imported only when a figure is drawn."""

from __future__ import annotations


def pyplot():
    """matplotlib.pyplot on the Agg backend; MissingDependencyError without matplotlib.

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Examples
    --------
    >>> pyplot().get_backend().lower()
    'agg'
    """
    from ..errors import MissingDependencyError

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise MissingDependencyError("figures need matplotlib: pip install 'tnrnn[render]'") from exc
    return plt
