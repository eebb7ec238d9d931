"""A tiny training sweep through tnrnn.parallel: the same results on local
processes and on a Dask cluster (127.0.0.1 only) as in the serial run.

``tnrnn.train.run`` is a plain function of a JSON-able config, so it is a
task as it is; only the measured timings may differ between runs.
"""
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from tnrnn.parallel import DaskExecutor, ProcessExecutor, ordered_map, run_tasks  # noqa: E402

CONFIG = {"task": "copying", "size": 3, "task_options": {"word_length": 2, "alphabet": 3},
          "cell": "lstm", "hidden": 8, "steps": 10, "eval_every": 10, "batch": 8,
          "val_size": 16, "test_size": 16}
TIMING = {"train_time_s", "compile_time_s", "ms_per_step", "wall_s", "machine"}


def _untimed(x):
    if isinstance(x, dict):
        return {k: _untimed(v) for k, v in x.items() if k not in TIMING}
    return x


@pytest.fixture(scope="module")
def serial():
    from tnrnn.train import run

    tasks = {f"seed{s}": ({**CONFIG, "seed": s},) for s in (0, 1)}
    return tasks, {k: _untimed(v) for k, v in run_tasks(run, tasks).items()}


@pytest.mark.slow
def test_training_sweep_on_processes_equals_serial(serial):
    """Through the training package's own sweep runner, with a parallel mapper."""
    from functools import partial

    from tnrnn.train import run_sweep

    tasks, ref = serial
    assert ref["seed0"]["test"] != ref["seed1"]["test"]  # the seeds matter
    configs = [{**cfg, "name": key} for key, (cfg,) in tasks.items()]
    with ProcessExecutor(2) as ex:
        out = run_sweep(configs, mapper=partial(ordered_map, executor=ex))
    assert [_untimed(r) for r in out] == [ref[key] for key in tasks]


@pytest.mark.slow
def test_training_sweep_on_dask_equals_serial(serial):
    from distributed import Client, LocalCluster

    from tnrnn.train import run

    tasks, ref = serial
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        out = run_tasks(run, tasks, executor=DaskExecutor(client=client))
    assert {k: _untimed(v) for k, v in out.items()} == ref
