r"""Built-in PINN problems, each with its exact solution (from :mod:`physnn.pinn.references`).

=============  ==========================================================  ==========================
name           equation                                                    domain, conditions
=============  ==========================================================  ==========================
``poisson``    u'' = −π² sin(πx)                                           x∈[−1,1], u(±1)=0 → sin(πx)
``heat``       u_t = α u_xx, α = 0.4                                       x∈[0,1], t∈[0,1], u(0)=u(1)=0, u(x,0)=sin(πx)
``burgers``    u_t + u u_x = (0.01/π) u_xx                                 x∈[−1,1], t∈[0,0.99], u(x,0)=−sin(πx), u(±1,t)=0
``kovasznay``  steady Navier–Stokes (Re 20) + continuity, outputs u, v, p  [−0.5,1]×[−0.5,1.5], Dirichlet from the exact flow
``inverse``    u_t = C u_xx − e^{−t}(sin πx − π² sin πx), C unknown (=1)   x∈[−1,1], t∈[0,1], noisy data of u
=============  ==========================================================  ==========================

Each factory returns a :class:`~physnn.pinn.problem.Problem`; ``hard=True``
(where offered) builds the initial and boundary conditions into the output
(``u = g + φ·NN`` with φ vanishing on the constrained set), so they hold
exactly and leave only the PDE residual to minimise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from physnn.errors import PhysnnError, check_choice, check_range
from physnn.pinn import references as ref
from physnn.pinn.conditions import DirichletBC, InitialCondition, PointData
from physnn.pinn.geometry import Interval, Rectangle, SpaceTime, TimeDomain
from physnn.pinn.problem import Problem

__all__ = ["poisson1d", "heat1d", "burgers", "kovasznay", "inverse_diffusion", "PROBLEMS", "get_problem"]

PI = math.pi


def poisson1d(*, hard: bool = False) -> Problem:
    """u'' = −π² sin(πx) on [−1, 1], u(±1) = 0; exact u = sin(πx)."""

    def residual(x, u, d):
        return d.xx(u) + PI**2 * torch.sin(PI * x)

    conds = [] if hard else [DirichletBC(0.0, name="boundary")]
    return Problem(
        Interval(-1.0, 1.0), residual, conds, name="poisson",
        transform=(lambda x, y: (1 - x**2) * y) if hard else None,
        reference=lambda X: ref.poisson1d_exact(X[:, 0])[:, None],
    )


def heat1d(*, alpha: float = 0.4, hard: bool = False) -> Problem:
    """u_t = α u_xx on x∈[0,1], t∈[0,1]; u(0,t) = u(1,t) = 0, u(x,0) = sin(πx)."""
    alpha = check_range("alpha", alpha, low=0.0, low_inclusive=False, owner="heat1d")
    geom = SpaceTime(Interval(0.0, 1.0), TimeDomain(0.0, 1.0))

    def residual(x, u, d, p):
        return d.t(u) - p.alpha * d.xx(u)

    conds = [] if hard else [
        DirichletBC(0.0, name="boundary"),
        InitialCondition(lambda x: torch.sin(PI * x[:, 0:1]), name="initial"),
    ]
    transform = None
    if hard:
        def transform(x, y):
            xs, t = x[:, 0:1], x[:, 1:2]
            return torch.sin(PI * xs) + t * xs * (1 - xs) * y
    return Problem(
        geom, residual, conds, parameters={"alpha": alpha}, name="heat", transform=transform,
        reference=lambda X: ref.heat1d_exact(X[:, 0], X[:, 1], alpha=alpha)[:, None],
    )


def burgers(*, nu: float = 0.01 / PI, hard: bool = True) -> Problem:
    """Viscous Burgers, the setting of Raissi et al. (2017) and DeepXDE's example.

    With ``hard=True`` (default) ``u = −sin(πx) + t(1 − x²)·NN(x, t)`` meets
    u(x, 0) = −sin(πx) and u(±1, t) = 0 exactly.
    """
    geom = SpaceTime(Interval(-1.0, 1.0), TimeDomain(0.0, 0.99))

    def residual(x, u, d, p):
        return d.t(u) + u * d.x(u) - p.nu * d.xx(u)

    conds = [] if hard else [
        DirichletBC(0.0, name="boundary"),
        InitialCondition(lambda x: -torch.sin(PI * x[:, 0:1]), name="initial"),
    ]
    transform = None
    if hard:
        def transform(x, y):
            xs, t = x[:, 0:1], x[:, 1:2]
            return -torch.sin(PI * xs) + t * (1 - xs**2) * y
    return Problem(
        geom, residual, conds, parameters={"nu": nu}, name="burgers", transform=transform,
        reference=lambda X: ref.burgers_exact(X[:, 0], X[:, 1], nu=nu)[:, None],
    )


def burgers_reference_points() -> np.ndarray:
    """The standard 256 × 100 evaluation grid of Raissi et al. as (25600, 2) points (x, t)."""
    x, t, _ = ref.burgers_reference_grid()
    X, T = np.meshgrid(x, t)
    return np.c_[X.ravel(), T.ravel()]


def kovasznay(*, Re: float = 20.0) -> Problem:
    """Steady incompressible Navier–Stokes with Kovasznay's exact flow on [−0.5, 1] × [−0.5, 1.5]."""
    Re = check_range("Re", Re, low=0.0, low_inclusive=False, owner="kovasznay")

    def residual(x, out, d, p):
        u, v, pr = out[:, 0:1], out[:, 1:2], out[:, 2:3]
        mom_x = u * d.x(u) + v * d.y(u) + d.x(pr) - (d.xx(u) + d.yy(u)) / p.Re
        mom_y = u * d.x(v) + v * d.y(v) + d.y(pr) - (d.xx(v) + d.yy(v)) / p.Re
        cont = d.x(u) + d.y(v)
        return mom_x, mom_y, cont

    def exact(X: np.ndarray) -> np.ndarray:
        u, v, p = ref.kovasznay_exact(X[:, 0], X[:, 1], Re=Re)
        return np.stack([u, v, p], axis=1)

    def bc(i):
        return lambda x: torch.as_tensor(exact(x.detach().double().cpu().numpy())[:, i], dtype=x.dtype)

    conds = [DirichletBC(bc(0), component=0, name="bc_u"), DirichletBC(bc(1), component=1, name="bc_v"),
             DirichletBC(bc(2), component=2, name="bc_p")]
    # the exact boundary values are fixed per point: evaluate them once, not every step
    return Problem(
        Rectangle((-0.5, -0.5), (1.0, 1.5)), residual, conds, n_out=3, output_names=("u", "v", "p"),
        parameters={"Re": Re}, name="kovasznay", reference=exact,
    )


