r"""The disk :class:`Disk` in 2-D, sampled through the area-preserving polar map."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from physnn.errors import PhysnnError, check_range
from physnn.pinn.geometry.base import Geometry
from physnn.pinn.geometry.checks import as_vector, check_names, format_tuple
from physnn.pinn.geometry.sampling import F64


class Disk(Geometry):
    r"""The closed disk :math:`\{x \in \mathbb{R}^2 : \lVert x - c \rVert \le R\}`.

    Interior points are uniform in area: :math:`r = R\sqrt{u_1}`,
    :math:`\theta = 2\pi u_2` (:math:`r = Ru_1` would crowd the centre); LHS and
    Sobol go through the same map.  Boundary points are :math:`c + R(\cos\theta,
    \sin\theta)` with :math:`\theta = 2\pi u`; the normal is
    :math:`(x - c)/\lVert x - c \rVert`.

        >>> d = Disk(center=(0, 0), radius=1)
        >>> round(d.area, 6), round(d.boundary_measure, 6)
        (3.141593, 6.283185)
    """

    _n_interior_params = 2
    _n_boundary_params = 1

    def __init__(self, center: Sequence[float], radius: float, *, names: Sequence[str] = ("x", "y")):
        owner = type(self).__name__
        c = as_vector("center", center, owner)
        if len(c) != 2:
            raise PhysnnError(f"{owner}: 'center' must be 2 numbers (x, y); got {c}.")
        self.center = c
        self.radius = check_range("radius", radius, low=0.0, low_inclusive=False, owner=owner)
        self.dim = 2
        self.names = check_names(names, 2, owner)
        self._c = torch.tensor(c, dtype=F64)

    def __repr__(self) -> str:
        return f"Disk(center={format_tuple(self.center)}, radius={self.radius:g})"

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self._c - self.radius, self._c + self.radius

    @property
    def volume(self) -> float:
        return math.pi * self.radius**2

    @property
    def boundary_measure(self) -> float:
        return 2.0 * math.pi * self.radius

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return (x - self._c).norm(dim=1) <= self.radius + tol * self._scale

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return ((x - self._c).norm(dim=1) - self.radius).abs() <= tol * self._scale

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        d = x - self._c
        return d / d.norm(dim=1, keepdim=True)

    def _circle(self, r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        return self._c + r.unsqueeze(1) * torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)

    def _map_interior(self, u: torch.Tensor) -> torch.Tensor:
        return self._circle(self.radius * u[:, 0].sqrt(), 2.0 * math.pi * u[:, 1])

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        return self._circle(torch.full((len(u),), self.radius, dtype=F64), 2.0 * math.pi * u[:, 0])

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        u = (torch.arange(n, dtype=F64) / n).unsqueeze(1)  # theta = 2 pi k / n
        return self._map_boundary(u).to(dtype)
