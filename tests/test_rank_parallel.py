"""One big rank on workers: the sample matrix in row blocks, the rank here.

The reference is the serial :func:`tnrnn.separation_rank` (one
``sample_matrix`` call per growth step) and, for the matrix itself, the
circuit evaluated step by step on every merged sequence
(:func:`tnrnn.rank.evaluate_modp`). Every result must equal the serial one
exactly (``to_dict()`` without the timings). Nothing here reaches any
address but 127.0.0.1.
"""
import json
import socket
import time

import numpy as np
import pytest
from click.testing import CliRunner

from tnrnn.rank.executor_tasks import RowBlocks, sample_block
from tnrnn.circuit import RAC, TTRNN, init_params_modp
from tnrnn.cli import cli
from tnrnn.errors import SpecError
from tnrnn.partition import parse_partition
from tnrnn.rank import evaluate_modp, merge_halves, modp_params, random_halves, separation_rank


def _plain(res) -> dict:
    d = res.to_dict()
    d.pop("timings")
    return d


def _low_rank_weights():
    """RAC(3, 2, 2, 8) with a rank-1 first recurrence: = 384 on odd-even
    after 4 growth rounds (64, 128, 256, 512) and one repetition."""
    spec = RAC(3, 2, 2, 8)
    p = init_params_modp(spec, 101, 3)
    W_H = list(p.W_H)
    W_H[0] = np.outer([1, 2], [2, 1])
    return spec, p._replace(W_H=W_H)


def _cases():
    spec, weights = _low_rank_weights()
    return {
        # several growth rounds (new rows, then new columns of old rows), given weights
        "rounds": (spec, "odd-even", {"params": weights}),
        # step 1 on side B: the blocks run along the columns
        "rounds-transposed": (spec, "A:2,4,6,8", {"params": weights}),
        # a probabilistic claim with one independent repetition
        "repetition": (RAC(3, 2, 2, 6), "start-end", {}),
        "one-hot": (RAC(2, 2, 2, 6), "odd-even", {"inputs": "one-hot"}),
        "ttrnn": (TTRNN(hidden=2, input_dim=2, length=6), "A:2,3,5", {}),
        "depth-1": (RAC(1, 3, 3, 8), "odd-even", {"seed": 4}),
    }


CASES = _cases()
_SERIAL: dict = {}


def _serial(case) -> dict:
    """The serial search's plain result for a case, computed once per module
    (the reference of several tests; each run takes 0.5-1.5 s)."""
    if case not in _SERIAL:
        spec, partition, kw = CASES[case]
        _SERIAL[case] = _plain(separation_rank(spec, partition, **kw))
    return _SERIAL[case]


@pytest.fixture(scope="module")
def pool():
    from tnrnn.parallel import make_executor

    with make_executor(workers=2) as ex:
        yield ex


# ------------------------------------------------------------------ the blocks
@pytest.mark.parametrize("partition", ["start-end", "odd-even", "A:2,4,5"])
def test_row_blocks_equal_step_by_step_evaluation(partition):
    spec = RAC(2, 2, 3, 6)
    part = parse_partition(partition, 6)
    params = modp_params(spec, seed=2)
    XA = random_halves(2, "A", 0, 11, len(part.A), 3)
    XB = random_halves(2, "B", 0, 9, len(part.B), 3)
    blocks = RowBlocks(None, block_rows=3)
    Y = blocks(spec, params, part, XA, XB, prime=2**31 - 1, output=0)
    full = merge_halves(part, XA[:, None], XB[None, :]).reshape(99, 6, 3)
    expect = evaluate_modp(spec, params, full)[:, 0].reshape(11, 9)
    assert Y.dtype == np.int64 and np.array_equal(Y, expect)
    # blocks of 3 along the side holding step 1 (A, 11 halves; else B, 9 halves)
    assert len(blocks.records) == (4 if 1 in part.A else 3)


def test_sample_block_returns_rows_of_the_step_one_side():
    spec, part = RAC(2, 2, 2, 6), parse_partition("A:2,4,6", 6)
    params = modp_params(spec)
    XA = random_halves(0, "A", 0, 5, 3, 2)
    XB = random_halves(0, "B", 0, 7, 3, 2)
    full = merge_halves(part, XA[:, None], XB[None, :]).reshape(35, 6, 2)
    Y = evaluate_modp(spec, params, full)[:, 0].reshape(5, 7)
    block = sample_block(spec.to_dict(), params, part, XB[2:6], XA, 2**31 - 1, 0, False, True)
    assert block.dtype == np.uint32 and np.array_equal(block, Y[:, 2:6].T)


