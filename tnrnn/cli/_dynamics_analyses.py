"""tnrnn dynamics: the analysis commands (lyapunov, fixed-points, orbit, lipschitz, regions,
slice) on a preset or a cell with weights."""

from __future__ import annotations

import click

from ._app import CONTEXT, _console
from ._dynamics_common import (dynamics, _bar, _system_options, _out_options, _max_work_option,
                        _finite, _count, _seed, _work, _memory, _range, _system, _const_input,
                        _check_fig, _pyplot, _save, _emit, _num, escape, _step_cost,
                               _MAX_BYTES, _MAX_STD)
from ..errors import SpecError, TooLargeError


# ------------------------------------------------------------------ lyapunov
@dynamics.command("lyapunov", context_settings=CONTEXT)
@_system_options
@click.option("--steps", type=int, default=10000, show_default=True,
              help="Steps averaged over (>= 20: 20 blocks for the error).")
@click.option("--burn", type=int, default=500, show_default=True, help="Steps discarded first.")
@click.option("-k", "k", type=int, default=None, help="How many exponents (default all).")
@click.option("--max-work", type=float, default=1e11, show_default=True,
              help="Refuse runs above this many multiply-adds (steps x k x d^2).")
@_out_options
def lyapunov_cmd(preset, params, cell, weights, hidden, input_dim, seed, input_, steps, burn, k,
                 max_work, as_json, figure):
    """Lyapunov spectrum (QR method), nats per step, with standard errors.

    An exponent is -inf where the tangent vector collapses to zero (the zero
    map); where the orbit leaves the float range the spectrum is undefined
    ("diverged", null in --json), never a verdict.

    \b
    Examples:
      tnrnn dynamics lyapunov --preset logistic --param r=4
      tnrnn dynamics lyapunov --preset chaotic-lstm --steps 20000 --figure conv.png
      tnrnn dynamics lyapunov --cell gru --hidden 16 -k 3 --json
    """
    from ..dynamics import lyapunov_spectrum
    from ..dynamics.lyapunov import STATUS

    _check_fig(figure)
    steps = _count("--steps", steps, minimum=20)
    burn = _count("--burn", burn, minimum=0)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    sysm = _system(preset, params, cell, weights, hidden, input_dim, seed)
    f = sysm.map(_const_input(sysm, input_))
    d = sysm.dim
    kk = d if k is None else _count("-k", k)
    if kk > d:
        raise SpecError(f"-k must be between 1 and the state dimension {d}; got {kk}")
    work = (steps + burn) * (kk * d * d + 2 * d * kk * kk)
    if work > max_work:
        raise TooLargeError(f"about {work:.3g} multiply-adds for {steps + burn} steps, d = {d}, "
                            f"k = {kk}: over --max-work {max_work:.3g}; raise --max-work or use "
                            "fewer steps or a smaller k", estimate=work, limit=max_work)
    res = lyapunov_spectrum(f, sysm.x0, steps=steps, burn=burn, k=kk, max_work=max_work)
    ok = res.status == "ok"
    payload = {"system": sysm.description, "steps": res.steps, "burn": res.burn,
               "status": res.status, "exponents": res.exponents.tolist(),
               "stderr": res.stderr.tolist(), "sum": float(res.exponents.sum())}
    if as_json:
        _emit(payload)
    else:
        from rich.table import Table

        con = _console()
        con.print(f"[bold]{escape(sysm.description)}[/]: {res.steps} steps after {res.burn} burn-in")
        if not ok:
            con.print(f"{STATUS[res.status]}; no exponent and no verdict (status {res.status})")
        else:
            tab = Table(header_style="bold")
            for col in ("i", "exponent (nats/step)", "stderr"):
                tab.add_column(col, justify="right")
            for i, (e, s) in enumerate(zip(res.exponents, res.stderr), 1):
                tab.add_row(str(i), _num(e, "+.6f"), _num(s, ".1e"))
            con.print(tab)
            if res.max == float("-inf"):
                verdict = "not chaotic (the tangent vector collapsed to zero: lambda = -inf)"
            elif res.max > 3 * res.stderr[0]:
                verdict = "chaotic (largest > 0)"
            else:
                verdict = "not chaotic (largest <= 0 within error)"
            con.print(f"largest {_num(res.max, '+.6f')} +- {_num(res.stderr[0], '.1e')}: "
                      f"{verdict}")
    if figure:
        from ..render.dynamics_figures import lyapunov_figure

        _save(lyapunov_figure(_pyplot(), res, sysm.description), figure)


