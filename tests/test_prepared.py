"""tnrnn.contract.prepare: the same numbers as the one-shot functions and
the step-by-step evaluator, weights copied once, inputs still checked."""

from __future__ import annotations

import numpy as np
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, random_inputs
from tnrnn.compile import compile_network
from tnrnn.contract import contract_grid, contract_network, prepare
from tnrnn.errors import SpecError


SPECS = [RAC(1, 3, 2, 6), RAC(2, 2, 3, 4), RAC(3, 2, 2, 4, outputs=2), TTRNN(2, 3, 5)]
# the numpy engine on every spec; the jax engine (compiled per plan, seconds
# apiece) on the depth-3 RAC with two outputs and the TT-RNN in the default
# run, on the others with -m slow
JAX_FAST = {RAC(3, 2, 2, 4, outputs=2), TTRNN(2, 3, 5)}
CASES = [pytest.param(engine, spec, id=f"{engine}-{spec!r}",
                      marks=pytest.mark.slow if engine == "jax" and spec not in JAX_FAST else ())
         for spec in SPECS for engine in ("jax", "numpy")]


@pytest.mark.parametrize("engine, spec", CASES)
def test_prepared_equals_the_one_shot_functions(spec, engine):
    net, p = compile_network(spec), init_params(spec, seed=1)
    run = prepare(net, spec, p, engine=engine)
    for N in (1, 7):                     # a plan per batch size
        X = random_inputs(spec, N, seed=N)
        y = run(X)
        np.testing.assert_allclose(y, contract_network(net, spec, p, X, engine=engine),
                                   rtol=1e-12)
        np.testing.assert_allclose(y, evaluate(spec, p, X), rtol=1e-10)
    np.testing.assert_allclose(run.grid(), contract_grid(net, spec, p, engine=engine),
                               rtol=1e-12)


def test_weights_are_copied_when_prepared():
    spec = RAC(1, 2, 2, 3)
    net, p = compile_network(spec), init_params(spec, seed=0)
    X = random_inputs(spec, 2, seed=0)
    run = prepare(net, spec, p, engine="numpy")
    before = run(X)
    p.W_O[...] = 0.0                     # the caller changes its arrays in place
    np.testing.assert_array_equal(run(X), before)


def test_prepare_checks_once_and_inputs_every_call():
    spec = RAC(1, 2, 2, 3)
    net, p = compile_network(spec), init_params(spec)
    with pytest.raises(SpecError, match="W_O must have shape"):
        prepare(net, spec, p._replace(W_O=np.ones((1, 5))))
    other = RAC(1, 2, 2, 4)
    with pytest.raises(SpecError, match="network was compiled from"):
        prepare(net, other, init_params(other))
    with pytest.raises(SpecError, match="net must be a Network"):
        prepare(None, spec, p)
    with pytest.raises(SpecError, match="engine must be one of 'jax', 'numpy'"):
        prepare(net, spec, p, engine="torch")
    run = prepare(net, spec, p)
    with pytest.raises(SpecError, match=r"inputs must have shape \(N, 3, 2\)"):
        run(np.ones((4, 2, 2)))
    assert "engine='jax'" in repr(run)
