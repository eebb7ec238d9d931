"""The ``tnrnn dynamics`` group and what its commands share: the system,
output and work options, the checks of numbers, seeds, ranges and limits,
the weights file, and the figure writer.

A leaf of the command modules: :mod:`._dynamics_analyses` and
:mod:`._dynamics_experiments` import it, it imports neither; importing
:mod:`._dynamics` registers every command. The checks that tnrnn.dynamics
keeps private (``check_float``, ``check_seed``, ``refuse_if_over``,
``step_cost`` in ``tnrnn.dynamics._core``) are reached from here only.
"""

from __future__ import annotations

import functools

import click

from ._app import CONTEXT, _progress_bar, cli, comma_list, emit_json


def escape(text: str) -> str:
    """Text shown through rich markup as it is."""
    from rich.markup import escape as esc

    return esc(text)


from ..errors import SpecError, check_output_path, check_positive_int  # noqa: E402

_FIG_SUFFIXES = (".png", ".svg", ".pdf")
#: Largest random initial states, weights or grids the command line allocates (bytes).
_MAX_BYTES = 2 ** 30
#: The largest --init-std: beyond it the random states themselves overflow in a few steps.
_MAX_STD = 1e150


@cli.group("dynamics", context_settings=CONTEXT)
def dynamics():
    """Dynamics of recurrent maps: exponents, attractors, Lipschitz regions.

    Every command analyses a preset (--preset chaotic-lstm | tanh | logistic,
    options with --param w=2.0) or a cell with weights (--cell lstm --weights
    FILE.npz, or random weights from --hidden/--input-dim/--seed). Results
    are float64; --json prints JSON (an undefined number is null, an
    infinite one the string "inf" or "-inf"); --figure draws a figure (png,
    svg, pdf; -o/--output is its old name). Work above --max-work
    multiply-adds is refused before it starts.

    \b
    Examples:
      tnrnn dynamics lyapunov --preset chaotic-lstm
      tnrnn dynamics fixed-points --preset tanh --param w=2
      tnrnn dynamics orbit --preset tanh --scale 0.5:3:200 --figure orbit.png
      tnrnn dynamics lipschitz --cell tanh --hidden 16 --seed 1
      tnrnn dynamics regions --hidden 32 --grid 40 --figure regions.png
      tnrnn dynamics slice --preset chaotic-lstm --figure slice.png
    """