# ------------------------------------------------------------------ fixed points
@dynamics.command("fixed-points", context_settings=CONTEXT)
@_system_options
@click.option("--starts", type=int, default=64, show_default=True, help="Random starts.")
@click.option("--init-std", type=float, default=2.0, show_default=True,
              help="Standard deviation of the random starts.")
@click.option("--tol", type=float, default=1e-10, show_default=True,
              help="Converged when ||f(x) - x|| <= tol.")
@_max_work_option(1e11)
@_out_options
def fixed_points_cmd(preset, params, cell, weights, hidden, input_dim, seed, input_, starts,
                     init_std, tol, max_work, as_json, figure):
    """Fixed points (minimise ||f(x) - x||^2/2, then Newton) and their stability.

    The starts are solved in batches behind a progress bar; runs estimated
    above --max-work multiply-adds are refused before they start.

    \b
    Examples:
      tnrnn dynamics fixed-points --preset tanh --param w=2
      tnrnn dynamics fixed-points --cell tanh --hidden 4 --seed 3 --json
    """
    import numpy as np

    from ..dynamics import fixed_points
    from ..dynamics.fixed_points import fixed_points_work

    _check_fig(figure)
    starts = _count("--starts", starts)
    init_std = _finite("--init-std", init_std, positive=True, maximum=_MAX_STD)
    tol = _finite("--tol", tol, positive=True)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    sysm = _system(preset, params, cell, weights, hidden, input_dim, seed)
    f = sysm.map(_const_input(sysm, input_))
    d = sysm.dim
    _work(fixed_points_work(starts, d), max_work,
          f"fixed points from {starts} starts, d = {d}: multiply-adds",
          "raise --max-work or use fewer --starts")
    _memory(8.0 * starts * (d + 2), f"{starts} starts of dimension {d}", "use fewer --starts")
    X = np.asarray(sysm.x0).reshape(1, -1) + init_std * np.random.default_rng(seed).standard_normal(
        (starts, d))
    with _bar() as bar:
        task = bar.add_task("fixed points", total=starts)
        fp = fixed_points(f, X, tol=tol, max_work=max_work, max_bytes=_MAX_BYTES,
                          progress=lambda k, t: bar.update(task, completed=k, total=t))
    pts = np.asarray(fp.points).reshape(len(fp.stability), -1)
    rows = [{"point": pts[i].tolist(), "stability": fp.stability[i],
             "spectral_radius": float(np.abs(fp.eigenvalues[i, 0])),
             "eigenvalues": [[float(z.real), float(z.imag)] for z in fp.eigenvalues[i]],
             "residual": float(fp.residuals[i]), "starts": int(fp.counts[i])}
            for i in range(len(fp.stability))]
    payload = {"system": sysm.description, "starts": starts, "failed": fp.n_failed,
               "fixed_points": rows}
    if as_json:
        _emit(payload)
    else:
        from rich.table import Table

        con = _console()
        con.print(f"[bold]{escape(sysm.description)}[/]: {len(rows)} fixed point(s) from {starts} starts "
                  f"({fp.n_failed} did not converge)")
        tab = Table(header_style="bold")
        for col in ("point", "stability", "max |eig|", "residual", "starts"):
            tab.add_column(col)
        for r in rows:
            pt = ", ".join(f"{v:.6g}" for v in r["point"][:6]) + (" ..." if len(r["point"]) > 6
                                                                    else "")
            tab.add_row(f"[{pt}]", r["stability"], _num(r["spectral_radius"], ".6g"),
                        f"{r['residual']:.1e}", str(r["starts"]))
        con.print(tab)
    if figure:
        from ..render.dynamics_figures import fixed_points_figure

        _save(fixed_points_figure(_pyplot(), rows), figure)


