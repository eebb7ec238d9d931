"""The frozen result classes of the dynamic wing's experiments and analyses
(:func:`~tnrnn.dynamics.training.analyse_checkpoints`, the experiments of
:mod:`~tnrnn.dynamics.experiments` and :mod:`~tnrnn.dynamics.training`,
:func:`~tnrnn.dynamics.region_counts`, the region statistics and the paper
summary). Each is public in the module of its function; ``to_dict()`` gives
the dict the function returned before (what the JSON files hold)."""

from __future__ import annotations

import dataclasses

from .._results import Record

__all__ = ["CheckpointAnalysis", "TrainingExperiment", "ScaleSlice", "ChaoticLSTMExperiment",
           "RegionExperiment", "ClassCount", "RegionCounts", "RegionStatsExperiment",
           "PaperSummary"]


def _frozen(cls):
    return dataclasses.dataclass(frozen=True, eq=False)(cls)


@_frozen
class CheckpointAnalysis(Record):
    """What :func:`~tnrnn.dynamics.training.analyse_checkpoints` returns: the
    dynamics at every checkpoint of a training run, and the settings.

    ``to_dict()`` gives the dict the previous version returned (JSON-able);
    reading it by key (``an["bound"]``) still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    steps : list of int
        The checkpoints' steps.
    loss : list of float
        The full training loss at each.
    u_values : list
        The constant inputs ``(n_u, I)``.
    orbit_y : list
        The readout's orbits, nested lists of shape ``orbit_shape``.
    orbit_shape : list of int
        ``(P, n_init, n_u, orbit_steps, outputs)``.
    lyapunov_max, sup_norm : list
        ``(P, n_u)``: ``lambda_max`` and the sup ``||Df||`` per checkpoint and input.
    bound : list of float
        The LSTM Lipschitz bound per checkpoint.
    input_radius : float
        The bound's ``||u||_inf``.
    sharpness, grad_norm : list of float
        Of the full training loss, per checkpoint.
    n_init : int
    init_std : float
    orbit_steps, orbit_burn, lyap_steps, lyap_burn, hessian_iters : int
        The settings.

    Examples
    --------
    >>> an = CheckpointAnalysis([0], [0.5], [[0.1]], [], [1, 1, 1, 0, 1], [[-0.2]], [[0.9]],
    ...                         [1.5], 1.0, [2.0], [0.1], 1, 100.0, 0, 10, 20, 10, 3)
    >>> an.bound, list(an.to_dict())[:3]
    ([1.5], ['steps', 'loss', 'u_values'])
    """

    steps: list
    loss: list
    u_values: list
    orbit_y: list
    orbit_shape: list
    lyapunov_max: list
    sup_norm: list
    bound: list
    input_radius: float
    sharpness: list
    grad_norm: list
    n_init: int
    init_std: float
    orbit_steps: int
    orbit_burn: int
    lyap_steps: int
    lyap_burn: int
    hessian_iters: int


@_frozen
class TrainingExperiment(Record):
    """What :func:`~tnrnn.dynamics.training.sine_experiment` and
    :func:`~tnrnn.dynamics.training.seqclass_experiment` return.

    ``to_dict()`` gives the dict the previous version returned (what
    ``tnrnn dynamics experiments`` writes, before the machine); the sine
    experiment has no ``final_train_accuracy`` (``None``, left out of
    ``to_dict()``). Reading it by key still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    experiment, model, task : str
        The descriptions.
    training : dict
        The settings and the loss history.
    final_train_accuracy : float or None
        Of the last checkpoint on the training set (classification only).
    checkpoints : CheckpointAnalysis
        The analysis of the checkpoints.
    seconds : float
        Wall time.

    Examples
    --------
    >>> r = TrainingExperiment("sine-generator", "LSTM", "sine", {}, None, None, 1.0)
    >>> list(r.to_dict())
    ['experiment', 'model', 'task', 'training', 'checkpoints', 'seconds']
    """

    experiment: str
    model: str
    task: str
    training: dict
    final_train_accuracy: float | None
    checkpoints: CheckpointAnalysis
    seconds: float

    def _absent(self) -> frozenset:
        return frozenset({"final_train_accuracy"} if self.final_train_accuracy is None else ())


