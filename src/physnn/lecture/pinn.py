"""Section 11 — physics-informed neural networks: L = L_data + λ‖N(u_θ)‖².

Two experiments: (a) Burgers' equation solved by a PINN and compared with its
exact (Cole–Hopf) solution; (b) the weight λ of the composite loss changes the
result — Poisson's equation with soft boundary conditions at several λ.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
    timed,
)

NUMBER = 11
TITLE = "Physics-informed neural networks"

CLAIM = (
    "“An emerging paradigm combines data-driven learning with physical laws. By incorporating "
    "differential equations directly into the loss function, these networks learn solutions that "
    "satisfy both observational data and fundamental physics: L = L_data + λ‖N(u_θ) − 0‖², where N "
    "is a differential operator encoding physical laws.”"
)

CODE = '''\
import math, torch
from physnn.pinn import RAR, Interval, SpaceTime, TimeDomain, Problem, solve

def burgers(x, u, d, p):                      # N(u) = u_t + u u_x - nu u_xx
    return d.t(u) + u * d.x(u) - p.nu * d.xx(u)

problem = Problem(
    SpaceTime(Interval(-1, 1), TimeDomain(0, 0.99)), burgers,
    parameters={"nu": 0.01 / math.pi},
    # u(x,0) = -sin(pi x) and u(+-1,t) = 0 hold exactly by construction:
    transform=lambda x, y: -torch.sin(math.pi * x[:, :1]) + x[:, 1:] * (1 - x[:, :1] ** 2) * y,
)
# Adam, then self-scaled BFGS (a dense quasi-Newton method: the network has ~1,300 weights)
sol = solve(problem, hidden=[20, 20, 20, 20], n_domain=1500, adam_steps=1000, adam_lr=3e-3,
            rar=RAR(every=1, add=100, candidates=10000, max_points=3000),  # points where the residual is large
            quasi_newton="ssbfgs", lbfgs_steps=2000, lbfgs_iters_per_epoch=25, lbfgs_patience=2,
            lbfgs_min_decrease=0.5, lbfgs_window=10)   # stop once 10 epochs gain less than 2x
'''


#: quick mode's Burgers solve: a demonstration of the residual falling (4-6 CPU s; measured PDE loss
#: ratios 1.7e-4 ... 6.5e-4 on seeds 0-3), far too short for the accuracy goal, which it does not claim
QUICK_BURGERS = dict(hidden=[20, 20, 20], n_domain=500, adam_steps=400, adam_lr=3e-3, lbfgs_steps=400,
                     quasi_newton="ssbfgs")


def _burgers(quick: bool, seed: int):
    from physnn.pinn.problems import burgers, burgers_reference_points
    from physnn.pinn.runs import PRESETS
    from physnn.pinn.solve import solve

    settings = dict(QUICK_BURGERS if quick else PRESETS["burgers"]["full"])
    sol = solve(burgers(), seed=seed, reference_x=burgers_reference_points(), **settings)
    return sol, settings


def _lambda_sweep(quick: bool, seed: int):
    """Poisson u'' = -π² sin(πx) with a *soft* boundary term weighted by λ."""
    from physnn.pinn.problems import poisson1d
    from physnn.pinn.solve import solve

    lams = [1e-4, 1e-2, 1.0, 100.0]
    steps = dict(adam_steps=400, lbfgs_steps=150) if quick else dict(adam_steps=1500, lbfgs_steps=600)
    rows = []
    for lam in lams:
        sol = solve(poisson1d(), hidden=[20, 20], n_domain=64, weights={"boundary": lam}, seed=seed, **steps)
        obj = sol.objective
        losses = {k: float(v.detach()) for k, v in obj._terms(sol.model, obj.points).items()}
        x = np.linspace(-1, 1, 201)[:, None].astype(np.float32)
        import torch

        u = obj.predict(sol.model, torch.as_tensor(x)).numpy()[:, 0]
        rows.append({"lam": lam, "l2": sol.errors["l2_error"], "pde": losses["pde"], "bc": losses["boundary"],
                     "u_ends": (float(u[0]), float(u[-1])), "x": x[:, 0], "u": u})
    return rows


#: the data + physics experiment: observations of u = sin(πx), and the weights λ of the residual term
N_OBS, OBS_NOISE, DATA_LAMBDAS = 8, 0.1, [0.0, 1e-4, 1e-2, 1.0]


def data_and_physics(quick: bool, seed: int) -> list[dict[str, Any]]:
    r"""The lecture's formula with both terms: :math:`L = L_\text{data} + \lambda \lVert N(u_\theta)\rVert^2`.

    ``N_OBS`` noisy observations (σ = ``OBS_NOISE``) of :math:`u = \sin \pi x` at random
    :math:`x \in [-1, 1]`, no boundary condition; the residual of Poisson's equation
    :math:`N(u) = u'' + \pi^2 \sin \pi x` weighted by each λ of ``DATA_LAMBDAS``
    (λ = 0: the data alone).  Returns one row per λ: relative L2 error against the exact solution,
    data misfit (MSE on the observations) and PDE loss.
    """
    import torch

    from physnn.pinn.conditions import PointData
    from physnn.pinn.geometry import Interval
    from physnn.pinn.problem import Problem
    from physnn.pinn.solve import solve

    rng = np.random.default_rng(977 + seed)
    x_obs = np.sort(rng.uniform(-1.0, 1.0, N_OBS)).reshape(-1, 1)
    y_obs = np.sin(math.pi * x_obs) + OBS_NOISE * rng.standard_normal(x_obs.shape)

    def residual(x, u, d):
        return d.xx(u) + math.pi ** 2 * torch.sin(math.pi * x)

    steps = dict(adam_steps=150, lbfgs_steps=25) if quick else dict(adam_steps=1500, lbfgs_steps=600)
    xg = np.linspace(-1, 1, 401)[:, None]
    rows = []
    for lam in DATA_LAMBDAS:
        problem = Problem(Interval(-1.0, 1.0), residual, [PointData(x_obs, y_obs, name="data")], name="poisson-data",
                          reference=lambda X: np.sin(math.pi * np.asarray(X)[:, :1]))
        sol = solve(problem, hidden=[20, 20], n_domain=64, weights={"pde": lam, "data": 1.0}, seed=seed, **steps)
        with torch.no_grad():
            u = sol.model(torch.as_tensor(xg, dtype=torch.float32)).double().numpy()[:, 0]
            u_obs = sol.model(torch.as_tensor(x_obs, dtype=torch.float32)).double().numpy()[:, 0]
        truth = np.sin(math.pi * xg[:, 0])
        rows.append({"lam": lam, "l2": float(np.linalg.norm(u - truth) / np.linalg.norm(truth)),
                     "misfit": float(np.mean((u_obs - y_obs[:, 0]) ** 2)), "x": xg[:, 0], "u": u})
    return [dict(r, x_obs=x_obs[:, 0], y_obs=y_obs[:, 0]) for r in rows]


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Solve Burgers' equation with a PINN and sweep the boundary weight λ on Poisson's equation."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 11: the Burgers solve (``sol``, ``settings``) and the λ sweep (``rows``)."""
    with timed("solving Burgers' equation with a PINN (Adam, then quasi-Newton)"):
        sol, settings = _burgers(quick, seed)
    with timed("solving Poisson's equation at four boundary weights λ"):
        rows = _lambda_sweep(quick, seed)
    with timed("fitting sparse noisy data with and without the physics term"):
        data_rows = data_and_physics(quick, seed)
    return {"quick": quick, "sol": sol, "settings": settings, "rows": rows, "data_rows": data_rows}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The Burgers solution beside the exact one, and the λ sweep."""
    return [_fig_burgers(m["sol"]), _fig_lambda(m["rows"]), _fig_data(m["data_rows"])]


def _fig_data(rows):
    fig, ax = subplots(1, 1, width=6.5, height=4.4)
    x = rows[0]["x"]
    ax.plot(x, np.sin(np.pi * x), color="k", lw=2.5, alpha=0.3, label="exact u = sin(πx)")
    ax.plot(rows[0]["x_obs"], rows[0]["y_obs"], "ko", ms=7, label=f"{len(rows[0]['x_obs'])} noisy observations")
    for r, c in zip(rows, ["C3", "C1", "C2", "C0"]):
        ax.plot(r["x"], r["u"], color=c, lw=1.6, label=f"λ = {r['lam']:g}: rel. L2 {r['l2']:.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("u")
    ax.set_ylim(-2.0, 2.0)
    ax.set_title("L = L_data + λ‖u'' + π² sin πx‖²: data alone (λ = 0) and with physics")
    ax.legend(fontsize=9, loc="lower right")
    return figure_from_matplotlib(fig, "pinn_data_and_physics.png",
                                  "A network fitted to sparse noisy observations, with the PDE residual weighted "
                                  "by λ (λ = 0: the data alone). The error is against the exact solution.")


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 11: the accuracy goal (full mode), the residual's fall, λ's effect."""
    from physnn.pinn.solve import QUASI_NEWTON

    quick, sol, settings, rows = m["quick"], m["sol"], m["settings"], m["rows"]
    err = sol.errors["l2_error"]
    goal = 1e-3
    by = {r["lam"]: r for r in rows}
    checks = [] if quick else [
        Check("a PINN solves Burgers' equation: relative L2 error against the exact (Cole–Hopf) solution",
              f"≤ {goal:g}", f"{err:.2e} after {sum(sol.seconds.values()):.0f} s", err <= goal, err),
    ]
    checks += [
        Check(
            "the physics term alone drives the fit: residual loss falls by orders of magnitude",
            "final PDE loss ≤ 1e-2 × first",
            f"{sol.objective._last.get('pde', float('nan')):.2e} vs {_first(sol):.2e}",
            _last_pde(sol) <= 1e-2 * _first(sol), _last_pde(sol) / max(_first(sol), 1e-30)),
        Check(
            "λ matters: too small a weight on the boundary term lets the solution drift off the boundary condition",
            "error at λ = 1e-4 ≥ 10 × error at λ = 1",
            f"{by[1e-4]['l2']:.2e} vs {by[1.0]['l2']:.2e}", by[1e-4]["l2"] >= 10 * by[1.0]["l2"],
            by[1e-4]["l2"] / max(by[1.0]["l2"], 1e-30)),
    ]
    drows = m["data_rows"]
    alone = drows[0]
    best = min(drows[1:], key=lambda r: r["l2"])
    checks.append(Check(
        "data + physics (L = L_data + λ‖N(u)‖²) beats the data alone: sparse noisy observations of "
        "Poisson's solution, error against the exact solution",
        "relative L2 error at the best λ > 0 ≤ ½ × at λ = 0",
        f"{best['l2']:.3f} (λ = {best['lam']:g}) vs {alone['l2']:.3f} (λ = 0)",
        best["l2"] <= 0.5 * alone["l2"], best["l2"] / max(alone["l2"], 1e-30)))
    data_table = markdown_table(
        ["λ (PDE residual)", "relative L2 error vs exact", "misfit on the observations (MSE)"],
        [[f"{r['lam']:g}", f"{r['l2']:.3f}", f"{r['misfit']:.4f}"] for r in drows])
    table = markdown_table(
        ["λ (boundary)", "relative L2 error", "PDE loss", "boundary loss", "u(−1), u(1)"],
        [[f"{r['lam']:g}", f"{r['l2']:.2e}", f"{r['pde']:.1e}", f"{r['bc']:.1e}",
          f"{r['u_ends'][0]:+.3f}, {r['u_ends'][1]:+.3f}"] for r in rows])
    stages = "; ".join(f"{k}: {h.message}" for k, h in sol.histories.items())
    text = (
        "**Burgers' equation** u_t + u u_x = (0.01/π) u_xx on x ∈ [−1, 1], t ∈ [0, 0.99], "
        "u(x, 0) = −sin(πx), u(±1, t) = 0 — the benchmark of Raissi et al. (2017) — develops a "
        "steep front at x = 0. The network sees no solution values at all: its loss is "
        "‖N(u_θ)‖² at collocation points, with the initial and boundary conditions built into the "
        "output (u = −sin(πx) + t(1 − x²)·NN). Training is Adam, then the quasi-Newton method "
        f"{QUASI_NEWTON[settings.get('quasi_newton', 'lbfgs')]}, both through physnn's "
        f"one training loop ({settings['adam_steps']} + {settings['lbfgs_steps']} steps, network "
        f"{settings['hidden']}, {settings['n_domain']} points). Relative L2 error on the standard "
        f"256 × 100 grid: **{err:.2e}**. {stages}\n\n"
        "**The weight λ.** With a *soft* boundary condition the loss is ‖N(u)‖² + λ·‖u(±1)‖²: the "
        "table shows Poisson's equation u'' = −π² sin(πx) solved at four λ. A tiny λ leaves the "
        "boundary values free — the PDE is satisfied by sin(πx) + a + bx for any a, b — so the error "
        "is large although the PDE residual is small; a moderate λ fixes it. Balancing the terms is "
        "what adaptive schemes automate (`adaptive=\"relobralo\"` in physnn).\n\n"
        f"**Both terms: data and physics.** The lecture's formula has a data term too. Here the network sees "
        f"{N_OBS} noisy observations (σ = {OBS_NOISE}) of u = sin(πx) and no boundary condition, and the "
        "loss is L_data + λ‖u'' + π² sin πx‖² at 64 collocation points (second table, third figure). "
        f"With the data alone (λ = 0) the fit goes through the points and guesses between and beyond them: "
        f"relative error {alone['l2']:.3f}. With the physics term the equation fills the gaps — "
        f"{best['l2']:.3f} at λ = {best['lam']:g} — while the misfit on the observations stays at the noise "
        f"level (σ² = {OBS_NOISE ** 2:g}) instead of going to zero: the PDE keeps the network from fitting "
        "the noise. λ sets which of the two the network trusts more."
    )
    if quick:
        text += (
            f"\n\n*Quick mode does not test the accuracy claim:* a solve of a few CPU seconds (network "
            f"{settings['hidden']}, {settings['adam_steps']} + {settings['lbfgs_steps']} steps) reaches "
            f"{err:.1e} here, and short solves differ by an order of magnitude from one seed to the next "
            "(1.6e-2 and 2.6e-1 on seeds 0 and 1 with a 4×20 network and 1000 Adam + 600 BFGS steps) — too "
            "short to say whether a PINN solves Burgers' equation. The full run checks the goal, relative "
            "L2 ≤ 1e-3."
        )
    return result_block(
        __name__, started=started, text=text, figures=figs, tables=[table, data_table], checks=checks,
        data={"burgers_l2": err, "data_rows": [{k: r[k] for k in ("lam", "l2", "misfit")} for r in drows], "lambda_rows": [{k: r[k] for k in ("lam", "l2", "pde", "bc")} for r in rows],
              "seconds": dict(sol.seconds)},
    )


