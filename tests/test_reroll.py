"""Loop re-rolling of contraction programs (tnrnn.contract.reroll) and the
scan executor of the JAX engine: the same numbers as the unrolled program
and the step-by-step evaluator, on every kind of network."""

from __future__ import annotations

import numpy as np
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, random_inputs
from tnrnn.compile import compile_network
from tnrnn.contract import plan_contraction, plan_grid
from tnrnn.contract.engines import _slot_arrays
from tnrnn.contract.reroll import find_runs


def _chain(T, reverse=False):
    """``h_t = einsum(h_{t-1}, W, x_t)``: sources W, h0, x_1..x_T."""
    sources = (("w", 0), ("w", 1)) + tuple(("x", t) for t in range(1, T + 1))
    n = len(sources)
    steps = []
    for k in range(T):
        t = T - k if reverse else k + 1
        prev = 1 if k == 0 else n + k - 1
        steps.append(((prev, 0, 1 + t), "a,abc,c->b"))
    return sources, tuple(steps)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_chain_is_one_run_over_the_inputs_in_either_direction(reverse):
    sources, steps = _chain(10, reverse)
    (run,) = find_runs(sources, steps)
    assert (run.start, run.period, run.blocks) == (0, 1, 10)
    assert run.operands[0][0] == ("car", 0) and run.operands[0][1] == ("w", 0)
    kind, t0, d = run.operands[0][2]
    assert kind == "x" and d == (-1 if reverse else 1) and t0 == (10 if reverse else 1)
    assert run.initial == {(0, 0): 1}
    assert run.last_only == (0,) and run.exported == ()


def test_irregular_programs_have_no_run():
    sources, steps = _chain(10)
    # the input order breaks at step 5 (x_7 twice): the run stops there
    bad = list(steps)
    bad[5] = ((bad[5][0][0], 0, 1 + 7), bad[5][1])
    runs = find_runs(sources, tuple(bad))
    assert all(r.stop <= 5 or r.start >= 5 for r in runs)
    assert find_runs(sources, steps[:3]) == []          # too few blocks


def test_results_read_after_the_run_are_exported():
    sources, steps = _chain(8)
    n = len(sources)
    # a final step reads the state after step 2 and the last state
    steps = steps + (((n + 2, n + 7), "a,a->"),)
    (run,) = find_runs(sources, steps)
    assert run.stop == 8 and run.exported == (0,)


def test_compiled_chains_are_mostly_rerolled():
    for spec, period in ((RAC(1, 4, 4, 64), 3), (RAC(2, 4, 4, 32), 6)):
        plan = plan_contraction(compile_network(spec), batch=16)
        runs = find_runs(*plan.program)
        covered = sum(r.period * r.blocks for r in runs)
        assert covered >= 0.8 * len(plan.steps)
        assert runs[0].period == period


SPECS = [RAC(1, 3, 2, 40), RAC(1, 2, 3, 30), RAC(2, 3, 2, 24), RAC(3, 2, 2, 14),
         RAC(2, 2, 3, 20, outputs=2), TTRNN(3, 2, 30)]

# The default run keeps one case per kind of network and form (each case
# traces the unrolled program, seconds apiece): the CP form at depths 1 and 2
# (two outputs), the core form at depth 3, the TT-RNN (one form). The other
# cases run with ``-m slow``.
FAST = {("cp", RAC(1, 2, 3, 30)), ("cp", RAC(2, 2, 3, 20, outputs=2)),
        ("core", RAC(3, 2, 2, 14)), ("core", TTRNN(3, 2, 30))}
CASES = [pytest.param(form, spec, id=f"{form}-{spec!r}",
                      marks=() if (form, spec) in FAST else pytest.mark.slow)
         for spec in SPECS for form in ("cp", "core")
         if not (isinstance(spec, TTRNN) and form == "cp")]  # a TT-RNN has one form


@pytest.mark.parametrize("form, spec", CASES)
def test_rerolled_program_equals_unrolled_and_the_recurrence(spec, form):
    from tnrnn.contract import _jax

    net = compile_network(spec, form=form)
    rng_scale = 0.6 if spec.depth > 1 else 0.9
    p = init_params(spec, seed=2)
    X = random_inputs(spec, 5, seed=3) * rng_scale
    plan = plan_contraction(net, batch=5)
    arrays = _slot_arrays(net, spec, p, plan.slot_tensors)
    w = [arrays[k] for k in plan.slot_tensors]
    assert find_runs(*plan.program), "expected a repeated block"
    y_roll = _jax.contract(plan, w, X, reroll=True)
    y_flat = _jax.contract(plan, w, X, reroll=False)
    ref = evaluate(spec, p, X)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(y_roll, y_flat, rtol=1e-12, atol=1e-13 * scale)
    np.testing.assert_allclose(y_roll, ref, rtol=1e-10, atol=1e-12 * scale)


def test_grid_plans_run_rerolled_or_not_the_same():
    from tnrnn.contract import _jax

    spec = RAC(2, 2, 2, 6)
    net, p = compile_network(spec), init_params(spec, seed=0)
    plan = plan_grid(net, optimize="tree")
    arrays = _slot_arrays(net, spec, p, plan.slot_tensors)
    w = [arrays[k] for k in plan.slot_tensors]
    np.testing.assert_allclose(_jax.contract(plan, w, None, reroll=True),
                               _jax.contract(plan, w, None, reroll=False), rtol=1e-12)


def test_run_to_dict_is_json_and_rebuilds_the_run():
    """Run.to_dict (the result convention): JSON text that rebuilds every run
    of a compiled program exactly, and the chain's run read back by hand."""
    import json

    from tnrnn.contract.reroll import Run

    def rebuild(d):
        tup = lambda xs: tuple(tuple(x) for x in xs)  # noqa: E731
        return Run(start=d["start"], period=d["period"], blocks=d["blocks"],
                   eqs=tuple(d["eqs"]), operands=tuple(tup(ops) for ops in d["operands"]),
                   initial={(q, a): v for q, a, v in d["initial"]},
                   exported=tuple(d["exported"]), last_only=tuple(d["last_only"]))

    plan = plan_contraction(compile_network(RAC(2, 3, 2, 12)), batch=4)
    runs = find_runs(*plan.program)
    assert runs
    for run in runs:
        d = json.loads(json.dumps(run.to_dict(), allow_nan=False))
        assert rebuild(d) == run and d["stop"] == run.start + run.period * run.blocks
    (run,) = find_runs(*_chain(6, reverse=True))
    d = run.to_dict()
    assert d["operands"] == [[["car", 0], ["w", 0], ["x", 6, -1]]]
    assert d["initial"] == [[0, 0, 1]] and d["last_only"] == [0] and d["stop"] == 6