@_frozen
class ScaleSlice(Record):
    """What :func:`~tnrnn.dynamics.experiments.scale_slice` returns: the loss
    and ``lambda_max`` along ``theta(s) = s theta``.

    ``to_dict()`` gives the dict the previous version returned (what
    ``tnrnn dynamics slice --json`` prints); without exponents
    (``lyap_steps = 0``) it has no ``lyapunov_undefined``, roughness or
    fraction (those fields are then ``None``). Reading it by key still works
    for one release, with a :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    system : str
        The system's description.
    s, loss : list of float
        The path's points and the loss at each (NaN where undefined).
    horizon, burn : int
        The loss's steps.
    loss_at_1 : float or None
        The loss at ``s = 1`` (``None`` if undefined).
    total_variation : float
        Sum of the defined loss increments.
    loss_undefined : int
        Points with an undefined loss.
    lyapunov_max : list of float
        ``lambda_max`` at each point (empty without exponents).
    lyap_steps, lyap_burn : int
        Steps of the exponents.
    lyapunov_undefined : int or None
        Points with an undefined exponent.
    roughness_chaotic, roughness_regular : float or None
        Mean ``|loss increment|`` where ``lambda_max > 0`` and elsewhere.
    fraction_chaotic : float or None
        Fraction of the defined exponents above 0.

    Examples
    --------
    >>> r = ScaleSlice("x -> x/2", [1.0], [0.0], 10, 2, 0.0, 0.0, 0, [], 0, 0)
    >>> r.loss_at_1, "roughness_chaotic" in r.to_dict()
    (0.0, False)
    """

    system: str
    s: list
    loss: list
    horizon: int
    burn: int
    loss_at_1: float | None
    total_variation: float
    loss_undefined: int
    lyapunov_max: list
    lyap_steps: int
    lyap_burn: int
    lyapunov_undefined: int | None = None
    roughness_chaotic: float | None = None
    roughness_regular: float | None = None
    fraction_chaotic: float | None = None

    def _absent(self) -> frozenset:
        return frozenset() if self.lyap_steps else frozenset(
            {"lyapunov_undefined", "roughness_chaotic", "roughness_regular", "fraction_chaotic"})


@_frozen
class ChaoticLSTMExperiment(Record):
    """What :func:`~tnrnn.dynamics.experiments.chaotic_lstm_experiment`
    returns (experiment 1).

    ``to_dict()`` gives the dict the previous version returned (JSON-able;
    ``slice`` as a dict); reading it by key still works for one release,
    with a :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    experiment, source : str
        ``'chaotic-lstm'`` and where the weights come from.
    attractor_h : list
        ``h`` along the attractor, ``(steps, 2)``.
    spectrum, spectrum_stderr : list of float
        The Lyapunov spectrum and its standard errors.
    spectrum_steps : int
        Its steps.
    slice : ScaleSlice
        The loss and ``lambda_max`` along ``s theta``.
    orbit_h1 : list
        ``h1`` of the orbit diagram along the same path.
    orbit_steps : list of int
        Its first and last step.
    plane : dict
        The loss on the plane (``s1``, ``s2``, ``loss``, the three weights).
    seconds : float
        Wall time.

    Examples
    --------
    >>> sl = ScaleSlice("lstm", [1.0], [0.0], 10, 2, 0.0, 0.0, 0, [], 0, 0)
    >>> r = ChaoticLSTMExperiment("chaotic-lstm", "", [], [0.1], [0.0], 10, sl, [], [3, 5],
    ...                           {}, 1.0)
    >>> r.slice.s, r.to_dict()["slice"]["s"]
    ([1.0], [1.0])
    """

    experiment: str
    source: str
    attractor_h: list
    spectrum: list
    spectrum_stderr: list
    spectrum_steps: int
    slice: ScaleSlice
    orbit_h1: list
    orbit_steps: list
    plane: dict
    seconds: float


@_frozen
class RegionExperiment(Record):
    """What :func:`~tnrnn.dynamics.experiments.region_experiment` returns
    (experiment 3).

    ``to_dict()`` gives the dict the previous version returned (JSON-able);
    reading it by key still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    experiment, model : str
        ``'region-map'`` and the model's description.
    hidden, seed, steps, burn : int
        The settings.
    gain, input_scale : list of float
        The grid's axes.
    lyapunov_max, sup_norm, bound : list
        Per grid point (gain x input scale).
    map_seconds : float
        Wall time of the map.
    loss : dict
        The coarser loss grid: ``task``, ``gain``, ``input_scale``,
        ``sharpness``, ``grad_norm``, ``lyapunov_max``, ``hessian_iters``.
    seconds : float
        Wall time.

    Examples
    --------
    >>> r = RegionExperiment("region-map", "tanh", 2, 0, 50, 10, [0.5], [0.0], [[-0.7]],
    ...                      [[0.5]], [[0.5]], 0.1, {}, 1.0)
    >>> r.bound, list(r.to_dict())[:2]
    ([[0.5]], ['experiment', 'model'])
    """

    experiment: str
    model: str
    hidden: int
    seed: int
    steps: int
    burn: int
    gain: list
    input_scale: list
    lyapunov_max: list
    sup_norm: list
    bound: list
    map_seconds: float
    loss: dict
    seconds: float