def _first(sol) -> float:
    h = sol.histories.get("adam") or next(iter(sol.histories.values()))
    return float(h["loss_pde"][0])


def _last_pde(sol) -> float:
    return float(sol.objective._last.get("pde", math.nan))


def _fig_burgers(sol):
    obj = sol.objective
    x = obj.ref_x.cpu().numpy()
    u = obj.predict(sol.model, obj.ref_x).double().cpu().numpy()[:, 0]
    ref = obj.ref_u.numpy()[:, 0]
    fig, axes = subplots(1, 3, width=5.6, height=4.2, layout="constrained")
    axes = axes[0]
    for ax, z, title, cmap in [(axes[0], u, "PINN u(x, t)", "RdBu_r"), (axes[1], ref, "exact (Cole–Hopf)", "RdBu_r"),
                               (axes[2], np.abs(u - ref), "|PINN − exact|", "magma")]:
        sc = ax.tricontourf(x[:, 1], x[:, 0], z, levels=40, cmap=cmap)
        fig.colorbar(sc, ax=ax)
        ax.set_xlabel("t")
        ax.set_ylabel("x")
        ax.set_title(title)
    fig.suptitle(f"Claim: a network trained on ‖N(u)‖² alone solves Burgers' equation "
                 f"(relative L2 error {sol.errors['l2_error']:.1e})")
    return figure_from_matplotlib(fig, "pinn_burgers.png",
                                  "Burgers' equation: the PINN solution, the exact solution and their difference "
                                  "over (t, x); the error concentrates at the shock x = 0.")


def _fig_lambda(rows):
    fig, ax = subplots(width=7, height=4.5)
    xs = rows[0]["x"]
    ax.plot(xs, np.sin(np.pi * xs), "k-", lw=4, alpha=0.3, label="exact sin(πx)")
    for r in rows:
        ax.plot(xs, r["u"], label=f"λ = {r['lam']:g}: error {r['l2']:.1e}")
    ax.set_xlabel("x")
    ax.set_ylabel("u(x)")
    ax.set_title("Claim: the weight λ of each loss term changes the result")
    ax.legend(fontsize=10)
    return figure_from_matplotlib(fig, "pinn_lambda.png",
                                  "Poisson's equation with a soft boundary term weighted by λ: too small a λ "
                                  "lets the boundary values drift.")