@pytest.mark.parametrize("case", sorted(CASES))
def test_blocks_in_process_equal_serial(case):
    spec, partition, kw = CASES[case]
    blocks = RowBlocks(None, block_rows=37)
    assert _plain(separation_rank(spec, partition, evaluate=blocks, **kw)) == _serial(case)
    assert blocks.records


def test_rounds_case_grows_and_repeats():
    """The hook sees every growth step and the repetition: new rows, new
    columns of old rows, and the repetition's fresh matrix."""
    spec, partition, kw = CASES["rounds"]
    blocks = RowBlocks(None, block_rows=10**6)
    # the plain search's call pattern (the BLAS engine's calls it in row chunks)
    res = separation_rank(spec, partition, evaluate=blocks, rank_method="flint", **kw)
    assert res.rounds == 4 and len(res.repetitions) == 1 and res.rank == 384
    # round 1: one call; rounds 2-4: two calls each; the repetition: one call
    assert len(blocks.calls) == 1 + 2 * 3 + 1
    shapes = [(b["rows"], b["cols"]) for b in blocks.records]
    assert shapes[:3] == [(64, 64), (64, 128), (64, 64)]
    assert shapes[-1] == (385, 385)


def test_bordered_search_with_blocks_equals_serial():
    """The BLAS engine's search calls the hook from its helper thread, in
    row chunks: the same result and certificate."""
    spec, partition, kw = CASES["rounds"]
    blocks = RowBlocks(None, block_rows=37)
    got = separation_rank(spec, partition, evaluate=blocks, rank_method="blas", **kw)
    want = separation_rank(spec, partition, rank_method="flint", **kw)
    assert (got.rank, got.samples, got.claim()) == (want.rank, want.samples, want.claim())
    assert got.method == "modp-blas" and blocks.records


def test_fused_path_blocks_equal_serial(monkeypatch):
    """Above the size threshold the serial run uses the compiled kernel; the
    blocks (smaller) are told to use it too. Threshold lowered to reach it."""
    pytest.importorskip("numba")
    import tnrnn.rank.sampling as sampling

    monkeypatch.setattr(sampling, "FUSED_MIN_WORK", 1)
    spec = RAC(2, 3, 3, 6)
    seen = []

    def spy(spec_d, params, part, XP, XQ, prime, output, fused, transpose):
        seen.append(fused)
        return sample_block(spec_d, params, part, XP, XQ, prime, output, fused, transpose)

    import tnrnn.rank.executor_tasks as tasks

    monkeypatch.setattr(tasks, "sample_block", spy)
    assert _plain(separation_rank(spec, evaluate=RowBlocks(None, block_rows=8))) == \
        _plain(separation_rank(spec))
    assert seen and all(seen)


# ------------------------------------------------------------ a process pool
@pytest.mark.parametrize("case", ["rounds", "rounds-transposed", "repetition"])
def test_process_pool_equals_serial(pool, case):
    spec, partition, kw = CASES[case]
    blocks = RowBlocks(pool, block_rows=50)
    assert _plain(separation_rank(spec, partition, evaluate=blocks, **kw)) == _serial(case)
    assert len(blocks.records) >= 4


def test_default_blocks_per_worker(pool):
    blocks = RowBlocks(pool)
    assert blocks.rows_per_block(4096, 4096) == 512        # 4 blocks per worker
    assert blocks.rows_per_block(1000, 1024) == 256        # at least 2^18 entries
    assert blocks.rows_per_block(100, 100) == 100          # a small matrix: one block
    assert blocks.rows_per_block(8192, 2**20) == 4         # at most 32 MiB a block


# ----------------------------------------------------------------- arguments
def test_evaluate_must_be_callable():
    with pytest.raises(SpecError, match="evaluate must be None or a callable .*got int"):
        separation_rank(RAC(1, 2, 2, 4), evaluate=3)


def test_row_blocks_arguments():
    with pytest.raises(SpecError, match="block_rows must be an integer >= 1; got 0"):
        RowBlocks(None, block_rows=0)
    with pytest.raises(SpecError, match="retries must be an integer >= 0; got -1"):
        RowBlocks(None, retries=-1)