@_frozen
class ClassCount(Record):
    """One class's entry of :class:`RegionCounts`.

    Parameters
    ----------
    points : int
        Grid points of the class.
    sharp : int
        How many of them have ``|sharpness|`` above the threshold.
    median_abs_sharpness : float or None
        Their median ``|sharpness|`` (``None`` without points).

    Examples
    --------
    >>> ClassCount(points=2, sharp=1, median_abs_sharpness=3.0).to_dict()
    {'points': 2, 'sharp': 1, 'median_abs_sharpness': 3.0}
    """

    points: int
    sharp: int
    median_abs_sharpness: float | None


@_frozen
class RegionCounts(Record):
    """What :func:`~tnrnn.dynamics.region_counts` returns: per class of
    ``lambda_max``, the points and how many are sharp.

    ``to_dict()`` gives the dict the previous version returned
    (``{class: {"points", "sharp", "median_abs_sharpness"}}``, with
    ``undefined`` only when some point is); reading it by key
    (``c["chaotic"]``, a dict) still works for one release, with a
    :class:`DeprecationWarning`.

    Parameters
    ----------
    contracting, boundary, chaotic : ClassCount
        The three classes.
    undefined : ClassCount or None
        The points with an undefined exponent (``None`` when there are none).

    Examples
    --------
    >>> c = ClassCount(1, 0, 5.0)
    >>> r = RegionCounts(c, c, c)
    >>> r.chaotic.points, list(r.to_dict())
    (1, ['contracting', 'boundary', 'chaotic'])
    """

    contracting: ClassCount
    boundary: ClassCount
    chaotic: ClassCount
    undefined: ClassCount | None = None

    def _absent(self) -> frozenset:
        return frozenset({"undefined"} if self.undefined is None else ())


@_frozen
class RegionStatsExperiment(Record):
    """What :func:`~tnrnn.dynamics.region_stats.region_stats_experiment` returns.

    ``to_dict()`` gives the dict the previous version returned (JSON-able);
    reading it by key still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    experiment, source, model : str
        The descriptions.
    hidden, seed, steps, burn, blocks : int
        The settings.
    gain, input_scale : list of float
        The loss grid's axes.
    lyapunov_max, lyapunov_stderr, sharpness : list
        Per grid point.
    max_abs_diff_from_committed : float
        Largest difference from the committed exponents.
    classes : dict
        ``{"z=<z>": labels}``.
    counts : dict
        ``{"z=<z>": {"|sharpness|><t>": RegionCounts}}``.
    committed_sign_counts : dict
        Counts by the sign of the committed exponents.
    seconds : float
        Wall time.

    Examples
    --------
    >>> c = ClassCount(1, 0, 5.0)
    >>> r = RegionStatsExperiment("region-map statistics", "", "tanh", 2, 0, 40, 0, 4, [0.5],
    ...                           [0.0], [[-0.7]], [[0.01]], [[1.0]], 0.0, {},
    ...                           {"z=2": {"|sharpness|>1000": RegionCounts(c, c, c)}}, {}, 1.0)
    >>> r.to_dict()["counts"]["z=2"]["|sharpness|>1000"]["chaotic"]["points"]
    1
    """

    experiment: str
    source: str
    model: str
    hidden: int
    seed: int
    steps: int
    burn: int
    blocks: int
    gain: list
    input_scale: list
    lyapunov_max: list
    lyapunov_stderr: list
    sharpness: list
    max_abs_diff_from_committed: float
    classes: dict
    counts: dict
    committed_sign_counts: dict
    seconds: float


@_frozen
class PaperSummary(Record):
    """What :func:`~tnrnn.dynamics.paper_analysis.paper_summary` returns: the
    committed runs of one task, for the figures and the docs.

    ``to_dict()`` gives the dict the previous version returned (what
    ``tnrnn dynamics paper-summary`` writes); reading it by key still works
    for one release, with a :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    experiment : str
        ``'smoothness-paper-<task>'``.
    task : str
        ``'sine'`` or ``'seqclass'``.
    config : dict
        The task's setup.
    inputs : list
        The constant inputs.
    runs : list of dict
        One record per run (model, seed, epoch, losses, orbit diagrams, analysis).
    departures : list of str
        The departures from the authors' code.

    Examples
    --------
    >>> r = PaperSummary("smoothness-paper-sine", "sine", {}, [[0.1]], [], ["none"])
    >>> r.task, list(r.to_dict())[-1]
    ('sine', 'departures')
    """

    experiment: str
    task: str
    config: dict
    inputs: list
    runs: list
    departures: list
