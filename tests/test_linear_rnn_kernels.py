"""Memory kernels: closed forms against mpmath quadrature at 30 digits and the
issue's ground truths."""
import math

import mpmath as mp
import numpy as np
import pytest

from tnrnn.errors import SpecError
from tnrnn.linear_rnn import airy, delayed, exponential, parse_kernel, polynomial
from tnrnn.linear_rnn._special import de_rule, gauss_panels, scaled_expint

_slow = pytest.mark.slow
# In the default run one kernel per closed form: polynomial:2.5 takes the same formulas
# as polynomial:0.2 (scaled_expint at every order is checked against mpmath below), and
# polynomial:0.5+delayed:2 the same cross term as polynomial:1.3+delayed:0.7:3.
KERNELS = ["exponential:1", "exponential:0.3", "polynomial:0.2", "polynomial:1",
           pytest.param("polynomial:2.5", marks=_slow), "delayed:2", "delayed:1.5:0.5",
           pytest.param("airy:3", marks=_slow), pytest.param("airy:0", marks=_slow),
           "exponential:1+delayed:2", "0.5*polynomial:0.5+exponential:2",
           pytest.param("airy:2+delayed:1", marks=_slow), "polynomial:0.3+polynomial:1.7",
           "delayed:1+delayed:3:2", pytest.param("polynomial:0.5+delayed:2", marks=_slow),
           "polynomial:1.3+delayed:0.7:3"]


def _ex(z):
    """e^{-z}, 0 past z = 3000 (mpmath is slow on huge arguments; e^-3000 < 1e-1300)."""
    return mp.exp(-z) if z < 3000 else mp.mpf(0)


def _mp_rho(spec):
    """The kernel written out independently in mpmath (not through the package)."""
    terms = []
    for part in spec.split("+"):
        c = 1.0
        if "*" in part:
            c, part = part.split("*")
            c = float(c)
        name, *ps = part.split(":")
        ps = [mp.mpf(p) for p in ps]
        if name == "exponential":
            f = (lambda b: lambda t: _ex(b * t))(ps[0])
        elif name == "polynomial":
            f = (lambda o: lambda t: (1 + t) ** (-(1 + o)))(ps[0])
        elif name == "delayed":
            b = ps[1] if len(ps) > 1 else mp.mpf(1)
            f = (lambda t0, b: lambda t: _ex(b * (t - t0)) if t > t0 else mp.mpf(0))(ps[0], b)
        else:
            f = (lambda t0: lambda t: mp.airyai(t - t0) if t - t0 < 300 else mp.mpf(0))(ps[0])
        terms.append((mp.mpf(c), f, [p for p in ps[:1]] if name in ("delayed", "airy") else []))
    pts = sorted({mp.mpf(0), *[p for _, _, br in terms for p in br]})
    return (lambda t: mp.fsum(c * f(t) for c, f, _ in terms)), pts


def _mp_int(f, pts):
    """int_0^inf f by mpmath in u = log(1 + t) (algebraic tails become exponential)."""
    us = [mp.log1p(p) for p in pts]
    return mp.quad(lambda u: f(mp.expm1(u)) * mp.exp(u) if u < 3000 else mp.mpf(0),
                   [*us, us[-1] + 3, us[-1] + 30, mp.inf])


