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
    return {"quick": quick, "sol": sol, "settings": settings, "rows": rows}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The Burgers solution beside the exact one, and the λ sweep."""
    return [_fig_burgers(m["sol"]), _fig_lambda(m["rows"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 11: the accuracy goal (full mode), the residual's fall, λ's effect."""
    from physnn.pinn.solve import QUASI_NEWTON

    quick, sol, settings, rows = m["quick"], m["sol"], m["settings"], m["rows"]
    err = sol.errors["l2_error"]
    goal = 1e-3
    by = {r["lam"]: r for r in rows}
    checks = [] if quick else [
        Check("a PINN solves Burgers' equation: relative L2 error against the exact solution (the project's goal)",
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
        "what adaptive schemes automate (`adaptive=\"relobralo\"` in physnn)."
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
        __name__, started=started, text=text, figures=figs, tables=[table], checks=checks,
        data={"burgers_l2": err, "lambda_rows": [{k: r[k] for k in ("lam", "l2", "pde", "bc")} for r in rows],
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
