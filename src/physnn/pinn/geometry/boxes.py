r"""Boxes: :class:`Box` in any dimension, :class:`Rectangle`, :class:`Interval`, :class:`TimeDomain`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from physnn.errors import PhysnnError, check_range
from physnn.pinn.geometry.base import Geometry
from physnn.pinn.geometry.checks import as_vector, check_names, format_tuple
from physnn.pinn.geometry.sampling import (
    F64,
    axes_grid,
    cell_centres,
    grid_counts,
    largest_remainder,
)


class Box(Geometry):
    r"""The hyper-rectangle :math:`\prod_{i=1}^d [l_i, h_i]` in any dimension.

    Args:
        lo: lower corner :math:`(l_1, \dots, l_d)`.
        hi: upper corner, with :math:`l_i < h_i` on every axis.
        names: coordinate names (default ``("x", "y", "z")[:d]``, or ``x1..xd``).

    The boundary is the :math:`2d` faces; boundary points fall on each face in
    proportion to its area :math:`\prod_{j \ne i} (h_j - l_j)`, and the outward
    normal on the face :math:`x_i = l_i` (:math:`h_i`) is :math:`-e_i`
    (:math:`+e_i`).

        >>> box = Box((0, 0, 0), (1, 2, 3))
        >>> box.names, box.volume, box.boundary_measure
        (('x', 'y', 'z'), 6.0, 22.0)
    """

    def __init__(self, lo: Sequence[float], hi: Sequence[float], *, names: Sequence[str] | None = None):
        owner = type(self).__name__
        lo_v, hi_v = as_vector("lo", lo, owner), as_vector("hi", hi, owner)
        if len(lo_v) != len(hi_v):
            raise PhysnnError(
                f"{owner}: 'lo' and 'hi' must have the same length; got {len(lo_v)} and {len(hi_v)}."
            )
        for i, (a, b) in enumerate(zip(lo_v, hi_v)):
            if not a < b:
                raise PhysnnError(
                    f"{owner}: lo[{i}] must be < hi[{i}]; got lo[{i}]={a:g}, hi[{i}]={b:g}. "
                    "Swap them or give the box a positive width on every axis."
                )
        self.lo, self.hi = lo_v, hi_v
        self.dim = len(lo_v)
        self.names = check_names(names, self.dim, owner)
        self._lo = torch.tensor(lo_v, dtype=F64)
        self._hi = torch.tensor(hi_v, dtype=F64)
        self._n_interior_params = self.dim
        self._n_boundary_params = self.dim - 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lo={format_tuple(self.lo)}, hi={format_tuple(self.hi)}, names={self.names!r})"

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self._lo, self._hi

    @property
    def volume(self) -> float:
        return float(math.prod(b - a for a, b in zip(self.lo, self.hi)))

    def _face_areas(self) -> list[float]:
        """Areas of the faces in the order (axis 0: lo, hi), (axis 1: lo, hi), ..."""
        sides = [b - a for a, b in zip(self.lo, self.hi)]
        areas = []
        for j in range(self.dim):
            a = math.prod(s for i, s in enumerate(sides) if i != j)
            areas += [a, a]
        return areas

    @property
    def boundary_measure(self) -> float:
        return 2.0 if self.dim == 1 else float(sum(self._face_areas()))

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        atol = tol * self._scale
        return ((x >= self._lo - atol) & (x <= self._hi + atol)).all(dim=1)

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        atol = tol * self._scale
        near = ((x - self._lo).abs() <= atol) | ((x - self._hi).abs() <= atol)
        return self._inside(x, tol) & near.any(dim=1)

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        dist = torch.cat([(x - self._lo).abs(), (self._hi - x).abs()], dim=1)  # (N, 2d)
        face = dist.argmin(dim=1)
        axis = face % self.dim
        sign = torch.where(face < self.dim, -1.0, 1.0).to(F64)
        normal = torch.zeros_like(x)
        normal[torch.arange(len(x)), axis] = sign
        return normal

    def _map_interior(self, u: torch.Tensor) -> torch.Tensor:
        return self._lo + (self._hi - self._lo) * u

    def _place_on_face(self, face: int, local: torch.Tensor) -> torch.Tensor:
        """Face ``face`` (= 2 * axis + side) at face coordinates ``local`` in ``[0, 1)^(d-1)``."""
        axis, side = divmod(face, 2)
        others = [i for i in range(self.dim) if i != axis]
        x = torch.empty(len(local), self.dim, dtype=F64)
        x[:, others] = self._lo[others] + (self._hi - self._lo)[others] * local
        x[:, axis] = float(self._hi[axis] if side else self._lo[axis])
        return x

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        n = len(u)
        if self.dim == 1:  # the two end points, alternating a, b, a, b, ...
            return torch.where(torch.arange(n).unsqueeze(1) % 2 == 0, self._lo, self._hi)
        # measure-preserving: u0 picks the face by area and is the first face coordinate
        frac = torch.tensor(self._face_areas(), dtype=F64)
        frac = frac / frac.sum()
        cum = torch.cumsum(frac, 0)
        face = torch.searchsorted(cum, u[:, 0].contiguous(), right=True).clamp(max=2 * self.dim - 1)
        v = ((u[:, 0] - (cum - frac)[face]) / frac[face]).clamp(0.0, 1.0)
        local = torch.cat([v.unsqueeze(1), u[:, 1:]], dim=1)
        x = torch.empty(n, self.dim, dtype=F64)
        for f in range(2 * self.dim):
            mask = face == f
            if bool(mask.any()):
                x[mask] = self._place_on_face(f, local[mask])
        return x

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        if self.dim == 1:
            return self._map_boundary(torch.empty(n, 0, dtype=F64)).to(dtype)
        sides = [b - a for a, b in zip(self.lo, self.hi)]
        parts = []
        for f, n_f in enumerate(largest_remainder(self._face_areas(), n)):
            if n_f == 0:
                continue
            axis = f // 2
            counts = grid_counts([s for i, s in enumerate(sides) if i != axis], n_f)
            local = axes_grid([cell_centres(0.0, 1.0, c) for c in counts])
            parts.append(self._place_on_face(f, local))
        return torch.cat(parts).to(dtype)


class Rectangle(Box):
    r"""The rectangle :math:`[x_0, x_1] \times [y_0, y_1]`: a :class:`Box` in 2-D.

        >>> r = Rectangle(lo=(0, 0), hi=(2, 1))
        >>> r.area, r.boundary_measure, r.names
        (2.0, 6.0, ('x', 'y'))
    """

    def __init__(
        self,
        lo: Sequence[float],
        hi: Sequence[float],
        *,
        names: Sequence[str] = ("x", "y"),
    ):
        lo_v, hi_v = as_vector("lo", lo, "Rectangle"), as_vector("hi", hi, "Rectangle")
        if len(lo_v) != 2 or len(hi_v) != 2:
            raise PhysnnError(
                f"Rectangle: 'lo' and 'hi' must be 2 numbers each, (x0, y0) and (x1, y1); "
                f"got lo={lo_v}, hi={hi_v}. Use Box for other dimensions."
            )
        super().__init__(lo_v, hi_v, names=names)


class Interval(Box):
    """The interval :math:`[a, b]`; its boundary is the two end points.

    ``sample_boundary(n)`` alternates ``a, b, a, b, ...`` for every method (the
    boundary is two points, so there is nothing random to draw); the outward
    normals are :math:`-1` at ``a`` and :math:`+1` at ``b``.

        >>> line = Interval(-1, 1)
        >>> line.boundary_normal(line.sample_boundary(2)).flatten().tolist()
        [-1.0, 1.0]
    """

    _labels = ("a", "b")

    def __init__(self, a: float, b: float, *, name: str = "x"):
        owner = type(self).__name__
        la, lb = self._labels
        a = check_range(la, a, owner=owner)
        b = check_range(lb, b, owner=owner)
        if not a < b:
            raise PhysnnError(f"{owner}: {la!r} must be < {lb!r}; got {la}={a:g}, {lb}={b:g}.")
        super().__init__((a,), (b,), names=(name,))
        self.a, self.b = a, b

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a:g}, {self.b:g}, name={self.names[0]!r})"


class TimeDomain(Interval):
    """The time interval :math:`[t_0, t_1]`, to be combined with space in :class:`SpaceTime`.

        >>> TimeDomain(0, 2).names, TimeDomain(0, 2).volume
        (('t',), 2.0)
    """

    _labels = ("t0", "t1")

    def __init__(self, t0: float, t1: float, *, name: str = "t"):
        super().__init__(t0, t1, name=name)

    @property
    def t0(self) -> float:
        """The initial time."""
        return self.a

    @property
    def t1(self) -> float:
        """The final time."""
        return self.b