# ------------------------------------------------------------------ shared options
def _system_options(func):
    options = [
        click.option("--preset", default=None,
                     help="A preset map: chaotic-lstm, tanh (x -> tanh(w x + b)), logistic."),
        click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                     help="Preset option, e.g. --param w=2.0 (repeatable)."),
        click.option("--cell", default=None,
                     help="A tnrnn cell kind (tanh, relu, lstm, gru, rac, mi-rnn, scornn, "
                          "linear) with --weights or random weights."),
        click.option("--weights", type=click.Path(dir_okay=False), default=None,
                     help="Weights file (.npz from tnrnn's save_params, or one cell's arrays "
                          "under tnrnn.cells' key names)."),
        click.option("--hidden", type=int, default=8, show_default=True,
                     help="Hidden width for random cell weights."),
        click.option("--input-dim", type=int, default=1, show_default=True,
                     help="Input width for random cell weights."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="Seed of random weights and random initial states."),
        click.option("--input", "input_", default=None, metavar="U1,U2,...",
                     help="Constant input of a cell (default zeros)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _out_options(func):
    """--json and --figure PATH; -o/--output is kept, hidden, as the old name
    of --figure (the dynamics commands used it before every command took
    --figure for its figure)."""

    @functools.wraps(func)
    def command(*args, figure=None, old_figure=None, **kwargs):
        if figure is not None and old_figure is not None and figure != old_figure:
            raise SpecError(f"--figure {figure!r} and -o/--output {old_figure!r} (the old name "
                            f"of --figure) both given; give --figure only")
        return func(*args, figure=figure if figure is not None else old_figure, **kwargs)

    command = click.option("-o", "--output", "old_figure", type=click.Path(dir_okay=False),
                           default=None, hidden=True,
                           help="The old name of --figure.")(command)
    command = click.option("--figure", "figure", type=click.Path(dir_okay=False), default=None,
                           help="Draw a figure to this file (.png, .svg, .pdf).")(command)
    return click.option("--json", "as_json", is_flag=True,
                        help="Print JSON instead of a table.")(command)


def _max_work_option(default):
    return click.option("--max-work", type=float, default=default, show_default=True,
                        help="Refuse runs estimated above this many multiply-adds.")


def _finite(option, value, **kwargs) -> float:
    """A finite number for ``option`` (click's float type lets 'nan' and 'inf' through)."""
    from ..dynamics._core import check_float

    return check_float(option, value, **kwargs)


def _count(option, value, minimum=1) -> int:
    return check_positive_int(option, value, minimum=minimum)


def _seed(value) -> int:
    from ..dynamics._core import check_seed

    return check_seed("--seed", value)


def _work(estimate, max_work, what, advice):
    from ..dynamics._core import refuse_if_over

    refuse_if_over(estimate, _finite("--max-work", max_work, positive=True), what,
                   "--max-work", advice)


def _step_cost(d: int) -> float:
    """Multiply-adds charged for one step of a dense map of ``d`` states (the
    unit of tnrnn.dynamics' work estimates)."""
    from ..dynamics._core import step_cost

    return step_cost(d)


def _memory(estimate, what, advice):
    from ..dynamics._core import refuse_if_over

    refuse_if_over(estimate, _MAX_BYTES, f"{what}: bytes", "the memory limit", advice)


def _parse_params(items) -> dict:
    import math

    out = {}
    for item in items:
        if "=" not in item:
            raise SpecError(f"--param must be NAME=VALUE; got {item!r}")
        k, v = item.split("=", 1)
        try:
            val = float(v)
        except ValueError:
            raise SpecError(f"--param {k}: the value must be a number; got {v!r}") from None
        if not math.isfinite(val):
            raise SpecError(f"--param {k}: the value must be a finite number; got {v!r}")
        out[k.strip()] = val
    return out


def _floats(text, option) -> list[float]:
    """Finite numbers separated by commas (:func:`._app.comma_list`)."""
    return comma_list(text, option, kind=float)


def _range(text, option, *, count=True):
    """'a:b:n' (or 'a:b' with count=False) -> (a, b, n); finite ends, n an integer >= 1."""
    import math

    parts = text.split(":")
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        vals = []
    want = 3 if count else 2
    form = "START:STOP:COUNT (COUNT an integer >= 1)" if count else "START:STOP"
    if len(vals) != want or not all(math.isfinite(v) for v in vals) or (
            count and (vals[2] != int(vals[2]) or vals[2] < 1)):
        raise SpecError(f"{option} must be {form} with finite numbers; got {text!r}")
    return (vals[0], vals[1], int(vals[2])) if count else (vals[0], vals[1])


def _system(preset, params, cell, weights, hidden, input_dim, seed):
    from ..dynamics.systems import cell_system, preset_system

    if (preset is None) == (cell is None):
        raise SpecError("give exactly one of --preset NAME or --cell KIND")
    if preset is not None:
        if weights is not None:
            raise SpecError("--weights goes with --cell, not with --preset")
        return preset_system(preset, **_parse_params(params))
    if params:
        raise SpecError("--param goes with --preset; a cell takes --weights or random weights")
    from ..cells import get_cell, init_cell

    kind = get_cell(cell).name
    if weights is not None:
        p = _load_weights(weights, kind)
        try:
            return cell_system(kind, p)
        except SpecError as exc:
            raise SpecError(f"--weights {weights!r}: {exc}") from None
    hidden = _count("--hidden", hidden)
    input_dim = _count("--input-dim", input_dim)
    _memory(16.0 * get_cell(kind).count(input_dim, hidden) + 8.0 * hidden * hidden,
            f"random {kind} weights with --hidden {hidden} and --input-dim {input_dim}",
            "use a smaller --hidden or --input-dim")
    p = init_cell(kind, input_dim=input_dim, hidden=hidden, seed=seed)
    return cell_system(kind, p)


def _load_weights(path, kind):
    """A weights file as a dict of arrays; one ``error:`` line naming the path
    for a missing, empty, truncated, foreign or pickled file."""
    import json
    import os

    import numpy as np

    from ..train.checkpoint import unflatten_params

    if not os.path.exists(path):
        raise SpecError(f"--weights: cannot read {path!r}: no such file")
    if os.path.isdir(path):
        raise SpecError(f"--weights: cannot read {path!r}: it is a folder")
    if os.path.getsize(path) == 0:
        raise SpecError(f"--weights: cannot read {path!r}: the file is empty")
    try:
        z = np.load(path, allow_pickle=False)
        if not hasattr(z, "files"):
            raise SpecError(f"--weights: {path!r} holds one bare array, not named weights "
                            "(an .npz file of tnrnn.cells' key names is needed)")
        with z:
            meta = json.loads(str(z["__meta__"])) if "__meta__" in z.files else {}
            flat = {k: np.asarray(z[k]) for k in z.files if k != "__meta__"}
    except SpecError:
        raise
    except Exception as exc:  # a truncated zip, a pickle, a text file: all the same to the user
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"--weights: cannot read {path!r}: not a readable .npz weights file "
                        f"({type(exc).__name__}: {reason})") from None
    if not flat:
        raise SpecError(f"--weights: {path!r} holds no arrays")
    saved = meta.get("cell") if isinstance(meta, dict) else None
    if isinstance(saved, str):
        from ..cells import get_cell

        try:
            saved_kind = get_cell(saved).name
        except SpecError:
            saved_kind = saved
        if saved_kind != kind:
            raise SpecError(f"--weights: {path!r} holds {saved!r} weights (its metadata says "
                            f"so); --cell is {kind!r}")
    try:
        p = unflatten_params(flat)
    except Exception as exc:
        raise SpecError(f"--weights: {path!r}: its array names do not form a weights tree "
                        f"({type(exc).__name__}: {exc})") from None
    if not isinstance(p, dict):  # pragma: no cover - unflatten_params returns dicts
        raise SpecError(f"--weights: {path!r} holds no dict of weights")
    return p


def _const_input(system, input_):
    if input_ is None:
        return None
    if system.input_dim is None:
        raise SpecError(f"--input: the preset {system.name!r} takes no input")
    u = _floats(input_, "--input")
    if len(u) != system.input_dim:
        raise SpecError(f"--input must have {system.input_dim} numbers; got {len(u)}")
    return u


def _check_fig(figure):
    if figure is not None:
        check_output_path(figure, option="--figure", suffixes=_FIG_SUFFIXES)


def _pyplot():
    from ..render.dynamics_figures import pyplot

    return pyplot()


def _save(fig, figure):
    from ..render.dynamics_figures import save_figure

    fig.tight_layout()
    save_figure(fig, figure)
    _pyplot().close(fig)
    click.echo(f"wrote {figure}", err=True)


def _emit(payload) -> None:
    emit_json(payload)


def _bar():
    return _progress_bar(True)


def _num(v, fmt) -> str:
    """A number for the tables: 'undefined' for NaN, '+inf'/'-inf' for infinities."""
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "undefined"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return format(v, fmt)
