"""The fused numba kernel of the prefix | suffix sample matrix
(tnrnn.rank._fused) against the numpy engine and, at worst-case residues,
against step-by-step Python-int evaluation."""
import numpy as np
import pytest

from tnrnn.circuit import RAC, RACParams, evaluate
from tnrnn.partition import explicit, start_end
from tnrnn.rank import merge_halves, modp_params, random_halves, sample_matrix
from tnrnn.rank import _fused

pytestmark = pytest.mark.skipif(not _fused.available(), reason="numba not installed")


@pytest.mark.parametrize("spec,prime", [
    (RAC(2, 3, 2, 6), 2_147_483_647), (RAC(3, 4, 3, 6), 2_147_483_629),
    (RAC(4, 5, 2, 6), 1_000_003), (RAC(2, 7, 3, 5), 131_101),
])
def test_fused_equals_numpy_engine(spec, prime):
    part = start_end(spec.length) if spec.length % 2 == 0 else explicit([1, 2], spec.length)
    params = modp_params(spec, prime, 1)
    XA = random_halves(0, "A", 0, 9, len(part.A), spec.input_dim, prime)
    XB = random_halves(0, "B", 0, 11, len(part.B), spec.input_dim, prime)
    a = sample_matrix(spec, params, part, XA, XB, prime=prime, fused=False)
    b = sample_matrix(spec, params, part, XA, XB, prime=prime, fused=True)
    assert (a == b).all()


def test_fused_worst_case_residues_against_python_ints():
    """Every weight, state and input p - 1: the largest products and sums the
    no-overflow proof allows."""
    p, spec = 2_147_483_647, RAC(3, 5, 2, 4)
    R, M, L = 5, 2, 3
    full = lambda *s: np.full(s, p - 1, dtype=np.int64)  # noqa: E731
    params = RACParams(W_H=tuple(full(R, R) for _ in range(L)),
                       W_I=(full(R, M),) + tuple(full(R, R) for _ in range(L - 1)),
                       W_O=full(1, R), h0=tuple(full(R) for _ in range(L)))
    part = start_end(4)
    XA, XB = full(3, 2, M), full(2, 2, M)
    Y = sample_matrix(spec, params, part, XA, XB, prime=p, fused=True)
    seqs = merge_halves(part, XA[:, None], XB[None, :]).reshape(6, 4, M).astype(object)
    obj = RACParams(*[tuple(a.astype(object) for a in f) if isinstance(f, tuple)
                      else f.astype(object) for f in params])
    want = evaluate(spec, obj, seqs, modulus=p)[:, 0].reshape(3, 2)
    assert (Y == want.astype(np.int64)).all()


def test_small_primes_and_shallow_circuits_use_the_numpy_engine():
    from tnrnn.rank.sampling import _use_fused

    class C:
        tt, L, p = False, 2, 101

    assert not _use_fused(C, 10**4, 10**4, True)
    C.p, C.L = 2_147_483_647, 1
    assert not _use_fused(C, 10**4, 10**4, True)