@pytest.mark.parametrize("spec", KERNELS)
def test_l2_norm_and_inner_exp_against_mpmath_quadrature(spec):
    k = parse_kernel(spec)
    f, pts = _mp_rho(spec)
    with mp.workdps(30):
        l2 = _mp_int(lambda t: f(t) ** 2, pts)
        assert k.l2_sq() == pytest.approx(float(l2), rel=1e-13)
        assert float(k.l2_sq_mp(mp.mp)) == pytest.approx(float(l2), rel=1e-15)
        ws = (0.05, 7.0) if "airy" in spec else (
            0.0 if "polynomial" not in spec else 1e-3, 0.05, 1.0, 7.0, 300.0)
        for w in ws:
            ref = _mp_int(lambda t: f(t) * _ex(w * t), pts)
            assert float(k.inner_exp(w)) == pytest.approx(float(ref), rel=1e-12, abs=1e-15)
            assert float(k.inner_exp_mp(mp.mpf(w), mp.mp)) == pytest.approx(float(ref), rel=1e-15,
                                                                             abs=1e-25)
            dref = -_mp_int(lambda t: t * f(t) * _ex(w * t), pts)
            assert float(k.inner_exp_dw(w)) == pytest.approx(float(dref), rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("spec", KERNELS)
def test_l1_norm_and_tail_against_mpmath(spec):
    k = parse_kernel(spec)
    f, pts = _mp_rho(spec)
    with mp.workdps(30):
        if "airy" in spec:  # |Ai| has kinks at the zeros: split there
            t0s = [p for p in pts if p > 0]
            zs = [float(z) for z in (mp.airyaizero(n) for n in range(1, 12))]
            extra = sorted({p + z for p in t0s for z in zs if p + z > 0})
            l1 = _mp_int(lambda t: abs(f(t)), sorted(set(pts) | set(map(mp.mpf, extra))))
        else:
            l1 = _mp_int(lambda t: abs(f(t)), pts)
        assert k.l1_norm() == pytest.approx(float(l1), rel=1e-10)
        for T in (0.5, 4.0):
            ref = _mp_int(lambda t: f(t + T), [mp.mpf(0), *[p - T for p in pts if p > T]])
            assert float(k.tail(T)) == pytest.approx(float(ref), rel=1e-12, abs=1e-15)


def test_airy_quickly():
    k = airy(3.0)
    with mp.workdps(20):
        ref = mp.quad(lambda t: mp.airyai(t - 3) * mp.exp(-0.5 * t), [0, 3, 13, 40])
        assert float(k.inner_exp(0.5)) == pytest.approx(float(ref), rel=1e-12)
        l2 = mp.airyai(-3) ** 2 * 3 + mp.airyai(-3, derivative=1) ** 2
        assert k.l2_sq() == pytest.approx(float(l2), rel=1e-13)
        l1 = mp.quad(lambda t: abs(mp.airyai(t - 3)), [0, 3 + mp.airyaizero(1), 3, 13, 40])
        assert k.l1_norm() == pytest.approx(float(l1), rel=1e-12)


def test_issue_ground_truths():
    # <e^{-a t}, e^{-b t}> = 1/(a+b)
    assert (exponential(2.0) + exponential(5.0)).l2_sq() == pytest.approx(
        1 / 4 + 2 / 7 + 1 / 10, rel=1e-15)
    for omega in (0.1, 0.5, 1.0, 3.0):
        assert polynomial(omega).l2_sq() == pytest.approx(1 / (1 + 2 * omega), rel=1e-15)
        for T in (0.0, 2.0, 100.0):
            assert float(polynomial(omega).tail(T)) == pytest.approx(
                (1 + T) ** (-omega) / omega, rel=1e-15)
    # e^{-t} + delayed(t0): ||rho||^2 = 1 + e^{-t0}
    for t0 in (0.5, 2.0, 5.0):
        assert (exponential(1.0) + delayed(t0)).l2_sq() == pytest.approx(1 + math.exp(-t0),
                                                                         rel=1e-15)
    # int_0^inf Ai = 1/3 and int_0^inf Ai^2 = Ai'(0)^2
    assert airy(0.0).tail(0.0) == pytest.approx(1 / 3, rel=1e-14)
    assert airy(0.0).l2_sq() == pytest.approx(float(mp.airyai(0, derivative=1) ** 2), rel=1e-14)


def test_values_and_algebra():
    t = np.array([0.0, 0.5, 2.0, 3.5])
    k = 2.0 * exponential(1.0) - polynomial(1.0)
    assert np.allclose(k.value(t), 2 * np.exp(-t) - (1 + t) ** -2, rtol=1e-15)
    assert k.spec == "2*exponential:1+-1*polynomial:1"
    assert parse_kernel(k.spec) == k
    assert not k.nonnegative and (exponential(1.0) + delayed(1.0)).nonnegative
    assert delayed(2.0).value(np.array([1.9, 2.0, 2.1])).tolist()[:2] == [0.0, 0.0]
    assert float(airy(3.0).value(3.0)) == pytest.approx(float(mp.airyai(0)), rel=1e-14)
    assert float(k.integral(0.5, 2.0)) == pytest.approx(
        2 * (math.exp(-0.5) - math.exp(-2.0)) - (1 / 1.5 - 1 / 3.0), rel=1e-14)
    assert (exponential(1.0) * 3).spec == "3*exponential:1"
    with pytest.raises(TypeError):
        exponential(1.0) * "2"
    with pytest.raises(TypeError):
        exponential(1.0) + 1.0


def test_scaled_expint_against_mpmath():
    worst = 0.0
    with mp.workdps(30):
        for p in (0.05, 0.5, 0.999999, 1.0, 1.000001, 1.2, 1.5, 2.0, 2.000001, 3.7, 5.0):
            for x in np.geomspace(1e-8, 1e4, 25):
                ref = mp.exp(mp.mpf(x)) * mp.expint(mp.mpf(p), mp.mpf(x))
                got = float(scaled_expint(p, x))
                worst = max(worst, abs(got - float(ref)) / float(ref))
    assert worst < 1e-13
    assert float(scaled_expint(2.0, 0.0)) == 1.0
    assert np.isinf(scaled_expint(0.5, 0.0))


def test_quadrature_rules():
    t, q = de_rule()
    for w in (1e-6, 1e-2, 1.0, 1e3, 1e8):
        assert q @ np.exp(-w * t) == pytest.approx(1 / w, rel=1e-12)
    for p in (2.0, 2.2, 4.0):
        assert q @ (1 + t) ** -p == pytest.approx(1 / (p - 1), rel=1e-13)
    t, q = de_rule([1.0, 3.0])
    assert q @ np.where(t > 3, np.exp(-(t - 3)), 0.0) == pytest.approx(1.0, rel=1e-14)
    assert q @ (np.abs(t - 1.0) * (t < 3)) == pytest.approx(2.5, rel=1e-13)  # int_0^3 |t - 1|
    t, q = gauss_panels([0.0, 0.5, 2.0], order=10)
    assert q @ t ** 5 == pytest.approx(2.0 ** 6 / 6, rel=1e-14)


@pytest.mark.parametrize("text, match", [
    ("gauss:1", "unknown family 'gauss'"),
    ("exponential:0", r"beta must be a finite number > 0; got '0'"),
    ("exponential:-1", "beta must be a finite number > 0"),
    ("polynomial:nan", "omega must be a finite number > 0"),
    ("polynomial:abc", "omega must be a number; got 'abc'"),
    ("delayed:-1", r"t0 must be a finite number >= 0; got '-1'"),
    ("delayed:1:0", "beta must be a finite number > 0"),
    ("exponential:1:2", r"exponential takes 1 parameter\(s\)"),
    ("delayed", r"delayed takes 1 or 2 parameter\(s\)"),
    ("x*exponential:1", "scale 'x' is not a number"),
    ("", "kernel must be text like"),
    ("airy:5000", "airy: t0 must be <= 1000"),
])
def test_parse_errors(text, match):
    with pytest.raises(SpecError, match=match):
        parse_kernel(text)


def test_parse_non_string():
    with pytest.raises(SpecError, match="kernel must be text like 'polynomial:0.5'; got 3"):
        parse_kernel(3)
    k = exponential(1.0)
    assert parse_kernel(k) is k


def test_l1_norm_of_a_sum_with_both_signs_closed_form():
    # e^{-t} - 2 e^{-2t} changes sign at ln 2: int_0^ln2 (2e^{-2t} - e^{-t}) = 1/4 and
    # int_ln2^inf (e^{-t} - 2e^{-2t}) = 1/4, so ||rho||_1 = 1/2
    k = parse_kernel("exponential:1+-2*exponential:2")
    assert not k.nonnegative
    assert k.l1_norm() == pytest.approx(0.5, rel=1e-13)
    # and the same through l1_error with no exponentials (one computation, two entry points)
    from tnrnn.linear_rnn import l1_error

    e = l1_error(k, [], [])
    assert e.sign_changes == 1 and e.value == k.l1_norm()


def test_kernels_split_keeps_names_and_leaves_no_import_cycle():
    # issue 19: kernels.py split (atoms in _atoms, the L1 computation in _l1); the public
    # names stay importable from tnrnn.linear_rnn.kernels, and no module of the package
    # imports itself back through another, function-level imports included
    import pathlib

    import grimp

    import tnrnn.linear_rnn as lr
    from tnrnn.linear_rnn import kernels

    for name in kernels.__all__:
        assert getattr(kernels, name) is getattr(lr, name)
    graph = grimp.build_graph("tnrnn")
    mods = {m for m in graph.modules if m.startswith("tnrnn.linear_rnn.")}
    for m in mods:
        for dep in graph.find_modules_directly_imported_by(m) & mods:
            assert not graph.chain_exists(importer=dep, imported=m), (m, dep)
    for f in pathlib.Path(lr.__file__).parent.glob("*.py"):
        assert len(f.read_text().splitlines()) < 600, f.name


def _table_mp_int(f, h, g=lambda t: 1, upto=None):
    """int_0^upto g(t) * (the piecewise-linear table f) dt in mpmath, segment by segment."""
    n = len(f) - 1
    upto = n * h if upto is None else min(upto, n * h)
    total = mp.mpf(0)
    for i in range(n):
        t0, a, b = i * mp.mpf(h), mp.mpf(f[i]), mp.mpf(f[i + 1])
        if t0 >= upto:
            break
        piece = lambda t, t0=t0, a=a, b=b: g(t) * (a + (b - a) * (t - t0) / h)  # noqa: E731
        pts = [t0, min(t0 + h, upto)]
        if a * b < 0:   # |.| has a kink where the segment crosses 0
            pts.insert(1, min(t0 + h * a / (a - b), pts[-1]))
        total += mp.quad(piece, pts)
    return total


def test_tabulated_kernel_closed_forms_against_mpmath():
    from tnrnn.linear_rnn import tabulated

    rng = np.random.default_rng(3)
    f = np.concatenate([rng.standard_normal(12), [0.3]])   # both signs, a jump to 0 at the end
    h = 0.25
    k = tabulated(f, h, "random")
    n = len(f) - 1
    with mp.workdps(30):
        fm = [mp.mpf(x) for x in f]
        sq = mp.fsum(mp.quad(lambda u: (a + (b - a) * u) ** 2, [0, 1]) * h
                     for a, b in zip(fm[:-1], fm[1:]))
        assert k.l2_sq() == pytest.approx(float(sq), rel=1e-13)
        assert float(k.l2_sq_mp(mp.mp)) == pytest.approx(float(sq), rel=1e-25)
        ab = mp.fsum(mp.quad(lambda u: abs(a + (b - a) * u),
                             [0, 1] if a * b >= 0 else [0, a / (a - b), 1]) * h
                     for a, b in zip(fm[:-1], fm[1:]))
        assert k.l1_norm() == pytest.approx(float(ab), rel=1e-12)
        for w in (1e-6, 0.01, 1.0, 3.7, 50.0):
            ref = _table_mp_int(f, h, lambda t: mp.exp(-w * t))
            assert float(k.inner_exp(w)) == pytest.approx(float(ref), rel=1e-12, abs=1e-15)
            assert float(k.inner_exp_mp(mp.mpf(w), mp.mp)) == pytest.approx(float(ref),
                                                                              rel=1e-20)
            dref = -_table_mp_int(f, h, lambda t: t * mp.exp(-w * t))
            assert float(k.inner_exp_dw(w)) == pytest.approx(float(dref), rel=1e-11, abs=1e-14)
        total = _table_mp_int(f, h)
        for T in (0.0, 0.6, 2.0, n * h, 10.0):
            ref = total - _table_mp_int(f, h, upto=T) if T > 0 else total
            assert float(k.tail(T)) == pytest.approx(float(ref), abs=1e-13)
    assert float(k.value(n * h)) == 0.0 and float(k.value(0.125)) == pytest.approx(
        (f[0] + f[1]) / 2)
    with pytest.raises(SpecError, match="at least 2 samples"):
        tabulated([1.0], 0.1)
    with pytest.raises(SpecError, match="values must be finite"):
        tabulated([1.0, np.nan], 0.1)
    with pytest.raises(SpecError, match=r"step must be a number in \[1e-6, 1e3\]"):
        tabulated([1.0, 0.0], 0.0)


def test_tabulated_kernel_in_projection_and_flow_loss():
    # a table of an exponential sampled finely: the exact projection, the float64 QR route
    # and the jax loss of the flows agree on it (one closed form, three consumers)
    pytest.importorskip("jax")
    from tnrnn.linear_rnn import project, tabulated, white_noise_loss
    from tnrnn.linear_rnn._flow_runs import _make_loss

    t = np.arange(0, 30.0 + 1e-9, 0.05)
    k = tabulated(np.exp(-t) - 0.5 * np.exp(-3 * t), 0.05, "exp-sum")
    p = project(k, [1.0, 3.0])
    q = project(k, [1.0, 3.0], "qr")
    assert p.coefs == pytest.approx([1.0, -0.5], rel=5e-3)     # interpolation error O(h^2)
    # the qr route samples the table on the double-exponential grid, whose nodes do not
    # sit on the table's kinks: agreement to ~1e-9 of ||rho||^2, not to rounding
    assert abs(p.l2_sq_error - q.l2_sq_error) < 1e-8 * k.l2_sq()
    assert p.l2_sq_error < 1e-5 * k.l2_sq()
    import jax

    with jax.enable_x64(True):
        loss = _make_loss(k, "log")
        a, w = np.array([0.7, -0.2]), np.array([0.5, 2.0])
        assert float(loss((a, np.log(w)))) == pytest.approx(white_noise_loss(k, a, w), rel=1e-12)