# ------------------------------------------------------------------ orbit
@dynamics.command("orbit", context_settings=CONTEXT)
@_system_options
@click.option("--scale", "scale", default="0.5:2:100", show_default=True, metavar="A:B:N",
              help="The path theta(s) = s * theta for N values of s from A to B.")
@click.option("--n-init", type=int, default=4, show_default=True,
              help="Random initial states per s.")
@click.option("--init-std", type=float, default=100.0, show_default=True,
              help="Their standard deviation (the paper's 100).")
@click.option("--steps", type=int, default=400, show_default=True, help="Steps kept.")
@click.option("--burn", type=int, default=1200, show_default=True, help="Steps discarded first.")
@_max_work_option(1e11)
@_out_options
def orbit_cmd(preset, params, cell, weights, hidden, input_dim, seed, input_, scale, n_init,
              init_std, steps, burn, max_work, as_json, figure):
    """Orbit diagram along theta(s) = s * theta: the steady states for each s.

    Prints a summary per s (how many distinct values the first coordinate
    takes: 1 a fixed point, 2 a period-2 orbit, many a cycle or chaos). A
    run whose orbit leaves the float range is counted as diverged and left
    out of the summary; with every run diverged, the values are null.

    \b
    Examples:
      tnrnn dynamics orbit --preset tanh --param w=1 --scale -3:3:121 --figure tanh_orbit.png
      tnrnn dynamics orbit --preset chaotic-lstm --scale 0.5:2:200 --figure lstm_orbit.png
    """
    import numpy as np

    from ..dynamics import orbit_diagram
    from ..dynamics.orbit import orbit_sizes
    from ..dynamics.systems import scale_params

    _check_fig(figure)
    a, b, n = _range(scale, "--scale")
    n_init = _count("--n-init", n_init)
    init_std = _finite("--init-std", init_std, positive=True, maximum=_MAX_STD)
    steps = _count("--steps", steps)
    burn = _count("--burn", burn, minimum=0)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    sysm = _system(preset, params, cell, weights, hidden, input_dim, seed)
    u = _const_input(sysm, input_)
    work, nbytes = orbit_sizes(n, n_init, 1, steps, burn, sysm.dim)
    _work(work, max_work, f"orbit diagram of {n} x {n_init} runs of {burn} + {steps} steps, "
          f"d = {sysm.dim}: multiply-adds", "raise --max-work or use fewer values of s, "
          "starts or steps")
    _memory(nbytes, f"orbit diagram of {n} x {n_init} x {steps} states of dimension {sysm.dim}",
            "use fewer values of s, starts or --steps")
    s = np.linspace(a, b, n)
    driven = sysm.input_dim is not None
    U = None if not driven else np.array([u if u is not None else np.zeros(sysm.input_dim)])
    with _bar() as bar:
        task = bar.add_task("orbit diagram", total=n)
        od = orbit_diagram(lambda si: sysm.family(scale_params(sysm.params, si)), s, u_values=U,
                           n_init=n_init, init_std=init_std, steps=steps, burn=burn,
                           dim=sysm.dim, seed=seed, max_work=max_work, max_bytes=_MAX_BYTES,
                           progress=lambda k, t: bar.update(task, completed=k, total=t))
    finite = np.all(np.isfinite(od[:, :, 0]), axis=(2, 3))  # (n, n_init): the run stayed finite
    first = np.where(finite[:, :, None], od[:, :, 0, :, 0], np.nan)  # (n, n_init, steps)
    r = np.round(first, 6)
    period, attractors, lo, hi = [], [], [], []
    for i in range(n):
        runs = [r[i, j] for j in range(n_init) if finite[i, j]]
        if not runs:
            period.append(None)
            attractors.append(None)
            lo.append(None)
            hi.append(None)
            continue
        period.append(int(max(len(np.unique(x)) for x in runs)))
        attractors.append(int(len({tuple(np.unique(x)) for x in runs})))
        lo.append(float(np.nanmin(first[i])))
        hi.append(float(np.nanmax(first[i])))
    diverged = (n_init - finite.sum(axis=1)).tolist()
    payload = {"system": sysm.description, "s": s.tolist(), "values_per_run": period,
               "distinct_attractors": attractors, "diverged_runs": diverged,
               "min": lo, "max": hi}
    if as_json:
        _emit(payload)
    else:
        con = _console()
        con.print(f"[bold]{escape(sysm.description)}[/]: orbit diagram, {n} values of s, {n_init} starts, "
                  f"{steps} steps kept after {burn}")
        for i in range(0, n, max(1, n // 20)):
            gone = (f"; {diverged[i]} of {n_init} run(s) diverged (the orbit left the domain)"
                    if diverged[i] else "")
            if period[i] is None:
                con.print(f"  s = {s[i]:+.4f}: undefined: every orbit left the domain (diverged)")
                continue
            kind = ("fixed point" if period[i] == 1 else "period 2" if period[i] == 2
                    else f"{period[i]} values per run (a long cycle, chaos, or not settled)")
            con.print(f"  s = {s[i]:+.4f}: x1 in [{lo[i]:+.4f}, {hi[i]:+.4f}], {kind}; "
                      f"{attractors[i]} distinct attractor(s){gone}")
    if figure:
        from ..render.dynamics_figures import orbit_figure

        _save(orbit_figure(_pyplot(), s, first, sysm.description), figure)


# ------------------------------------------------------------------ lipschitz
@dynamics.command("lipschitz", context_settings=CONTEXT)
@_system_options
@click.option("--steps", type=int, default=2000, show_default=True,
              help="Trajectory length for the empirical norms.")
@click.option("--input-radius", type=float, default=1.0, show_default=True,
              help="Bound inputs to ||u||_inf <= this where the bound depends on them.")
@_max_work_option(1e11)
@_out_options
def lipschitz_cmd(preset, params, cell, weights, hidden, input_dim, seed, input_, steps,
                  input_radius, max_work, as_json, figure):
    """Lipschitz bound of a cell, empirical ||Df|| along a trajectory, region.

    Where the trajectory leaves the float range the empirical norm is
    undefined ("diverged", null in --json).

    \b
    Examples:
      tnrnn dynamics lipschitz --cell tanh --hidden 16
      tnrnn dynamics lipschitz --preset chaotic-lstm --json
    """
    import numpy as np

    from ..dynamics import jacobian_norms, lipschitz_bound, region, simulate

    _check_fig(figure)
    steps = _count("--steps", steps)
    input_radius = _finite("--input-radius", input_radius, minimum=0.0)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    sysm = _system(preset, params, cell, weights, hidden, input_dim, seed)
    f = sysm.map(_const_input(sysm, input_))
    d = sysm.dim
    _work((steps + 1) * (10.0 * d ** 3 + (d + 1) * _step_cost(d)), max_work,
          f"Jacobian norms at {steps + 1} states, d = {d}: multiply-adds",
          "raise --max-work or use fewer --steps")
    _memory(8.0 * (steps + 1) * d * 2, f"a trajectory of {steps + 1} states of dimension {d}",
            "use fewer --steps")
    bounds = []
    if sysm.cell is not None:
        layers = sysm.params["layers"] if "layers" in sysm.params else [sysm.params]
        bounds = [lipschitz_bound(sysm.cell, lay, input_radius=input_radius).to_dict()
                  for lay in layers]
    rng = np.random.default_rng(seed)
    x0 = np.asarray(sysm.x0, dtype=float).reshape(-1) + 0.1 * rng.standard_normal(d)
    traj = np.asarray(simulate(f, x0 if d > 1 else x0[0], steps=steps, max_work=max_work,
                               max_bytes=_MAX_BYTES)).reshape(-1, d)
    ok = np.all(np.isfinite(traj), axis=1)
    kept = traj[:int(np.argmin(ok))] if not ok.all() else traj
    diverged = not ok.all()
    norms = (np.atleast_1d(jacobian_norms(f, kept, max_work=max_work)) if len(kept)
             else np.zeros(0))
    emp = None if diverged or not np.all(np.isfinite(norms)) else float(norms.max())
    payload = {"system": sysm.description, "bounds": bounds, "empirical_sup_norm": emp,
               "empirical_mean_norm": None if emp is None else float(norms.mean()),
               "steps": steps, "diverged": diverged,
               "region_empirical": "undefined" if emp is None else region(emp),
               "region_bound": region(bounds[0]["value"]) if len(bounds) == 1 else None}
    if as_json:
        _emit(payload)
    else:
        con = _console()
        con.print(f"[bold]{escape(sysm.description)}[/]")
        for i, bd in enumerate(bounds):
            con.print(f"  layer {i}: bound L_x <= {_num(bd['value'], '.6g')} "
                      f"({region(bd['value'])}) over {bd['domain']}"
                      f"{'; attained' if bd['attained'] else ''}")
            con.print(f"    {bd['note']}")
        if not bounds:
            con.print("  no analytic bound for a preset map; empirical norms only")
        if emp is None:
            con.print(f"  empirical max ||Df||_2: undefined: the orbit left the domain (diverged "
                      f"after {len(kept)} of {steps + 1} states)")
        else:
            con.print(f"  empirical max ||Df||_2 over {steps + 1} visited states: {emp:.6g} "
                      f"({payload['region_empirical']}); mean "
                      f"{payload['empirical_mean_norm']:.6g}")
    if figure:
        from ..render.dynamics_figures import lipschitz_figure

        _save(lipschitz_figure(_pyplot(), norms, bounds), figure)


# ------------------------------------------------------------------ regions
@dynamics.command("regions", context_settings=CONTEXT)
@click.option("--hidden", type=int, default=32, show_default=True, help="Width of the tanh RNN.")
@click.option("--grid", type=int, default=40, show_default=True, help="Points per axis.")
@click.option("--gain", "gain", default="0.2:3", show_default=True, metavar="A:B",
              help="Recurrent gain g (||W_hh||_2 = g).")
@click.option("--input-scale", "input_scale", default="0:3", show_default=True, metavar="A:B",
              help="Input scale s (scalar inputs N(0, 1) through a W_ih of N(0, 1) entries).")
@click.option("--steps", type=int, default=2000, show_default=True,
              help="Steps averaged over for the exponent.")
@click.option("--burn", type=int, default=500, show_default=True, help="Steps discarded first.")
@click.option("--norms/--no-norms", default=False, show_default=True,
              help="Also the empirical sup ||Df|| (every 50th state).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the weights, inputs and initial state.")
@click.option("--max-work", type=float, default=1e12, show_default=True,
              help="Refuse maps above this many multiply-adds.")
@_out_options
def regions_cmd(hidden, grid, gain, input_scale, steps, burn, norms, seed, max_work, as_json,
                figure):
    """Region map of a tanh RNN: largest exponent over gain x input scale.

    x' = tanh(g W x + s U u), W Gaussian scaled to ||W||_2 = 1, U with
    N(0, 1) entries, u ~ N(0, 1) i.i.d. per step, x0 ~ N(0, 0.01 I); the
    Lipschitz bound is g. Regions by exp(lambda_max) against 1 (tolerance
    0.02); with --norms also by the empirical sup ||Df||.

    \b
    Examples:
      tnrnn dynamics regions --grid 20 --steps 500
      tnrnn dynamics regions --hidden 32 --grid 100 --figure regions.png --json
    """
    import numpy as np

    from ..dynamics import region_map_work
    from ..dynamics.experiments import tanh_region_map

    _check_fig(figure)
    grid = _count("--grid", grid)
    hidden = _count("--hidden", hidden)
    steps = _count("--steps", steps)
    burn = _count("--burn", burn, minimum=0)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    g = _range(gain, "--gain", count=False)
    s = _range(input_scale, "--input-scale", count=False)
    _work(region_map_work(grid * grid, hidden, steps, burn, 50 if norms else 0), max_work,
          f"region map of {grid} x {grid} points, d = {hidden}, {burn} + {steps} steps: "
          "multiply-adds", "raise --max-work or use a smaller --grid or fewer --steps")
    _memory(8.0 * (grid * grid * 4 + hidden * hidden + burn + steps),
            f"region map of {grid} x {grid} points", "use a smaller --grid")
    with _bar() as bar:
        task = bar.add_task("region map", total=grid * grid)
        rm = tanh_region_map(hidden=hidden, gains=np.linspace(*g, grid),
                             scales=np.linspace(*s, grid), steps=steps, burn=burn, seed=seed,
                             norm_every=50 if norms else 0, max_work=max_work,
                             progress=lambda d, t: bar.update(task, completed=d, total=t))
    lam = rm.lyapunov
    labels = rm.regions(by="lyapunov")
    kinds = ("contracting", "boundary", "expanding", "undefined")
    counts = {k: int(np.sum(labels == k)) for k in kinds}
    payload = {"hidden": hidden, "gain": rm.a.tolist(), "input_scale": rm.b.tolist(),
               "steps": steps, "burn": burn, "seed": seed, "seconds": rm.seconds,
               "lyapunov_max": lam.tolist(), "regions_by_lyapunov": counts}
    if rm.sup_norm is not None:
        payload["sup_norm"] = rm.sup_norm.tolist()
        lip = rm.regions(by="lipschitz")
        payload["regions_by_sup_norm"] = {k: int(np.sum(lip == k)) for k in kinds}
    if as_json:
        _emit(payload)
    else:
        con = _console()
        con.print(f"[bold]tanh RNN, {hidden} units[/]: {grid} x {grid} grid, {steps} steps after "
                  f"{burn}, {rm.seconds:.1f} s")
        defined = ~np.isnan(lam)
        if defined.any():
            con.print(f"  largest exponent from {_num(float(lam[defined].min()), '+.3f')} to "
                      f"{_num(float(lam[defined].max()), '+.3f')}; points with lambda_max > 0: "
                      f"{int(np.sum(lam > 0))} of {lam.size}")
        if counts["undefined"]:
            con.print(f"  undefined at {counts['undefined']} point(s): the orbit left the domain")
        con.print(f"  regions by exp(lambda_max) vs 1: {counts}")
        if rm.sup_norm is not None:
            con.print(f"  regions by the empirical sup ||Df|| vs 1: "
                      f"{payload['regions_by_sup_norm']}")
        for j in range(0, grid, max(1, grid // 5)):
            pos = np.flatnonzero(lam[:, j] > 0)
            edge = f"g > {rm.a[pos[0]]:.3f}" if pos.size else "none"
            con.print(f"  input scale {rm.b[j]:.3f}: chaotic for {edge}")
    if figure:
        from ..render.dynamics_figures import region_map_figure

        _save(region_map_figure(_pyplot(), rm), figure)


# ------------------------------------------------------------------ slice
@dynamics.command("slice", context_settings=CONTEXT)
@_system_options
@click.option("--scale", "scale", default="0.5:2:301", show_default=True, metavar="A:B:N",
              help="The path theta(s) = s * theta (s = 1 is the system's weights).")
@click.option("--horizon", type=int, default=200, show_default=True,
              help="Simulated steps per loss evaluation.")
@click.option("--loss-burn", type=int, default=100, show_default=True,
              help="Leading steps left out of the loss.")
@click.option("--lyap-steps", type=int, default=2000, show_default=True,
              help="Steps for lambda_max at each s (0: skip).")
@_max_work_option(1e11)
@_out_options
def slice_cmd(preset, params, cell, weights, hidden, input_dim, seed, input_, scale, horizon,
              loss_burn, lyap_steps, max_work, as_json, figure):
    """Loss along theta(s) = s * theta beside the largest exponent.

    The loss is the paper's: the mean squared difference between the
    trajectory at s * theta and at theta (s = 1), over steps loss-burn ..
    horizon from the system's initial state (for a cell: its outputs h).
    Where a trajectory leaves the float range the loss or the exponent is
    undefined (null in --json) and left out of the roughness.

    \b
    Examples:
      tnrnn dynamics slice --preset chaotic-lstm --figure slice.png
      tnrnn dynamics slice --preset tanh --param w=1.5 --scale 0:2:101 --json
    """
    from ..dynamics.experiments import scale_slice, scale_slice_sizes

    _check_fig(figure)
    a, b, n = _range(scale, "--scale")
    horizon = _count("--horizon", horizon)
    loss_burn = _count("--loss-burn", loss_burn, minimum=0)
    if loss_burn >= horizon:
        raise SpecError(f"--loss-burn must be in [0, --horizon); got {loss_burn} with --horizon "
                        f"{horizon}")
    lyap_steps = _count("--lyap-steps", lyap_steps, minimum=0)
    seed = _seed(seed)
    max_work = _finite("--max-work", max_work, positive=True)
    sysm = _system(preset, params, cell, weights, hidden, input_dim, seed)
    u = _const_input(sysm, input_)
    work, nbytes = scale_slice_sizes(n, sysm.dim, horizon=horizon, lyap_steps=lyap_steps,
                                     lyap_burn=500)
    _work(work, max_work, f"loss slice of {n} points, horizon {horizon}, lambda_max over "
          f"500 + {lyap_steps} steps, d = {sysm.dim}: multiply-adds",
          "raise --max-work or use fewer points (--scale), --horizon or --lyap-steps")
    _memory(nbytes, f"loss slice of {n} points", "use fewer points (--scale)")
    with _bar() as bar:
        task = bar.add_task("loss slice", total=None)
        res = scale_slice(sysm, a, b, n, horizon=horizon, burn=loss_burn, lyap_steps=lyap_steps,
                          u=u, max_work=max_work, max_bytes=_MAX_BYTES,
                          progress=lambda k, t: bar.update(task, completed=k, total=t))
    if as_json:
        _emit(res.to_dict())
    else:
        con = _console()
        m = len(res.s)
        con.print(f"[bold]{escape(sysm.description)}[/]: loss along s * theta, s in [{a}, {b}] ({m} "
                  f"points)")
        con.print(f"  loss at s = 1: {_num(res.loss_at_1, '.3g')}; total variation "
                  f"{res.total_variation:.4g}")
        if res.loss_undefined:
            con.print(f"  loss undefined at {res.loss_undefined} point(s): the trajectory "
                      "left the domain (diverged)")
        if res.lyapunov_max:
            import numpy as np

            lam = np.array(res.lyapunov_max)
            if res.lyapunov_undefined:
                con.print(f"  lambda_max undefined at {res.lyapunov_undefined} point(s): the "
                          "orbit left the domain (diverged)")
            rc, rr = res.roughness_chaotic, res.roughness_regular
            con.print(f"  lambda_max > 0 at {int(np.sum(lam > 0))} of {m} points; mean |loss "
                      f"increment| there {'none' if rc is None else format(rc, '.4g')}, "
                      f"elsewhere {'none' if rr is None else format(rr, '.4g')}")
    if figure:
        from ..render.dynamics_figures import slice_figure

        _save(slice_figure(_pyplot(), res.to_dict()), figure)