# ----------------------------------------------------------------------- CLI
SMALL = ["rank", "-L", "3", "-R", "2", "-M", "2", "-T", "6", "--json", "--no-progress"]


_CLI_SERIAL: list = []


def _cli_serial() -> dict:
    """``tnrnn rank`` on SMALL in this process, run once per module."""
    if not _CLI_SERIAL:
        _CLI_SERIAL.append(_rank_json())
    return dict(_CLI_SERIAL[0])


def _rank_json(*args) -> dict:
    res = CliRunner().invoke(cli, [*SMALL, *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    data.pop("timings")
    return data


def test_cli_workers_equals_serial():
    serial = _cli_serial()
    par = _rank_json("--workers", "2", "--block-rows", "20")
    info = par.pop("executor")
    assert par == serial
    assert info["blocks"] >= 3 and "2 local worker processes" in info["description"]


def test_cli_workers_1_is_serial():
    data = _rank_json("--workers", "1")
    assert "executor" not in data
    assert data == _cli_serial()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_unreachable_scheduler_exits_2_quickly():
    pytest.importorskip("distributed")
    port = _closed_port()
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, [*SMALL, "--scheduler", f"tcp://127.0.0.1:{port}",
                                   "--connect-timeout", "1"])
    assert res.exit_code == 2
    assert f"error: cannot reach a Dask scheduler at tcp://127.0.0.1:{port} within 1 s" \
        in res.stderr
    assert time.monotonic() - t0 < 20


def test_cli_missing_scheduler_file_exits_2(tmp_path):
    pytest.importorskip("distributed")
    res = CliRunner().invoke(cli, [*SMALL, "--scheduler-file", str(tmp_path / "none.json"),
                                   "--connect-timeout", "0.3"])
    assert res.exit_code == 2
    assert "did not appear within 0.3 s" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "give at most one of workers, scheduler and scheduler_file"),
    (["--scheduler", "http://127.0.0.1:1"], "scheduler address must be tcp://HOST:PORT"),
    (["--workers", "0"], "workers must be an integer >= 1; got 0"),
    (["--workers", "2", "--block-rows", "0"], "--block-rows must be an integer >= 1; got 0"),
    (["--workers", "2", "--retries", "-1"], "--retries must be an integer >= 0; got -1"),
])
def test_cli_bad_executor_options(args, message):
    res = CliRunner().invoke(cli, [*SMALL, *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr


def test_cli_check_refuses_workers(tmp_path):
    cert = tmp_path / "c.json"
    res = CliRunner().invoke(cli, [*SMALL, "--save", str(cert)])
    assert res.exit_code == 0
    res = CliRunner().invoke(cli, ["rank", "--check", str(cert), "--workers", "2"])
    assert res.exit_code == 2
    assert "--check re-runs a certificate in this process" in res.stderr


# ---------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.mark.slow
def test_dask_equals_serial(cluster):
    """Slow: the default run keeps test_cli_dask_equals_serial (RowBlocks on the
    same cluster, end to end through ``tnrnn rank --scheduler``), the process-pool
    tests here and the Dask executor's own tests (tests/test_parallel_dask.py)."""
    from tnrnn.parallel import make_executor

    spec, partition, kw = CASES["rounds-transposed"]
    with make_executor(scheduler=cluster.scheduler_address) as ex:
        blocks = RowBlocks(ex, block_rows=50)
        res = separation_rank(spec, partition, evaluate=blocks, **kw)
    assert _plain(res) == _serial("rounds-transposed")
    assert len({b["worker"] for b in blocks.records}) == 2


def test_cli_dask_equals_serial(cluster):
    serial = _cli_serial()
    par = _rank_json("--scheduler", cluster.scheduler_address)
    assert par.pop("executor")["description"].startswith("Dask scheduler tcp://127.0.0.1:")
    assert par == serial


def test_row_blocks_import_no_dask_at_run_time():
    """The exact core runs its blocks through tnrnn.parallel without ever
    importing dask or distributed (a Dask executor is only handed to it)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from tnrnn.circuit import RAC\n"
            "from tnrnn.rank import separation_rank\n"
            "from tnrnn.rank.executor_tasks import RowBlocks, rank_row\n"
            "spec = RAC(2, 2, 2, 6)\n"
            "res = separation_rank(spec, evaluate=RowBlocks(None, block_rows=4))\n"
            "assert res.claim() == separation_rank(spec).claim()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
