r"""Boundary, initial and data conditions: each a set of points and a residual.

Every condition contributes one term :math:`\lambda_k \frac1{N_k}\sum_i r_k(x_i)^2`
to the PINN loss.  A condition knows where its points live (it samples them
from the problem's geometry) and what its residual is:

=====================  ===========================================  =====================
condition              residual r(x)                                points
=====================  ===========================================  =====================
``DirichletBC``        u_c(x) − g(x)                                boundary (``on`` filter)
``NeumannBC``          ∂u_c/∂n(x) − g(x)                            boundary
``RobinBC``            a·u_c + b·∂u_c/∂n − g                        boundary
``PeriodicBC``         u_c(x_lo) − u_c(x_hi) (and derivatives)      pairs of opposite faces
``InitialCondition``   u_c(x, t₀) − g(x)                            t = t₀ (``SpaceTime``)
``PointData``          u_c(xᵢ) − yᵢ  (L_data of the lecture)        the given measurements
=====================  ===========================================  =====================

``g`` is a callable on the points ``x`` (N, d) returning (N,) or (N, 1), or a
number.  ``on`` is a callable ``x -> bool (N,)`` that keeps only part of the
boundary (e.g. ``lambda x: x[:, 0] == 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from physnn.errors import PhysnnError, check_array, check_int, check_range

__all__ = [
    "Condition",
    "DirichletBC",
    "NeumannBC",
    "RobinBC",
    "PeriodicBC",
    "InitialCondition",
    "PointData",
]

ValueFn = Callable[[torch.Tensor], torch.Tensor] | float | int


def _value(g: ValueFn, x: torch.Tensor, memo: dict | None = None) -> torch.Tensor:
    """g evaluated at x, shape (N, 1).  With ``memo``, the values for the same
    points tensor (the objective reuses it between resamplings) are kept."""
    if memo is not None:
        hit = memo.get("x")
        if hit is x:
            return memo["v"]
        v = _value(g, x)
        memo["x"], memo["v"] = x, v.detach()
        return memo["v"]
    if callable(g):
        v = g(x)
        if not isinstance(v, torch.Tensor):
            v = torch.as_tensor(v, dtype=x.dtype, device=x.device)
        if v.ndim == 0:
            v = v.expand(x.shape[0])
        if v.ndim == 1:
            v = v.unsqueeze(1)
        if v.shape != (x.shape[0], 1):
            raise PhysnnError(
                f"condition value function returned shape {tuple(v.shape)} for {x.shape[0]} points; "
                f"return one value per point, shape ({x.shape[0]},) or ({x.shape[0]}, 1)."
            )
        return v.to(x.dtype)
    return torch.full((x.shape[0], 1), float(g), dtype=x.dtype, device=x.device)


class Condition:
    """A loss term on its own points.  Subclasses set ``needs_grad`` and ``residual``."""

    needs_grad = False
    kind = "condition"

    def __init__(self, *, component: int = 0, weight: float = 1.0, n: int | None = None,
                 on: Callable[[torch.Tensor], torch.Tensor] | None = None, name: str | None = None) -> None:
        self.component = check_int("component", component, low=0, owner=type(self).__name__)
        self.weight = check_range("weight", weight, low=0.0, owner=type(self).__name__)
        self.n = None if n is None else check_int("n", n, low=1, owner=type(self).__name__)
        self.on = on
        self.name = name

    def column(self, out: torch.Tensor) -> torch.Tensor:
        if out.ndim != 2 or self.component >= out.shape[1]:
            raise PhysnnError(
                f"{type(self).__name__}: component {self.component} asked for but the model gives "
                f"{out.shape[1] if out.ndim == 2 else '?'} output(s)."
            )
        return out[:, self.component : self.component + 1]

    def _filtered(self, draw: Callable[[int], torch.Tensor], n: int) -> torch.Tensor:
        """Draw points until ``n`` satisfy ``on`` (all of them when ``on`` is None)."""
        if self.on is None:
            return draw(n)
        got: list[torch.Tensor] = []
        have = 0
        for _ in range(50):
            x = draw(max(4 * n, 64))
            keep = x[self.on(x).to(torch.bool).reshape(-1)]
            got.append(keep)
            have += keep.shape[0]
            if have >= n:
                return torch.cat(got)[:n]
        raise PhysnnError(
            f"{type(self).__name__}: the 'on' filter kept {have} of the sampled boundary points; "
            "it selects (almost) no part of the boundary — check the comparison (use a tolerance, "
            "e.g. torch.isclose(x[:, 0], torch.tensor(0.0)))."
        )

    def sample(self, geometry: Any, n: int, *, method: str, generator: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
        return self._filtered(
            lambda k: geometry.sample_boundary(k, method=method, generator=generator, dtype=dtype), n)

    def residual(self, x: torch.Tensor, out: torch.Tensor, d: Any, model: Any) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


class DirichletBC(Condition):
    """u_c = g on the boundary (or the part of it selected by ``on``)."""

    kind = "dirichlet"

    def __init__(self, value: ValueFn = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.value = value
        self._memo: dict = {}

    def residual(self, x, out, d, model):
        return self.column(out) - _value(self.value, x, self._memo)


def _normal_derivative(cond: Condition, geometry: Any, x, out, d) -> torch.Tensor:
    n = geometry.boundary_normal(x.detach()).to(x.dtype)
    g = d.grad(cond.column(out))
    if n.shape[1] < g.shape[1]:  # SpaceTime: spatial normal, time column 0
        n = torch.cat([n, n.new_zeros(n.shape[0], g.shape[1] - n.shape[1])], dim=1)
    return (g * n).sum(dim=1, keepdim=True)


class NeumannBC(Condition):
    """∂u_c/∂n = g: the outward normal derivative (normals from the geometry)."""

    kind = "neumann"
    needs_grad = True

    def __init__(self, value: ValueFn = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.value = value
        self.geometry: Any = None

    def residual(self, x, out, d, model):
        return _normal_derivative(self, self.geometry, x, out, d) - _value(self.value, x)


class RobinBC(Condition):
    """a·u_c + b·∂u_c/∂n = g."""

    kind = "robin"
    needs_grad = True

    def __init__(self, a: float, b: float, value: ValueFn = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.a, self.b, self.value = float(a), float(b), value
        self.geometry: Any = None

    def residual(self, x, out, d, model):
        un = _normal_derivative(self, self.geometry, x, out, d)
        return self.a * self.column(out) + self.b * un - _value(self.value, x)


class PeriodicBC(Condition):
    """u_c (and its first ``derivatives`` normal derivatives) equal on opposite faces of ``coordinate``.

    Points are drawn on the low face ``coordinate = lo`` and mapped to the high
    face; the residual stacks ``u(x_lo) − u(x_hi)`` and, for ``derivatives=1``,
    ``∂u/∂c(x_lo) − ∂u/∂c(x_hi)``.
    """

    kind = "periodic"
    needs_grad = True

    def __init__(self, coordinate: str, *, derivatives: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        self.coordinate = coordinate
        self.derivatives = check_int("derivatives", derivatives, low=0, high=1, owner="PeriodicBC")
        self.geometry: Any = None

    def _index(self, geometry: Any) -> int:
        names = list(geometry.names)
        if self.coordinate not in names:
            raise PhysnnError(f"PeriodicBC: unknown coordinate {self.coordinate!r}; the coordinates are {names}.")
        return names.index(self.coordinate)

    def sample(self, geometry, n, *, method, generator, dtype):
        i = self._index(geometry)
        lo, hi = geometry.bbox
        x = geometry.sample_interior(n, method=method, generator=generator, dtype=dtype)
        x_lo = x.clone()
        x_lo[:, i] = float(lo[i])
        x_hi = x.clone()
        x_hi[:, i] = float(hi[i])
        return torch.cat([x_lo, x_hi])

    def residual(self, x, out, d, model):
        i = self._index(self.geometry)
        n = x.shape[0] // 2
        u = self.column(out)
        parts = [u[:n] - u[n:]]
        if self.derivatives:
            du = d.grad(u)[:, i : i + 1]
            parts.append(du[:n] - du[n:])
        return torch.cat(parts, dim=1)


class InitialCondition(Condition):
    """u_c(x, t₀) = g(x) on a ``SpaceTime`` geometry."""

    kind = "initial"

    def __init__(self, value: ValueFn, **kw: Any) -> None:
        super().__init__(**kw)
        self.value = value
        self._memo: dict = {}

    def sample(self, geometry, n, *, method, generator, dtype):
        if not hasattr(geometry, "sample_initial"):
            raise PhysnnError(
                f"InitialCondition needs a space-time geometry (SpaceTime); got {type(geometry).__name__}."
            )
        return self._filtered(
            lambda k: geometry.sample_initial(k, method=method, generator=generator, dtype=dtype), n)

    def residual(self, x, out, d, model):
        return self.column(out) - _value(self.value, x, self._memo)


class PointData(Condition):
    """Measurements: u_c(xᵢ) = yᵢ at given points — the lecture's L_data term.

    ``x`` (N, d) and ``y`` (N,) or (N, 1) are fixed (not resampled).  NaN or
    Inf in either is refused.
    """

    kind = "data"

    def __init__(self, x: Any, y: Any, **kw: Any) -> None:
        super().__init__(**kw)
        xa = check_array("x", x, ndim=2, owner="PointData")
        ya = check_array("y", y, ndim=(1, 2), owner="PointData")
        if ya.shape[0] != xa.shape[0]:
            raise PhysnnError(f"PointData: x has {xa.shape[0]} rows but y has {ya.shape[0]}.")
        self.x = torch.as_tensor(xa)
        self.y = torch.as_tensor(ya).reshape(-1, 1)

    def sample(self, geometry, n, *, method, generator, dtype):
        geometry.check_inside(self.x.to(dtype), "PointData x")
        return self.x.to(dtype)

    def residual(self, x, out, d, model):
        return self.column(out) - self.y.to(device=x.device, dtype=x.dtype)
