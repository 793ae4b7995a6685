r"""Physics-informed neural networks: L = L_data + λ‖N(u_θ)‖², trained by the one loop.

* geometry: :class:`Interval`, :class:`Rectangle`, :class:`Box`, :class:`Disk`,
  :class:`Polygon`, :class:`TimeDomain`, :class:`SpaceTime`, unions and
  differences; random, uniform, Latin-hypercube and Sobol sampling.
* :class:`Derivatives`: ``d.t(u)``, ``d.xx(u)``, ``d.laplacian(u)`` by autograd, cached.
* conditions: :class:`DirichletBC`, :class:`NeumannBC`, :class:`RobinBC`,
  :class:`PeriodicBC`, :class:`InitialCondition`, :class:`PointData`.
* :class:`Problem` (plain-Python residual), :class:`PINNModel`,
  :class:`PINNObjective` (fixed or ReLoBRaLo weights, resampling, RAR),
  :func:`solve` (Adam, then L-BFGS or self-scaled BFGS, through :func:`physnn.train.fit`).
* :mod:`physnn.pinn.problems`: Poisson, heat, Burgers, Kovasznay and an inverse
  problem, each with its exact solution (:mod:`physnn.pinn.references`).

    >>> import torch
    >>> from physnn.pinn import Interval, Problem, DirichletBC, solve
    >>> problem = Problem(Interval(0, 1), lambda x, u, d: d.xx(u) + 2.0,   # u'' = -2
    ...                   [DirichletBC(0.0)], reference=lambda X: X * (1 - X))
    >>> sol = solve(problem, hidden=[16], adam_steps=300, lbfgs_steps=200, n_domain=32, seed=0)
    >>> sol.errors["l2_error"] < 1e-2
    True
"""

from physnn.pinn.conditions import (
    DirichletBC,
    InitialCondition,
    NeumannBC,
    PeriodicBC,
    PointData,
    RobinBC,
)
from physnn.pinn.geometry import (
    Box,
    Disk,
    Interval,
    Polygon,
    Rectangle,
    SpaceTime,
    TimeDomain,
)
from physnn.pinn.objective import RAR, PINNObjective
from physnn.pinn.operators import Derivatives
from physnn.pinn.problem import PINNModel, Problem
from physnn.pinn.solve import PINNSolution, make_model, solve

__all__ = [
    "Interval", "Rectangle", "Box", "Disk", "Polygon", "TimeDomain", "SpaceTime",
    "Derivatives",
    "DirichletBC", "NeumannBC", "RobinBC", "PeriodicBC", "InitialCondition", "PointData",
    "Problem", "PINNModel", "PINNObjective", "RAR", "solve", "PINNSolution", "make_model",
]
