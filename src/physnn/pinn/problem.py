r"""A PDE problem in plain Python, and the network that solves it.

A :class:`Problem` is a geometry, a residual function — the differential
operator :math:`\mathcal N[u]` of the lecture's
:math:`L = L_{data} + \lambda\|\mathcal N(u_\theta)\|^2` — conditions, and
optionally unknown coefficients (inverse problems), a hard-constraint output
transform and a reference solution::

    def burgers(x, u, d, p):                 # x (N, 2) = (x, t), u (N, 1)
        return d.t(u) + u * d.x(u) - p.nu * d.xx(u)

    problem = Problem(SpaceTime(Interval(-1, 1), TimeDomain(0, 0.99)), burgers,
                      parameters={"nu": 0.01 / math.pi}, trainable=False, ...)

The residual takes ``(x, u, d)`` or ``(x, u, d, p)``: the points, the model
output ``(N, n_out)``, a :class:`~physnn.pinn.operators.Derivatives` and the
coefficients (``p.nu`` — a trainable scalar tensor for inverse problems).  It
returns one tensor ``(N, 1)`` or a tuple of them (a system of equations).

:class:`PINNModel` wraps any network ``x -> y`` with the coefficients (as
``nn.Parameter``) and the output transform, so the optimizer, checkpoints,
``state_dict`` and ``predict`` see one plain ``nn.Module``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_int

__all__ = ["Problem", "PINNModel", "Coefficients"]


@dataclass
class Problem:
    """Geometry + residual + conditions (+ unknown coefficients, transform, reference).

    Parameters
    ----------
    geometry : Geometry
        From :mod:`physnn.pinn.geometry`; its ``names`` name the coordinates.
    residual : callable
        ``residual(x, u, d)`` or ``residual(x, u, d, p)`` → Tensor (N, 1) or a
        tuple of such tensors.
    conditions : list of Condition
        Boundary/initial/data terms (:mod:`physnn.pinn.conditions`).
    n_out : int
        Number of network outputs (e.g. 3 for u, v, p).
    output_names : sequence of str
    parameters : dict name → float
        Coefficients of the equation.  With ``trainable`` they are learned
        (an inverse problem) starting from these values.
    trainable : bool or sequence of names
    transform : callable, optional
        Hard constraint ``transform(x, y) -> u`` applied to the network output
        ``y``, e.g. ``-sin(πx) + t(1 − x²)·y`` for Burgers: then the initial and
        boundary conditions hold exactly and need no loss term.
    reference : callable, optional
        Exact solution ``reference(x: ndarray (N, d)) -> ndarray (N, n_out)``,
        for the relative L2 error.
    name : str
    """

    geometry: Any
    residual: Callable[..., Any]
    conditions: list[Any] = field(default_factory=list)
    n_out: int = 1
    output_names: Sequence[str] = ("u",)
    parameters: dict[str, float] = field(default_factory=dict)
    trainable: bool | Sequence[str] = False
    transform: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    reference: Callable[[Any], Any] | None = None
    name: str = "problem"

    def __post_init__(self) -> None:
        self.n_out = check_int("n_out", self.n_out, low=1, owner="Problem")
        self.output_names = tuple(self.output_names)
        if len(self.output_names) != self.n_out:
            raise PhysnnError(
                f"Problem: {len(self.output_names)} output names {self.output_names} for n_out={self.n_out}."
            )
        if not callable(self.residual):
            raise PhysnnError("Problem: 'residual' must be a function residual(x, u, d[, p]).")
        n_args = len(inspect.signature(self.residual).parameters)
        if n_args not in (3, 4):
            raise PhysnnError(
                f"Problem: the residual takes {n_args} arguments; write it as residual(x, u, d) "
                "or residual(x, u, d, p) (p: the coefficients)."
            )
        self._with_p = n_args == 4
        if self.trainable is True:
            self.trainable = tuple(self.parameters)
        elif self.trainable is False:
            self.trainable = ()
        else:
            self.trainable = tuple(self.trainable)
        for k in self.trainable:
            if k not in self.parameters:
                raise PhysnnError(
                    f"Problem: trainable coefficient {k!r} has no starting value; give parameters={{{k!r}: 1.0}}."
                )
        for c in self.conditions:
            if hasattr(c, "geometry"):
                c.geometry = self.geometry

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.geometry.names)

    def pde_residuals(self, x: torch.Tensor, out: torch.Tensor, d: Any, coefficients: Any) -> list[torch.Tensor]:
        """The residual as a list of (N, k) tensors, shape-checked."""
        r = self.residual(x, out, d, coefficients) if self._with_p else self.residual(x, out, d)
        parts = list(r) if isinstance(r, (tuple, list)) else [r]
        checked = []
        for i, t in enumerate(parts):
            if not isinstance(t, torch.Tensor):
                raise PhysnnError(f"the residual of {self.name!r} returned {type(t).__name__}; return tensors.")
            if t.ndim == 1:
                t = t.unsqueeze(1)
            if t.ndim != 2 or t.shape[0] != x.shape[0]:
                which = f" (equation {i})" if len(parts) > 1 else ""
                raise PhysnnError(
                    f"the residual of {self.name!r}{which} has shape {tuple(t.shape)} for {x.shape[0]} points; "
                    f"it must give one value per point, shape ({x.shape[0]}, 1). Check for a reduction "
                    "(.mean(), .sum()) or a broadcast against a wrongly shaped tensor."
                )
            checked.append(t)
        return checked


class Coefficients(nn.Module):
    """The equation's coefficients: ``p.nu`` is a tensor; trainable ones are parameters."""

    def __init__(self, values: dict[str, float], trainable: Sequence[str]) -> None:
        super().__init__()
        self.trainable_names = tuple(trainable)
        self.learned = nn.ParameterDict(
            {k: nn.Parameter(torch.tensor(float(values[k]), dtype=torch.float64)) for k in trainable})
        for k, v in values.items():
            if k not in self.learned:
                self.register_buffer(f"fixed_{k}", torch.tensor(float(v), dtype=torch.float64), persistent=True)
        self.names = tuple(values)

    def __getattr__(self, name: str) -> Any:
        if name in ("learned", "names", "trainable_names", "training") or name.startswith("_"):
            return super().__getattr__(name)
        learned = self._modules.get("learned")
        if learned is not None and name in learned:
            return learned[name]
        buf = self._buffers.get(f"fixed_{name}")
        if buf is not None:
            return buf
        raise PhysnnError(f"unknown coefficient {name!r}; the problem defines {', '.join(map(repr, self.names)) or 'none'}.")

    def values(self) -> dict[str, float]:
        return {k: float(getattr(self, k).detach()) for k in self.names}


class PINNModel(nn.Module):
    """A network, the problem's coefficients and its output transform, as one module.

    ``forward(x) = transform(x, net(x))`` (or ``net(x)``).  ``coefficients``
    holds the equation's constants; the trainable ones are ``nn.Parameter``
    and so are optimised with the network (with their own learning rate via
    :meth:`param_groups`).
    """

    def __init__(self, net: nn.Module, problem: Problem) -> None:
        super().__init__()
        self.net = net
        self.coefficients = Coefficients(problem.parameters, problem.trainable)
        self._transform = problem.transform

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.net(x)
        return self._transform(x, y) if self._transform is not None else y

    def param_groups(self, lr: float, coefficient_lr: float | None = None) -> list[dict[str, Any]]:
        """Optimizer groups: the network at ``lr``, learned coefficients at ``coefficient_lr``."""
        groups = [{"params": [p for p in self.net.parameters() if p.requires_grad]}]
        coef = list(self.coefficients.learned.parameters())
        if coef:
            groups.append({"params": coef, "lr": float(coefficient_lr or lr)})
        return groups
