r"""Set algebra: :class:`Union`, :class:`Difference`, :class:`Intersection` of two geometries.

``a | b``, ``a - b`` and ``a & b`` on any :class:`~physnn.pinn.geometry.base.Geometry`
build these.  They have no unit-cube map: interior points are drawn by
rejection in the bounding box, boundary points are the parts' boundary points
kept where they belong to the boundary of the whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.quasirandom import SobolEngine

from physnn.errors import PhysnnError
from physnn.pinn.geometry.base import DEFAULT_TOL, Geometry
from physnn.pinn.geometry.sampling import F64, MAX_ROUNDS

_ESTIMATE_POINTS = 1 << 14  # points behind a composite's volume / boundary estimates

_Keep = Callable[[torch.Tensor, float], torch.Tensor]


class _Composite(Geometry):
    """Two geometries combined by set logic; sampled by rejection.

    A subclass gives ``_inside``, ``_bounds`` and its boundary *pieces*: for each
    part, which of the part's boundary points belong to the boundary of the whole
    and the sign of the normal there.  Volume and boundary measure are estimated
    once (scrambled Sobol points with a fixed seed) and cached.
    """

    _symbol = "?"

    def __init__(self, a: Geometry, b: Geometry):
        owner = type(self).__name__
        for label, g in (("a", a), ("b", b)):
            if not isinstance(g, Geometry):
                raise PhysnnError(f"{owner}: {label!r} must be a Geometry; got {type(g).__name__}.")
        if a.dim != b.dim or a.names != b.names:
            raise PhysnnError(
                f"{owner}: both parts must have the same coordinates; got {a.names} "
                f"({a.dim}-D) and {b.names} ({b.dim}-D)."
            )
        self.a, self.b = a, b
        self.dim, self.names = a.dim, a.names
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a!r}, {self.b!r})"

    def _pieces(self) -> list[tuple[Geometry, _Keep, float]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        out = torch.zeros(len(x), dtype=torch.bool)
        for part, keep, _ in self._pieces():
            out |= part._on_boundary(x, tol) & keep(x, tol)
        return out

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        normal = torch.zeros_like(x)
        done = torch.zeros(len(x), dtype=torch.bool)
        for part, keep, sign in self._pieces():
            mask = part._on_boundary(x, tol) & keep(x, tol) & ~done
            if bool(mask.any()):
                normal[mask] = sign * part._normal(x[mask], tol) + 0.0  # no -0.0
                done |= mask
        return normal

    @property
    def volume(self) -> float:
        """Estimated from :math:`2^{14}` scrambled Sobol points in the bounding box (fixed seed)."""
        if "volume" not in self._cache:
            lo, hi = self._bounds()
            u = SobolEngine(self.dim, scramble=True, seed=0).draw(_ESTIMATE_POINTS, dtype=F64)
            frac = float(self._inside(lo + (hi - lo) * u, DEFAULT_TOL).to(F64).mean())
            self._cache["volume"] = frac * math.prod((hi - lo).tolist())
        return self._cache["volume"]

    def _piece_measures(self) -> list[tuple[float, float]]:
        """Per piece: (the part's boundary measure, the fraction of it that is kept)."""
        if "pieces" not in self._cache:
            gen = torch.Generator().manual_seed(0)
            out = []
            for part, keep, _ in self._pieces():
                x = part.sample_boundary(_ESTIMATE_POINTS // 4, generator=gen, dtype=F64)
                out.append((part.boundary_measure, float(keep(x, DEFAULT_TOL).to(F64).mean())))
            self._cache["pieces"] = out
        return self._cache["pieces"]

    @property
    def boundary_measure(self) -> float:
        """Estimated: each part's boundary measure times the fraction of it that is kept."""
        return float(sum(m * f for m, f in self._piece_measures()))

    def _check_boundary(self, owner: str) -> float:
        total = self.boundary_measure
        if not total > 0:
            raise PhysnnError(f"{owner}: {self!r} has an empty boundary; check the parts overlap as meant.")
        return total

    def _boundary_other(
        self, n: int, method: str, generator: torch.Generator | None, dtype: torch.dtype
    ) -> torch.Tensor:
        owner = self._owner("sample_boundary")
        total = self._check_boundary(owner)
        pieces, measures = self._pieces(), self._piece_measures()
        # proposal: each part's boundary in proportion to its *full* measure (unbiased mixture)
        probs = torch.tensor([m for m, _ in measures], dtype=F64)
        probs = probs / probs.sum()
        accept = total / sum(m for m, _ in measures)
        pool: list[torch.Tensor] = []
        have = 0
        for _ in range(MAX_ROUNDS):
            m = int(math.ceil((n - have) / max(accept, 1e-3) * 1.2)) + 16
            which = torch.multinomial(probs, m, replacement=True, generator=generator)
            counts = torch.bincount(which, minlength=len(pieces)).tolist()
            for (part, keep, _), c in zip(pieces, counts):
                if c == 0:
                    continue
                x = part.sample_boundary(c, method=method, generator=generator, dtype=dtype)
                x = x[keep(x.to(F64), DEFAULT_TOL)]
                pool.append(x)
                have += len(x)
            if have >= n:
                points = torch.cat(pool)
                return points[torch.randperm(len(points), generator=generator)[:n]]
        raise PhysnnError(  # pragma: no cover - needs a boundary of (almost) zero measure
            f"{owner}: found only {have} of {n} boundary points of {self!r}."
        )

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        total = self._check_boundary(self._owner("sample_boundary"))
        parts = []
        for (part, keep, _), (m, _) in zip(self._pieces(), self._piece_measures()):
            count = int(round(n * m / total))
            if count == 0:
                continue
            x = part.sample_boundary(count, method="uniform", dtype=dtype)
            parts.append(x[keep(x.to(F64), DEFAULT_TOL)])
        return torch.cat(parts)


class Union(_Composite):
    r""":math:`A \cup B` (also ``a | b``).

    Inside: in :math:`A` or in :math:`B`.  Boundary: :math:`(\partial A \setminus
    B^\circ) \cup (\partial B \setminus A^\circ)`, normals from the part owning the
    point.  ``volume`` and ``boundary_measure`` are estimates (see the module docs).

        >>> from physnn.pinn.geometry import Rectangle
        >>> u = Rectangle((0, 0), (2, 1)) | Rectangle((1, 0), (3, 1))
        >>> u.inside(torch.tensor([[2.5, 0.5], [3.5, 0.5]])).tolist(), round(u.volume, 2)
        ([True, False], 3.0)
    """

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        (la, ha), (lb, hb) = self.a._bounds(), self.b._bounds()
        return torch.minimum(la, lb), torch.maximum(ha, hb)

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self.a._inside(x, tol) | self.b._inside(x, tol)

    def _pieces(self) -> list[tuple[Geometry, _Keep, float]]:
        a, b = self.a, self.b
        return [
            (a, lambda x, tol: ~b._open(x, tol), 1.0),
            (b, lambda x, tol: ~a._open(x, tol), 1.0),
        ]


class Difference(_Composite):
    r""":math:`A \setminus B` (also ``a - b``), closed: e.g. a plate with a hole.

    Inside: in :math:`A` and not strictly inside :math:`B`.  Boundary:
    :math:`(\partial A \setminus B^\circ) \cup (\partial B \cap A)`; on the second
    piece the outward normal is :math:`B`'s normal flipped (it points into the hole).

        >>> from physnn.pinn.geometry import Disk, Rectangle
        >>> plate = Rectangle((-1, -1), (1, 1)) - Disk((0, 0), 0.5)
        >>> plate.boundary_normal(torch.tensor([[0.5, 0.0], [1.0, 0.0]])).tolist()
        [[-1.0, 0.0], [1.0, 0.0]]
    """

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.a._bounds()

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self.a._inside(x, tol) & ~self.b._open(x, tol)

    def _pieces(self) -> list[tuple[Geometry, _Keep, float]]:
        a, b = self.a, self.b
        return [
            (a, lambda x, tol: ~b._open(x, tol), 1.0),
            (b, lambda x, tol: a._inside(x, tol), -1.0),
        ]


class Intersection(_Composite):
    r""":math:`A \cap B` (also ``a & b``), e.g. a quarter disk.

    Boundary: :math:`(\partial A \cap B) \cup (\partial B \cap A)`.

        >>> from physnn.pinn.geometry import Disk, Rectangle
        >>> quarter = Disk((0, 0), 1) & Rectangle((0, 0), (1, 1))
        >>> round(quarter.area, 2)
        0.79
    """

    def __init__(self, a: Geometry, b: Geometry):
        super().__init__(a, b)
        lo, hi = self._bounds()
        if not bool((lo < hi).all()):
            raise PhysnnError(
                f"Intersection: the bounding boxes of {a!r} and {b!r} do not overlap, "
                "so the intersection is empty."
            )

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        (la, ha), (lb, hb) = self.a._bounds(), self.b._bounds()
        return torch.maximum(la, lb), torch.minimum(ha, hb)

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self.a._inside(x, tol) & self.b._inside(x, tol)

    def _pieces(self) -> list[tuple[Geometry, _Keep, float]]:
        a, b = self.a, self.b
        return [
            (a, lambda x, tol: b._inside(x, tol), 1.0),
            (b, lambda x, tol: a._inside(x, tol), 1.0),
        ]
