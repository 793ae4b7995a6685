"""The base class :class:`Geometry`: the public API every domain shares.

A subclass describes its shape on ``float64`` points (``_bounds``,
``_inside``, ``_on_boundary``, ``_normal``) and, where it has one, a map from
the unit cube onto its interior / boundary; :class:`Geometry` validates the
arguments and turns that into ``inside``, ``on_boundary``, ``boundary_normal``,
``check_inside``, ``uniform_grid``, ``sample_interior`` and ``sample_boundary``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from physnn.errors import PhysnnError, check_array, check_choice, check_int, check_range
from physnn.pinn.geometry.checks import check_dtype, check_generator, device_of
from physnn.pinn.geometry.sampling import (
    F64,
    MAX_ROUNDS,
    METHODS,
    axes_grid,
    cell_centres,
    grid_counts,
    unit_cube,
)

if TYPE_CHECKING:
    from physnn.pinn.geometry.algebra import Difference, Intersection, Union

#: Default relative tolerance of ``inside`` / ``on_boundary``.
DEFAULT_TOL = 1e-6


class Geometry:
    """A closed domain in :math:`\\mathbb{R}^d` that can be sampled for a PINN.

    Subclasses describe the shape (``_bounds``, ``_inside``, ``_on_boundary``,
    ``_normal`` on ``float64`` points) and, where they have one, a map from the
    unit cube onto the interior / boundary; this class turns that into the public
    API, validates arguments and draws the points.

    Attributes:
        dim: number of coordinates :math:`d` (columns of every point tensor).
        names: one name per coordinate, e.g. ``("x", "y")``.
    """

    dim: int
    names: tuple[str, ...]

    #: unit-cube coordinates that the interior / boundary map needs (None: no map)
    _n_interior_params: int | None = None
    _n_boundary_params: int | None = None

    # -- shape primitives, overridden by subclasses (float64 points, relative tol) --

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _map_interior(self, u: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _boundary_other(
        self, n: int, method: str, generator: torch.Generator | None, dtype: torch.dtype
    ) -> torch.Tensor:  # pragma: no cover - only for shapes without a boundary map
        raise NotImplementedError

    def _open(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        """Strictly inside: inside and farther than the tolerance from the boundary."""
        return self._inside(x, tol) & ~self._on_boundary(x, tol)

    @property
    def _scale(self) -> float:
        lo, hi = self._bounds()
        return max(1.0, float(lo.abs().max()), float(hi.abs().max()))

    # -- measures ---------------------------------------------------------------

    @property
    def bbox(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(lo, hi)``: ``float64`` tensors of shape ``(dim,)`` bounding the domain."""
        lo, hi = self._bounds()
        return lo.clone(), hi.clone()

    @property
    def volume(self) -> float:
        """The domain's measure: length (1-D), area (2-D), volume (3-D), ..."""
        raise NotImplementedError  # pragma: no cover

    @property
    def area(self) -> float:
        """The area of a 2-D domain (the same as ``volume``)."""
        if self.dim != 2:
            raise PhysnnError(
                f"{type(self).__name__}.area: only 2-D domains have an area; this one has "
                f"dim={self.dim}. Use .volume, the measure in any dimension."
            )
        return self.volume

    @property
    def boundary_measure(self) -> float:
        """The measure of the boundary: perimeter (2-D), surface area (3-D); 2 for an interval."""
        raise NotImplementedError  # pragma: no cover

    # -- argument checks ----------------------------------------------------------

    def _owner(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def _points(self, x: Any, what: str, owner: str) -> torch.Tensor:
        """``x`` as a detached ``float64`` tensor of shape ``(N, dim)``, or a clear error."""
        if not (isinstance(x, torch.Tensor) and x.ndim == 2):
            check_array(what, x, ndim=2, min_rows=0, finite=False, owner=owner)
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x, dtype=np.float64))
        if x.shape[1] != self.dim:
            raise PhysnnError(
                f"{owner}: {what!r} has {x.shape[1]} columns but the domain has "
                f"{self.dim} coordinates {self.names}; pass points of shape (N, {self.dim}) "
                "with the columns in that order."
            )
        return x.detach().to(device="cpu", dtype=F64)

    def _sampling_args(
        self, owner: str, n: Any, method: Any, generator: Any, dtype: Any
    ) -> tuple[int, str, torch.Generator | None, torch.dtype]:
        return (
            check_int("n", n, low=1, owner=owner),
            check_choice("method", method, METHODS, owner=owner),
            check_generator(generator, owner),
            check_dtype(dtype, owner),
        )

    # -- membership -------------------------------------------------------------

    def inside(self, x: Any, *, tol: float = DEFAULT_TOL) -> torch.Tensor:
        """``(N,)`` bool: is each row of ``x`` (shape ``(N, dim)``) in the closed domain?

        The boundary counts as inside, up to ``tol`` relative to the domain's size.

            >>> from physnn.pinn.geometry import Interval
            >>> Interval(0, 1).inside(torch.tensor([[-0.5], [0.0], [0.5], [1.0]])).tolist()
            [False, True, True, True]
        """
        owner = self._owner("inside")
        tol = check_range("tol", tol, low=0.0, owner=owner)
        return self._inside(self._points(x, "x", owner), tol).to(device_of(x))

    def on_boundary(self, x: Any, *, tol: float = DEFAULT_TOL) -> torch.Tensor:
        """``(N,)`` bool: is each row of ``x`` on the boundary (within ``tol`` relative)?

            >>> from physnn.pinn.geometry import Rectangle
            >>> Rectangle((0, 0), (2, 1)).on_boundary(torch.tensor([[2.0, 0.5], [1.0, 0.5]])).tolist()
            [True, False]
        """
        owner = self._owner("on_boundary")
        tol = check_range("tol", tol, low=0.0, owner=owner)
        return self._on_boundary(self._points(x, "x", owner), tol).to(device_of(x))

    def boundary_normal(self, x: Any) -> torch.Tensor:
        """Outward unit normals ``(N, dim)`` at boundary points ``x`` ``(N, dim)``.

        At a corner or edge any adjacent face's normal is returned.  Points that are
        not on the boundary are an error (a normal there would be meaningless).
        The result has the dtype of ``x`` (``float32`` for non-float input).

            >>> from physnn.pinn.geometry import Disk
            >>> Disk((0, 0), 2).boundary_normal(torch.tensor([[0.0, 2.0], [-2.0, 0.0]])).tolist()
            [[0.0, 1.0], [-1.0, 0.0]]
        """
        owner = self._owner("boundary_normal")
        x64 = self._points(x, "x", owner)
        ok = self._on_boundary(x64, DEFAULT_TOL)
        if not bool(ok.all()):
            i = int((~ok).nonzero()[0])
            raise PhysnnError(
                f"{owner}: {int((~ok).sum())} of {len(ok)} points are not on the boundary "
                f"(first: row {i}, {self._coords(x64[i])}); normals exist only on the "
                "boundary. Sample them with sample_boundary() or filter with on_boundary(x)."
            )
        out_dtype = x.dtype if isinstance(x, torch.Tensor) and x.is_floating_point() else torch.float32
        return self._normal(x64, DEFAULT_TOL).to(device=device_of(x), dtype=out_dtype)

    def _coords(self, row: torch.Tensor) -> str:
        return ", ".join(f"{nm}={float(v):.6g}" for nm, v in zip(self.names, row))

    def check_inside(self, x: Any, what: str = "points") -> Any:
        """Return ``x`` unchanged if every row lies in the domain, else raise.

        The error says how many points are outside and which is the first::

            >>> from physnn.pinn.geometry import Interval
            >>> Interval(0, 1).check_inside(torch.tensor([[0.5], [2.0], [3.0]]), "x_data")
            Traceback (most recent call last):
            ...
            physnn.errors.PhysnnError: x_data: 2 of 3 points lie outside Interval(0, 1, name='x'); the first is row 1 (x=2). Keep the points inside the domain (e.g. x_data[geometry.inside(x_data)]) or enlarge the domain.
        """
        x64 = self._points(x, what, self._owner("check_inside"))
        ok = self._inside(x64, DEFAULT_TOL)
        if bool(ok.all()):
            return x
        i = int((~ok).nonzero()[0])
        raise PhysnnError(
            f"{what}: {int((~ok).sum())} of {len(ok)} points lie outside {self!r}; the first "
            f"is row {i} ({self._coords(x64[i])}). Keep the points inside the domain "
            f"(e.g. {what}[geometry.inside({what})]) or enlarge the domain."
        )

    # -- sampling ---------------------------------------------------------------

    def uniform_grid(
        self, n: int, *, boundary: bool = True, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """About ``n`` points of a regular grid over the bounding box, kept where inside.

        With ``boundary=True`` the grid's outer nodes lie on the bounding box
        (``linspace``, at least 2 per axis); with ``boundary=False`` the nodes are
        cell centres.  The bounding box gets ``n * bbox_volume / volume`` nodes so
        that about ``n`` remain inside; the spacing is equal on every axis.

            >>> from physnn.pinn.geometry import Rectangle
            >>> Rectangle((0, 0), (2, 1)).uniform_grid(18).shape      # 6 x 3 nodes
            torch.Size([18, 2])
        """
        owner = self._owner("uniform_grid")
        n = check_int("n", n, low=1, owner=owner)
        dtype = check_dtype(dtype, owner)
        lo, hi = self._bounds()
        sides = (hi - lo).tolist()
        n_box = n * math.prod(sides) / self._volume_checked(owner)
        counts = grid_counts(sides, n_box)
        if boundary:
            axes = [
                torch.linspace(a, b, max(c, 2), dtype=F64)
                for a, b, c in zip(lo.tolist(), hi.tolist(), counts)
            ]
        else:
            axes = [cell_centres(a, b, c) for a, b, c in zip(lo.tolist(), hi.tolist(), counts)]
        x = axes_grid(axes).to(dtype)
        return x[self._inside(x.to(F64), DEFAULT_TOL)]

    def _volume_checked(self, owner: str) -> float:
        vol = self.volume
        if not vol > 0:
            raise PhysnnError(
                f"{owner}: {self!r} has no interior (volume {vol:g}); check that the "
                "parts of the composite overlap the way you meant."
            )
        return vol

    def sample_interior(
        self,
        n: int,
        *,
        method: str = "random",
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """``(n, dim)`` points inside the domain (about ``n`` for ``method="uniform"``).

        See the module docstring for the methods; ``generator`` makes the draw
        reproducible (``None``: torch's global generator).

            >>> from physnn.pinn.geometry import Disk
            >>> g = torch.Generator().manual_seed(0)
            >>> Disk((0, 0), 1).sample_interior(1000, method="lhs", generator=g).norm(dim=1).max() <= 1
            tensor(True)
        """
        owner = self._owner("sample_interior")
        n, method, generator, dtype = self._sampling_args(owner, n, method, generator, dtype)
        if method == "uniform":
            return self.uniform_grid(n, boundary=False, dtype=dtype)
        k = self._n_interior_params
        if k is not None:
            return self._map_interior(unit_cube(n, k, method, generator)).to(dtype)
        return self._reject_interior(n, method, generator, dtype, owner)

    def _reject_interior(
        self, n: int, method: str, generator: torch.Generator | None, dtype: torch.dtype, owner: str
    ) -> torch.Tensor:
        """The method's points in the bounding box, kept where inside, first ``n``."""
        lo, hi = self._bounds()
        frac = self._volume_checked(owner) / math.prod((hi - lo).tolist())
        frac = min(1.0, max(frac, 1e-3))
        kept: list[torch.Tensor] = []
        have = 0
        for _ in range(MAX_ROUNDS):
            m = int(math.ceil((n - have) / frac * 1.2)) + 16
            x = (lo + (hi - lo) * unit_cube(m, self.dim, method, generator)).to(dtype)
            x = x[self._inside(x.to(F64), DEFAULT_TOL)]
            kept.append(x)
            have += len(x)
            if have >= n:
                return torch.cat(kept)[:n]
        raise PhysnnError(  # pragma: no cover - needs a domain of (almost) zero volume
            f"{owner}: found only {have} of {n} interior points of {self!r} after "
            f"{MAX_ROUNDS} rounds of rejection sampling; is the domain (nearly) empty?"
        )

    def sample_boundary(
        self,
        n: int,
        *,
        method: str = "random",
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """``(n, dim)`` points on the boundary (about ``n`` for ``method="uniform"``).

        Points are spread in proportion to boundary measure (face areas of a box,
        arc length of a circle); an interval alternates its two end points.

            >>> from physnn.pinn.geometry import Interval
            >>> Interval(0, 1).sample_boundary(4).flatten().tolist()
            [0.0, 1.0, 0.0, 1.0]
        """
        owner = self._owner("sample_boundary")
        n, method, generator, dtype = self._sampling_args(owner, n, method, generator, dtype)
        if method == "uniform":
            return self._boundary_uniform(n, dtype)
        k = self._n_boundary_params
        if k is not None:
            return self._map_boundary(unit_cube(n, k, method, generator)).to(dtype)
        return self._boundary_other(n, method, generator, dtype)

    # -- set algebra ------------------------------------------------------------

    # (the composites subclass Geometry, so they are imported when first asked for)

    def __or__(self, other: Geometry) -> Union:
        from physnn.pinn.geometry.algebra import Union

        return Union(self, other)

    def __sub__(self, other: Geometry) -> Difference:
        from physnn.pinn.geometry.algebra import Difference

        return Difference(self, other)

    def __and__(self, other: Geometry) -> Intersection:
        from physnn.pinn.geometry.algebra import Intersection

        return Intersection(self, other)