def inverse_diffusion(*, n_data: int = 200, noise: float = 0.01, seed: int = 0, c_start: float = 2.0) -> Problem:
    """Identify C in u_t = C u_xx − e^{−t}(sin πx − π² sin πx) (true C = 1) from noisy data.

    ``n_data`` measurements of u = e^{−t} sin(πx) at random points, with
    Gaussian noise of relative size ``noise`` (1 % by default); boundary and
    initial conditions are built into the output.
    """
    rng = np.random.default_rng(seed)
    X = np.c_[rng.uniform(-1, 1, n_data), rng.uniform(0, 1, n_data)]
    u = ref.diffusion1d_exact(X[:, 0], X[:, 1])
    u_noisy = u + noise * np.std(u) * rng.standard_normal(n_data)
    geom = SpaceTime(Interval(-1.0, 1.0), TimeDomain(0.0, 1.0))

    def residual(x, u, d, p):
        xs, t = x[:, 0:1], x[:, 1:2]
        return d.t(u) - p.C * d.xx(u) + torch.exp(-t) * (torch.sin(PI * xs) - PI**2 * torch.sin(PI * xs))

    def transform(x, y):
        xs, t = x[:, 0:1], x[:, 1:2]
        return torch.sin(PI * xs) + t * (1 - xs**2) * y

    return Problem(
        geom, residual, [PointData(X.astype(np.float32), u_noisy.astype(np.float32), name="data")],
        parameters={"C": c_start}, trainable=True, transform=transform, name="inverse",
        reference=lambda Z: ref.diffusion1d_exact(Z[:, 0], Z[:, 1])[:, None],
    )


PROBLEMS = {
    "poisson": poisson1d,
    "heat": heat1d,
    "burgers": burgers,
    "kovasznay": kovasznay,
    "inverse": inverse_diffusion,
}


def get_problem(name: str, **kwargs: Any) -> Problem:
    """A built-in problem by name (``poisson``, ``heat``, ``burgers``, ``kovasznay``, ``inverse``)."""
    key = check_choice("problem", name, list(PROBLEMS), owner="get_problem")
    try:
        return PROBLEMS[key](**kwargs)
    except TypeError as exc:
        raise PhysnnError(f"get_problem({key!r}): {exc}") from None
