r"""Domains and collocation points for physics-informed neural networks.

A PINN is trained on points: *interior* points where the PDE residual is
penalised, *boundary* points for Dirichlet / Neumann / Robin conditions and,
for time-dependent problems, *initial* points at :math:`t = t_0`.  This module
holds the domains and draws those points.

Geometries
----------
=====================  ========================================================
:class:`Interval`      :math:`[a, b]`; boundary = the two end points
:class:`Rectangle`     :math:`[x_0, x_1] \times [y_0, y_1]` (a 2-D :class:`Box`)
:class:`Box`           :math:`\prod_i [l_i, h_i]` in any dimension
:class:`Disk`          :math:`\{\lVert x - c \rVert \le R\}` in 2-D
:class:`Polygon`       a simple polygon :math:`v_1 \dots v_N` in 2-D; area
                       :math:`\tfrac12 \sum_i (x_i y_{i+1} - x_{i+1} y_i)`
:class:`Union`         :math:`A \cup B`         (also ``a | b``)
:class:`Difference`    :math:`A \setminus B`    (also ``a - b``)
:class:`Intersection`  :math:`A \cap B`         (also ``a & b``)
:class:`TimeDomain`    :math:`[t_0, t_1]`, an :class:`Interval` named ``"t"``
:class:`SpaceTime`     :math:`\Omega \times [t_0, t_1]`, time the **last** column
=====================  ========================================================

Every geometry has ``dim``, ``names`` (one coordinate name per column),
``bbox``, ``volume`` (length / area / volume), ``boundary_measure``,
``inside(x)``, ``on_boundary(x)``, ``boundary_normal(x)`` (outward unit
normals), ``check_inside(x, what)``, ``uniform_grid(n)``,
``sample_interior(n, ...)`` and ``sample_boundary(n, ...)``.

Points and tolerance
--------------------
Points are ``torch`` tensors of shape ``(N, dim)``, ``float32`` unless
``dtype=torch.float64`` is asked for.  Sampling is computed in ``float64`` and
cast at the end.  ``inside`` counts the boundary as inside.  Both ``inside``
and ``on_boundary`` accept points within ``tol * s`` of the boundary, where
``tol`` (default ``1e-6``) is *relative* to the size of each primitive shape,
:math:`s = \max(1, \max_i |\text{bbox}_i|)`, so a ``float32`` boundary point of
a large domain still counts as on the boundary.

Sampling methods (``method=``)
------------------------------
``"random"``
    i.i.d. uniform points (by volume inside, by surface measure on the boundary).
``"uniform"``
    a regular grid with **approximately** ``n`` points: for a box of side
    lengths :math:`L_i` the counts per axis are :math:`n_i \approx L_i
    (n / \prod_j L_j)^{1/d}` (at least 1), so the spacing is the same along
    every axis and :math:`\prod_i n_i \approx n`.  Interior grids are
    cell-centred (no point on the boundary); other shapes use the grid of their
    bounding box with ``n * bbox_volume / volume`` points, kept where inside.
    The boundary grid of a box is cell-centred on every face with counts
    proportional to face areas (exactly ``n`` points in 1-D and 2-D); a circle
    gets ``n`` equally spaced angles, a polygon ``n`` points equally spaced in
    arc length.
``"lhs"``
    Latin hypercube: in each of the :math:`k` unit-cube coordinates the
    :math:`n` strata :math:`[i/n, (i+1)/n)` hold exactly one point each,
    :math:`u_{ij} = (\pi_j(i) + U_{ij}) / n` with independent random
    permutations :math:`\pi_j` and jitter :math:`U_{ij} \sim U[0, 1)`.
``"sobol"``
    scrambled Sobol' points, ``torch.quasirandom.SobolEngine(k, scramble=True,
    seed=s)`` with ``s`` drawn from ``generator``; a low-discrepancy set whose
    averages converge faster than random ones.  Powers of two are best.

How a unit-cube point becomes a domain point: boxes map it linearly; a disk
through the area-preserving polar map :math:`r = R\sqrt{u_1},\ \theta = 2\pi
u_2` (so LHS strata are equal-area rings and sectors); box *surfaces* through
a measure-preserving map (the first coordinate picks the face in proportion to
its area and is also the first coordinate on that face); a circle by
:math:`\theta = 2\pi u`; a polygon's boundary by arc length :math:`s = P u`
(:math:`P` the perimeter).  A :class:`Polygon`'s interior, :class:`Union`,
:class:`Difference` and :class:`Intersection` have no such map: their interior
points are the method's points in the bounding box, kept where inside
(rejection; LHS strata then hold for the bounding-box points, not the kept
ones), and the composites' boundary points are the parts' boundary points kept
where they belong to the boundary of the whole, pooled in proportion to the
parts' boundary measures and subsampled at random.
A :class:`SpaceTime` draws one joint ``(dim + 1)``-dimensional set when its
space has a map, so LHS / Sobol are stratified jointly in space and time.

Example
-------
    >>> import torch
    >>> from physnn.pinn.geometry import Disk, Interval, Rectangle, SpaceTime, TimeDomain
    >>> g = torch.Generator().manual_seed(0)
    >>> square = Rectangle((0, 0), (1, 1))
    >>> x = square.sample_interior(128, method="sobol", generator=g)
    >>> x.shape, x.dtype, bool(square.inside(x).all())
    (torch.Size([128, 2]), torch.float32, True)
    >>> plate = square - Disk((0.5, 0.5), 0.25)          # a plate with a hole
    >>> xb = plate.sample_boundary(64, generator=g)
    >>> bool(plate.on_boundary(xb).all())
    True
    >>> st = SpaceTime(Interval(-1, 1), TimeDomain(0, 1))
    >>> st.names, st.sample_initial(4, generator=g)[:, -1].tolist()
    (('x', 't'), [0.0, 0.0, 0.0, 0.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.quasirandom import SobolEngine

from physnn.errors import PhysnnError, check_array, check_choice, check_int, check_range

__all__ = [
    "METHODS",
    "WHERE",
    "Geometry",
    "Box",
    "Rectangle",
    "Interval",
    "Disk",
    "Polygon",
    "Union",
    "Difference",
    "Intersection",
    "TimeDomain",
    "SpaceTime",
    "sample",
]

#: The sampling methods every geometry accepts.
METHODS = ("random", "uniform", "lhs", "sobol")
#: Where :func:`sample` can draw points.
WHERE = ("interior", "boundary", "initial")
#: Default relative tolerance of ``inside`` / ``on_boundary``.
DEFAULT_TOL = 1e-6

_F64 = torch.float64
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_MAX_ROUNDS = 200          # rejection-sampling rounds before giving up
_ESTIMATE_POINTS = 1 << 14  # points behind a composite's volume / boundary estimates


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _check_dtype(dtype: Any, owner: str) -> torch.dtype:
    if dtype in (torch.float32, torch.float64):
        return dtype
    name = str(dtype).replace("torch.", "")
    return _DTYPES[check_choice("dtype", name, list(_DTYPES), owner=owner)]


def _check_generator(generator: Any, owner: str) -> torch.Generator | None:
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    raise PhysnnError(
        f"{owner}: 'generator' must be a torch.Generator or None; got "
        f"{type(generator).__name__}. Make one with torch.Generator().manual_seed(seed)."
    )


def _device(x: Any) -> torch.device:
    """Where results about ``x`` should live: its device if it is a tensor, else the CPU."""
    return x.device if isinstance(x, torch.Tensor) else torch.device("cpu")


def _vector(name: str, value: Any, owner: str) -> tuple[float, ...]:
    """A tuple of finite floats from a number, a sequence, an array or a tensor."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().reshape(-1).tolist()
    elif isinstance(value, np.ndarray):
        value = value.reshape(-1).tolist()
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(value) == 0:
        raise PhysnnError(f"{owner}: {name!r} must hold at least one coordinate; got {value!r}.")
    return tuple(check_range(f"{name}[{i}]", v, owner=owner) for i, v in enumerate(value))


def _default_names(dim: int) -> tuple[str, ...]:
    return ("x", "y", "z")[:dim] if dim <= 3 else tuple(f"x{i + 1}" for i in range(dim))


def _check_names(names: Any, dim: int, owner: str) -> tuple[str, ...]:
    if names is None:
        return _default_names(dim)
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if len(names) != dim or not all(isinstance(s, str) and s for s in names):
        raise PhysnnError(
            f"{owner}: 'names' must be {dim} non-empty string(s), one per coordinate; "
            f"got {names!r}."
        )
    if len(set(names)) != dim:
        raise PhysnnError(f"{owner}: 'names' must be distinct; got {names!r}.")
    return names


def _fmt(values: Sequence[float]) -> str:
    return "(" + ", ".join(f"{float(v):g}" for v in values) + ("," if len(values) == 1 else "") + ")"


def _grid_counts(sides: Sequence[float], n: float) -> list[int]:
    """Points per axis for a grid of about ``n`` points with equal spacing on all axes.

    >>> _grid_counts([2.0, 1.0], 200)
    [20, 10]
    >>> _grid_counts([100.0, 1.0], 50)      # a thin strip: one row, 50 columns
    [50, 1]
    """
    d = len(sides)
    counts: list[int] = [1] * d
    free = list(range(d))
    while free:
        prod = math.prod(sides[i] for i in free)
        s = (max(n, 1.0) / prod) ** (1.0 / len(free))
        small = [i for i in free if sides[i] * s < 1.0]
        if not small:
            for i in free:
                counts[i] = max(1, int(round(sides[i] * s)))
            break
        free = [i for i in free if i not in small]  # those axes keep one point
    return counts


def _axes_grid(axes: Sequence[torch.Tensor]) -> torch.Tensor:
    """The Cartesian product of 1-D coordinate tensors as an ``(N, len(axes))`` tensor."""
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


def _cell_centres(lo: float, hi: float, count: int) -> torch.Tensor:
    return lo + (torch.arange(count, dtype=_F64) + 0.5) * ((hi - lo) / count)


def _largest_remainder(weights: Sequence[float], n: int) -> list[int]:
    """Split ``n`` into integers proportional to ``weights`` (Hamilton's method)."""
    total = float(sum(weights))
    exact = [n * w / total for w in weights]
    counts = [int(math.floor(e)) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _unit(n: int, k: int, method: str, generator: torch.Generator | None) -> torch.Tensor:
    """``n`` points in the unit cube ``[0, 1)^k`` (``float64``) by ``method``.

    >>> g = torch.Generator().manual_seed(0)
    >>> u = _unit(5, 2, "lhs", g)
    >>> sorted((u[:, 0] * 5).floor().long().tolist())      # one point per stratum
    [0, 1, 2, 3, 4]
    """
    if k == 0:
        return torch.empty(n, 0, dtype=_F64)
    if method == "random":
        return torch.rand(n, k, generator=generator, dtype=_F64)
    if method == "lhs":
        perms = torch.stack([torch.randperm(n, generator=generator) for _ in range(k)], dim=1)
        return (perms.to(_F64) + torch.rand(n, k, generator=generator, dtype=_F64)) / n
    if method == "sobol":
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        return SobolEngine(k, scramble=True, seed=seed).draw(n, dtype=_F64)
    # "uniform": a cell-centred grid of about n points
    counts = _grid_counts([1.0] * k, n)
    return _axes_grid([_cell_centres(0.0, 1.0, c) for c in counts])


# ---------------------------------------------------------------------------
# the base class
# ---------------------------------------------------------------------------


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
        return x.detach().to(device="cpu", dtype=_F64)

    def _sampling_args(
        self, owner: str, n: Any, method: Any, generator: Any, dtype: Any
    ) -> tuple[int, str, torch.Generator | None, torch.dtype]:
        return (
            check_int("n", n, low=1, owner=owner),
            check_choice("method", method, METHODS, owner=owner),
            _check_generator(generator, owner),
            _check_dtype(dtype, owner),
        )

    # -- membership -------------------------------------------------------------

    def inside(self, x: Any, *, tol: float = DEFAULT_TOL) -> torch.Tensor:
        """``(N,)`` bool: is each row of ``x`` (shape ``(N, dim)``) in the closed domain?

        The boundary counts as inside, up to ``tol`` relative to the domain's size.

            >>> Interval(0, 1).inside(torch.tensor([[-0.5], [0.0], [0.5], [1.0]])).tolist()
            [False, True, True, True]
        """
        owner = self._owner("inside")
        tol = check_range("tol", tol, low=0.0, owner=owner)
        return self._inside(self._points(x, "x", owner), tol).to(_device(x))

    def on_boundary(self, x: Any, *, tol: float = DEFAULT_TOL) -> torch.Tensor:
        """``(N,)`` bool: is each row of ``x`` on the boundary (within ``tol`` relative)?

            >>> Rectangle((0, 0), (2, 1)).on_boundary(torch.tensor([[2.0, 0.5], [1.0, 0.5]])).tolist()
            [True, False]
        """
        owner = self._owner("on_boundary")
        tol = check_range("tol", tol, low=0.0, owner=owner)
        return self._on_boundary(self._points(x, "x", owner), tol).to(_device(x))

    def boundary_normal(self, x: Any) -> torch.Tensor:
        """Outward unit normals ``(N, dim)`` at boundary points ``x`` ``(N, dim)``.

        At a corner or edge any adjacent face's normal is returned.  Points that are
        not on the boundary are an error (a normal there would be meaningless).
        The result has the dtype of ``x`` (``float32`` for non-float input).

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
        return self._normal(x64, DEFAULT_TOL).to(device=_device(x), dtype=out_dtype)

    def _coords(self, row: torch.Tensor) -> str:
        return ", ".join(f"{nm}={float(v):.6g}" for nm, v in zip(self.names, row))

    def check_inside(self, x: Any, what: str = "points") -> Any:
        """Return ``x`` unchanged if every row lies in the domain, else raise.

        The error says how many points are outside and which is the first::

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

            >>> Rectangle((0, 0), (2, 1)).uniform_grid(18).shape      # 6 x 3 nodes
            torch.Size([18, 2])
        """
        owner = self._owner("uniform_grid")
        n = check_int("n", n, low=1, owner=owner)
        dtype = _check_dtype(dtype, owner)
        lo, hi = self._bounds()
        sides = (hi - lo).tolist()
        n_box = n * math.prod(sides) / self._volume_checked(owner)
        counts = _grid_counts(sides, n_box)
        if boundary:
            axes = [
                torch.linspace(a, b, max(c, 2), dtype=_F64)
                for a, b, c in zip(lo.tolist(), hi.tolist(), counts)
            ]
        else:
            axes = [_cell_centres(a, b, c) for a, b, c in zip(lo.tolist(), hi.tolist(), counts)]
        x = _axes_grid(axes).to(dtype)
        return x[self._inside(x.to(_F64), DEFAULT_TOL)]

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
            return self._map_interior(_unit(n, k, method, generator)).to(dtype)
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
        for _ in range(_MAX_ROUNDS):
            m = int(math.ceil((n - have) / frac * 1.2)) + 16
            x = (lo + (hi - lo) * _unit(m, self.dim, method, generator)).to(dtype)
            x = x[self._inside(x.to(_F64), DEFAULT_TOL)]
            kept.append(x)
            have += len(x)
            if have >= n:
                return torch.cat(kept)[:n]
        raise PhysnnError(  # pragma: no cover - needs a domain of (almost) zero volume
            f"{owner}: found only {have} of {n} interior points of {self!r} after "
            f"{_MAX_ROUNDS} rounds of rejection sampling; is the domain (nearly) empty?"
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

            >>> Interval(0, 1).sample_boundary(4).flatten().tolist()
            [0.0, 1.0, 0.0, 1.0]
        """
        owner = self._owner("sample_boundary")
        n, method, generator, dtype = self._sampling_args(owner, n, method, generator, dtype)
        if method == "uniform":
            return self._boundary_uniform(n, dtype)
        k = self._n_boundary_params
        if k is not None:
            return self._map_boundary(_unit(n, k, method, generator)).to(dtype)
        return self._boundary_other(n, method, generator, dtype)

    # -- set algebra ------------------------------------------------------------

    def __or__(self, other: Geometry) -> Union:
        return Union(self, other)

    def __sub__(self, other: Geometry) -> Difference:
        return Difference(self, other)

    def __and__(self, other: Geometry) -> Intersection:
        return Intersection(self, other)


# ---------------------------------------------------------------------------
# boxes
# ---------------------------------------------------------------------------


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
        lo_v, hi_v = _vector("lo", lo, owner), _vector("hi", hi, owner)
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
        self.names = _check_names(names, self.dim, owner)
        self._lo = torch.tensor(lo_v, dtype=_F64)
        self._hi = torch.tensor(hi_v, dtype=_F64)
        self._n_interior_params = self.dim
        self._n_boundary_params = self.dim - 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lo={_fmt(self.lo)}, hi={_fmt(self.hi)}, names={self.names!r})"

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
        sign = torch.where(face < self.dim, -1.0, 1.0).to(_F64)
        normal = torch.zeros_like(x)
        normal[torch.arange(len(x)), axis] = sign
        return normal

    def _map_interior(self, u: torch.Tensor) -> torch.Tensor:
        return self._lo + (self._hi - self._lo) * u

    def _place_on_face(self, face: int, local: torch.Tensor) -> torch.Tensor:
        """Face ``face`` (= 2 * axis + side) at face coordinates ``local`` in ``[0, 1)^(d-1)``."""
        axis, side = divmod(face, 2)
        others = [i for i in range(self.dim) if i != axis]
        x = torch.empty(len(local), self.dim, dtype=_F64)
        x[:, others] = self._lo[others] + (self._hi - self._lo)[others] * local
        x[:, axis] = float(self._hi[axis] if side else self._lo[axis])
        return x

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        n = len(u)
        if self.dim == 1:  # the two end points, alternating a, b, a, b, ...
            return torch.where(torch.arange(n).unsqueeze(1) % 2 == 0, self._lo, self._hi)
        # measure-preserving: u0 picks the face by area and is the first face coordinate
        frac = torch.tensor(self._face_areas(), dtype=_F64)
        frac = frac / frac.sum()
        cum = torch.cumsum(frac, 0)
        face = torch.searchsorted(cum, u[:, 0].contiguous(), right=True).clamp(max=2 * self.dim - 1)
        v = ((u[:, 0] - (cum - frac)[face]) / frac[face]).clamp(0.0, 1.0)
        local = torch.cat([v.unsqueeze(1), u[:, 1:]], dim=1)
        x = torch.empty(n, self.dim, dtype=_F64)
        for f in range(2 * self.dim):
            mask = face == f
            if bool(mask.any()):
                x[mask] = self._place_on_face(f, local[mask])
        return x

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        if self.dim == 1:
            return self._map_boundary(torch.empty(n, 0, dtype=_F64)).to(dtype)
        sides = [b - a for a, b in zip(self.lo, self.hi)]
        parts = []
        for f, n_f in enumerate(_largest_remainder(self._face_areas(), n)):
            if n_f == 0:
                continue
            axis = f // 2
            counts = _grid_counts([s for i, s in enumerate(sides) if i != axis], n_f)
            local = _axes_grid([_cell_centres(0.0, 1.0, c) for c in counts])
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
        lo_v, hi_v = _vector("lo", lo, "Rectangle"), _vector("hi", hi, "Rectangle")
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


# ---------------------------------------------------------------------------
# the disk
# ---------------------------------------------------------------------------


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
        c = _vector("center", center, owner)
        if len(c) != 2:
            raise PhysnnError(f"{owner}: 'center' must be 2 numbers (x, y); got {c}.")
        self.center = c
        self.radius = check_range("radius", radius, low=0.0, low_inclusive=False, owner=owner)
        self.dim = 2
        self.names = _check_names(names, 2, owner)
        self._c = torch.tensor(c, dtype=_F64)

    def __repr__(self) -> str:
        return f"Disk(center={_fmt(self.center)}, radius={self.radius:g})"

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
        return self._circle(torch.full((len(u),), self.radius, dtype=_F64), 2.0 * math.pi * u[:, 0])

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        u = (torch.arange(n, dtype=_F64) / n).unsqueeze(1)  # theta = 2 pi k / n
        return self._map_boundary(u).to(dtype)


# ---------------------------------------------------------------------------
# the polygon
# ---------------------------------------------------------------------------

_SCAN_ELEMENTS = 1 << 22  # (points x edges) entries per chunk of a polygon's edge scan


def _segments_meet(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray, eps: float) -> np.ndarray:
    """Whether the closed segments ``p -> q`` and ``r -> s`` (rows, float64) share a point.

    Orientation tests with ``|cross| <= eps`` counted as collinear; touching counts.
    """

    def side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        return np.where(np.abs(cross) <= eps, 0.0, np.sign(cross))

    straddle = (side(r, s, p) * side(r, s, q) <= 0) & (side(p, q, r) * side(p, q, s) <= 0)
    # the boxes must overlap too: only matters when all four points are collinear
    overlap = np.all(
        (np.minimum(p, q) <= np.maximum(r, s) + eps) & (np.minimum(r, s) <= np.maximum(p, q) + eps), axis=1
    )
    return straddle & overlap


class Polygon(Geometry):
    r"""A simple (not self-intersecting) polygon in 2-D with vertices :math:`v_1, \dots, v_N`.

    Args:
        vertices: ``(N, 2)`` corner points in order around the boundary, :math:`N \ge 3`,
            either orientation (stored counter-clockwise, keeping ``vertices[0]`` first);
            do not repeat the first vertex at the end, the polygon closes itself.
        names: the two coordinate names (default ``("x", "y")``).

    Edge :math:`i` runs from :math:`v_i` to :math:`v_{i+1}` (:math:`v_{N+1} = v_1`),
    with length :math:`\ell_i` and outward unit normal :math:`n_i = (\Delta y_i,
    -\Delta x_i) / \ell_i` (counter-clockwise order).

    * area (shoelace) :math:`A = \tfrac12 \sum_i (x_i y_{i+1} - x_{i+1} y_i)`;
      ``boundary_measure`` is the perimeter :math:`P = \sum_i \ell_i`;
    * ``inside``: the even-odd rule (a ray from the point crosses the boundary an odd
      number of times), or within the tolerance of an edge; ``on_boundary``: the
      distance to the nearest edge is within the tolerance;
    * ``boundary_normal``: the normal of the nearest edge (at a vertex, one of the
      two adjacent edges' normals, as at a box's corner);
    * interior points: the method's points in the bounding box, kept where inside
      (rejection, as for :class:`Union`); the ``"uniform"`` grid also drops cell
      centres that fall on a slanted edge;
    * boundary points by arc length, :math:`s = P u` from the start of edge 1, so
      they are uniform in length; ``"uniform"`` takes :math:`u = (k + \tfrac12)/n`,
      ``n`` points equally spaced by :math:`P / n` around the boundary.

        >>> tri = Polygon([(0, 0), (2, 0), (0, 1)])
        >>> tri.area, round(tri.boundary_measure, 6)            # 2 + 1 + sqrt(5)
        (1.0, 5.236068)
        >>> tri.inside(torch.tensor([[0.5, 0.25], [1.5, 0.5], [1.0, 0.0]])).tolist()
        [True, False, True]
        >>> tri.boundary_normal(torch.tensor([[1.0, 0.0], [0.0, 0.5]])).tolist()
        [[0.0, -1.0], [-1.0, 0.0]]
    """

    _n_boundary_params = 1

    def __init__(self, vertices: Any, *, names: Sequence[str] | None = None):
        owner = type(self).__name__
        v = self._check_vertices(vertices, owner)
        if self._signed_area(v) < 0:  # clockwise: reverse, keeping the first vertex first
            v = np.concatenate([v[:1], v[:0:-1]])
        self.vertices: tuple[tuple[float, float], ...] = tuple((float(x), float(y)) for x, y in v)
        self.dim = 2
        self.names = _check_names(names, 2, owner)
        self._a = torch.tensor(v, dtype=_F64)                     # edge starts (N, 2)
        self._b = torch.roll(self._a, -1, dims=0)                  # edge ends (N, 2)
        self._e = self._b - self._a                                # edge vectors (N, 2)
        self._len = self._e.norm(dim=1)                            # edge lengths (N,)
        self._n = torch.stack([self._e[:, 1], -self._e[:, 0]], 1) / self._len.unsqueeze(1) + 0.0
        self._cum = torch.cat([torch.zeros(1, dtype=_F64), torch.cumsum(self._len, 0)])
        self._area = self._signed_area(v)

    # -- validation ---------------------------------------------------------------

    @staticmethod
    def _signed_area(v: np.ndarray) -> float:
        w = np.roll(v, -1, axis=0)
        return 0.5 * float(np.sum(v[:, 0] * w[:, 1] - w[:, 0] * v[:, 1]))

    @classmethod
    def _check_vertices(cls, vertices: Any, owner: str) -> np.ndarray:
        example = "e.g. [(0, 0), (1, 0), (0, 1)] for a triangle"
        if isinstance(vertices, torch.Tensor):
            vertices = vertices.detach().cpu().numpy()
        try:
            v = np.asarray(vertices, dtype=np.float64)
        except (TypeError, ValueError):
            raise PhysnnError(
                f"{owner}: 'vertices' must be numbers, one (x, y) pair per vertex ({example}); "
                f"got {vertices!r}."
            ) from None
        if v.ndim != 2 or v.shape[1] != 2:
            raise PhysnnError(
                f"{owner}: 'vertices' must have shape (N, 2), one (x, y) row per vertex "
                f"({example}); got shape {v.shape}."
            )
        if len(v) < 3:
            raise PhysnnError(
                f"{owner}: a polygon needs at least 3 vertices; got {len(v)}: "
                f"{', '.join(_fmt(row) for row in v) or 'none'}. Give its corners in order, {example}."
            )
        bad = ~np.isfinite(v).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PhysnnError(
                f"{owner}: 'vertices' must be finite numbers; vertex {i} is {_fmt(v[i])} "
                f"({int(bad.sum())} of {len(v)} vertices hold NaN or Inf)."
            )
        w = np.roll(v, -1, axis=0)
        same = (v == w).all(axis=1)
        if same.any():
            i = int(np.flatnonzero(same)[0])
            if i == len(v) - 1:
                raise PhysnnError(
                    f"{owner}: the last vertex {_fmt(v[i])} repeats the first, a zero-length edge; "
                    "list each vertex once, the polygon closes itself."
                )
            raise PhysnnError(
                f"{owner}: vertices {i} and {i + 1} are the same point {_fmt(v[i])}, a zero-length "
                "edge; drop the repeated vertex."
            )
        extent = float((v.max(axis=0) - v.min(axis=0)).max())
        sv = np.linalg.svd(v - v.mean(axis=0), compute_uv=False)
        if sv[1] <= 1e-12 * sv[0]:
            raise PhysnnError(
                f"{owner}: all {len(v)} vertices lie on one line, so the polygon has zero area; "
                f"give the corners of a 2-D region ({example})."
            )
        cls._check_simple(v, w, 1e-12 * extent**2, owner)
        if not abs(cls._signed_area(v)) > 0:  # pragma: no cover - a simple polygon has an area
            raise PhysnnError(f"{owner}: the polygon {v.tolist()} has zero area.")
        return v

    @staticmethod
    def _check_simple(v: np.ndarray, w: np.ndarray, eps: float, owner: str) -> None:
        """Raise if two edges share a point other than the vertex between neighbours (O(N^2))."""
        m = len(v)
        e = w - v
        found: list[tuple[int, int]] = []
        # neighbours i, i+1 meet at v[i+1]; they overlap only if edge i+1 turns straight back
        nxt = np.roll(e, -1, axis=0)
        cross = e[:, 0] * nxt[:, 1] - e[:, 1] * nxt[:, 0]
        dot = (e * nxt).sum(axis=1)
        back = np.flatnonzero((np.abs(cross) <= eps) & (dot < 0))
        found += [(int(i), int((i + 1) % m)) for i in back]
        # every other pair must not meet at all
        i, j = np.triu_indices(m, k=2)
        keep = ~((i == 0) & (j == m - 1))  # edges m-1 and 0 are neighbours
        i, j = i[keep], j[keep]
        if len(i):
            meet = _segments_meet(v[i], w[i], v[j], w[j], eps)
            found += [(int(a), int(b)) for a, b in zip(i[meet], j[meet])]
        if found:
            a, b = min(found)
            more = f" ({len(found)} pairs of edges meet in all)" if len(found) > 1 else ""
            raise PhysnnError(
                f"{owner}: the polygon crosses itself: edge {a} {_fmt(v[a])} -> {_fmt(w[a])} and "
                f"edge {b} {_fmt(v[b])} -> {_fmt(w[b])} meet{more}. List the vertices in order "
                "around the boundary, e.g. (0, 0), (1, 0), (1, 1), (0, 1) and not the bow-tie "
                "(0, 0), (1, 1), (1, 0), (0, 1); for holes use a Difference."
            )

    def __repr__(self) -> str:
        shown = [_fmt(v) for v in self.vertices]
        if len(shown) > 8:
            shown = shown[:6] + [f"... ({len(self.vertices)} vertices)"]
        names = "" if self.names == ("x", "y") else f", names={self.names!r}"
        return f"Polygon([{', '.join(shown)}]{names})"

    # -- shape ----------------------------------------------------------------------

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self._a.min(dim=0).values, self._a.max(dim=0).values

    @property
    def volume(self) -> float:
        """The area by the shoelace formula."""
        return self._area

    @property
    def boundary_measure(self) -> float:
        """The perimeter, the sum of the edge lengths."""
        return float(self._cum[-1])

    def _scan(self, x: torch.Tensor, parity: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Per point: distance to the nearest edge, that edge's index and (``parity``) whether a
        ray towards :math:`+x` crosses an odd number of edges; vectorised over points and edges."""
        ax, ay, by = self._a[:, 0], self._a[:, 1], self._b[:, 1]
        ex, ey = self._e[:, 0], self._e[:, 1]
        len2 = self._len**2
        dist, edge, odd = [], [], []
        for xc in x.split(max(1, _SCAN_ELEMENTS // len(self._a))):
            dx, dy = xc[:, :1] - ax, xc[:, 1:] - ay                    # (n, N)
            t = ((dx * ex + dy * ey) / len2).clamp(0.0, 1.0)
            d, i = torch.hypot(dx - t * ex, dy - t * ey).min(dim=1)
            dist.append(d)
            edge.append(i)
            if parity:
                # the edge spans the point's height (half-open, so a vertex counts once; the
                # shared vertex must be the same number in both edges, so b_y, not a_y + e_y) ...
                spans = (ay > xc[:, 1:]) != (by > xc[:, 1:])
                # ... and meets that horizontal line to the right of the point
                x_cut = ax + dy * ex / torch.where(spans, ey, torch.ones_like(ey))
                odd.append((spans & (xc[:, :1] < x_cut)).sum(dim=1) % 2 == 1)
        if not len(x):
            empty = torch.empty(0, dtype=_F64)
            return empty, empty.long(), empty.bool() if parity else None
        return torch.cat(dist), torch.cat(edge), torch.cat(odd) if parity else None

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        dist, _, odd = self._scan(x, parity=True)
        return odd | (dist <= tol * self._scale)

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self._scan(x, parity=False)[0] <= tol * self._scale

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self._n[self._scan(x, parity=False)[1]]

    # -- sampling ---------------------------------------------------------------

    def uniform_grid(
        self, n: int, *, boundary: bool = True, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """As :meth:`Geometry.uniform_grid`; with ``boundary=False`` nodes on an edge are dropped.

        A slanted edge can pass through cell centres (the hypotenuse of a right
        triangle does), and interior points should not lie on the boundary.

            >>> tri = Polygon([(0, 0), (1, 0), (0, 1)])
            >>> bool(tri.on_boundary(tri.uniform_grid(100, boundary=False)).any())
            False
        """
        x = super().uniform_grid(n, boundary=boundary, dtype=dtype)
        if boundary:
            return x
        return x[~self._on_boundary(x.to(_F64), DEFAULT_TOL)]

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        s = u[:, 0] * self._cum[-1]                                  # arc length from v_1
        i = torch.searchsorted(self._cum[1:], s.contiguous(), right=True).clamp(max=len(self._a) - 1)
        t = ((s - self._cum[i]) / self._len[i]).clamp(0.0, 1.0)
        return self._a[i] + t.unsqueeze(1) * self._e[i]

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        u = ((torch.arange(n, dtype=_F64) + 0.5) / n).unsqueeze(1)  # spacing P / n
        return self._map_boundary(u).to(dtype)


# ---------------------------------------------------------------------------
# set algebra
# ---------------------------------------------------------------------------

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
            u = SobolEngine(self.dim, scramble=True, seed=0).draw(_ESTIMATE_POINTS, dtype=_F64)
            frac = float(self._inside(lo + (hi - lo) * u, DEFAULT_TOL).to(_F64).mean())
            self._cache["volume"] = frac * math.prod((hi - lo).tolist())
        return self._cache["volume"]

    def _piece_measures(self) -> list[tuple[float, float]]:
        """Per piece: (the part's boundary measure, the fraction of it that is kept)."""
        if "pieces" not in self._cache:
            gen = torch.Generator().manual_seed(0)
            out = []
            for part, keep, _ in self._pieces():
                x = part.sample_boundary(_ESTIMATE_POINTS // 4, generator=gen, dtype=_F64)
                out.append((part.boundary_measure, float(keep(x, DEFAULT_TOL).to(_F64).mean())))
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
        probs = torch.tensor([m for m, _ in measures], dtype=_F64)
        probs = probs / probs.sum()
        accept = total / sum(m for m, _ in measures)
        pool: list[torch.Tensor] = []
        have = 0
        for _ in range(_MAX_ROUNDS):
            m = int(math.ceil((n - have) / max(accept, 1e-3) * 1.2)) + 16
            which = torch.multinomial(probs, m, replacement=True, generator=generator)
            counts = torch.bincount(which, minlength=len(pieces)).tolist()
            for (part, keep, _), c in zip(pieces, counts):
                if c == 0:
                    continue
                x = part.sample_boundary(c, method=method, generator=generator, dtype=dtype)
                x = x[keep(x.to(_F64), DEFAULT_TOL)]
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
            parts.append(x[keep(x.to(_F64), DEFAULT_TOL)])
        return torch.cat(parts)


class Union(_Composite):
    r""":math:`A \cup B` (also ``a | b``).

    Inside: in :math:`A` or in :math:`B`.  Boundary: :math:`(\partial A \setminus
    B^\circ) \cup (\partial B \setminus A^\circ)`, normals from the part owning the
    point.  ``volume`` and ``boundary_measure`` are estimates (see the module docs).

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


# ---------------------------------------------------------------------------
# space x time
# ---------------------------------------------------------------------------


class SpaceTime(Geometry):
    r"""The space-time cylinder :math:`\Omega \times [t_0, t_1]`; time is the **last** column.

    Args:
        space: the spatial domain :math:`\Omega` (any :class:`Geometry`).
        time: a :class:`TimeDomain` :math:`[t_0, t_1]`.

    ``dim = space.dim + 1`` and ``names = space.names + ("t",)``.

    * ``sample_interior`` — points of :math:`\Omega \times [t_0, t_1]`;
    * ``sample_boundary`` / ``on_boundary`` — the *spatial* boundary
      :math:`\partial\Omega \times [t_0, t_1]` only (points on :math:`\partial\Omega`
      at times in the interval); ``boundary_normal`` is the spatial normal with a
      0 in the time column;
    * ``sample_initial`` / ``on_initial`` — :math:`\Omega \times \{t_0\}`.

    When the space has a unit-cube map (boxes, disks) LHS and Sobol are joint in
    space and time; for a composite space, interior points are rejection-sampled
    in the bounding box, and boundary points pair the space's boundary points
    with the method's times in random order.

        >>> st = SpaceTime(Rectangle((0, 0), (1, 1)), TimeDomain(0, 5))
        >>> st.dim, st.names, st.volume
        (3, ('x', 'y', 't'), 5.0)
    """

    def __init__(self, space: Geometry, time: TimeDomain):
        if not isinstance(space, Geometry) or isinstance(space, SpaceTime):
            raise PhysnnError(
                f"SpaceTime: 'space' must be a spatial Geometry (Interval, Rectangle, Disk, ...); "
                f"got {type(space).__name__}."
            )
        if not isinstance(time, Interval):
            raise PhysnnError(
                f"SpaceTime: 'time' must be a TimeDomain(t0, t1); got {type(time).__name__}."
            )
        names = space.names + time.names
        if len(set(names)) != len(names):
            raise PhysnnError(
                f"SpaceTime: the time coordinate {time.names[0]!r} clashes with the space's "
                f"names {space.names}; rename one (e.g. TimeDomain(t0, t1, name='tau'))."
            )
        self.space, self.time = space, time
        self.dim = space.dim + 1
        self.names = names

    def __repr__(self) -> str:
        return f"SpaceTime({self.space!r}, {self.time!r})"

    @property
    def t0(self) -> float:
        """The initial time."""
        return self.time.a

    @property
    def t1(self) -> float:
        """The final time."""
        return self.time.b

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        (ls, hs), (lt, ht) = self.space._bounds(), self.time._bounds()
        return torch.cat([ls, lt]), torch.cat([hs, ht])

    @property
    def volume(self) -> float:
        return self.space.volume * (self.t1 - self.t0)

    @property
    def boundary_measure(self) -> float:
        """Measure of the spatial boundary times the length of the time interval."""
        return self.space.boundary_measure * (self.t1 - self.t0)

    def _inside(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self.space._inside(x[:, :-1], tol) & self.time._inside(x[:, -1:], tol)

    def _on_boundary(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return self.space._on_boundary(x[:, :-1], tol) & self.time._inside(x[:, -1:], tol)

    def _normal(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        return torch.cat([self.space._normal(x[:, :-1], tol), torch.zeros(len(x), 1, dtype=_F64)], 1)

    def _on_initial(self, x: torch.Tensor, tol: float) -> torch.Tensor:
        at_t0 = (x[:, -1] - self.t0).abs() <= tol * self.time._scale
        return self.space._inside(x[:, :-1], tol) & at_t0

    @property
    def _n_interior_params(self) -> int | None:  # type: ignore[override]
        k = self.space._n_interior_params
        return None if k is None else k + 1

    @property
    def _n_boundary_params(self) -> int | None:  # type: ignore[override]
        k = self.space._n_boundary_params
        return None if k is None else k + 1

    def _map_interior(self, u: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.space._map_interior(u[:, :-1]), self.time._map_interior(u[:, -1:])], 1)

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.space._map_boundary(u[:, :-1]), self.time._map_interior(u[:, -1:])], 1)

    def _boundary_other(
        self, n: int, method: str, generator: torch.Generator | None, dtype: torch.dtype
    ) -> torch.Tensor:
        xs = self.space.sample_boundary(n, method=method, generator=generator, dtype=dtype)
        t = self.time._map_interior(_unit(n, 1, method, generator))
        t = t[torch.randperm(n, generator=generator)]
        return torch.cat([xs, t.to(dtype)], 1)

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        length = self.t1 - self.t0
        measure = self.space.boundary_measure
        if self.space.dim == 1:  # finitely many boundary points
            m_s = max(1, int(round(measure)))
            m_t = max(1, int(round(n / m_s)))
        else:
            h = (measure * length / n) ** (1.0 / self.space.dim)
            m_t = max(1, int(round(length / h)))
            m_s = max(1, int(round(n / m_t)))
        xs = self.space.sample_boundary(m_s, method="uniform", dtype=dtype)
        t = _cell_centres(self.t0, self.t1, m_t).to(dtype)
        return torch.cat([xs.repeat(m_t, 1), t.repeat_interleave(len(xs)).unsqueeze(1)], 1)

    def sample_initial(
        self,
        n: int,
        *,
        method: str = "random",
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """``(n, dim)`` points of :math:`\\Omega \\times \\{t_0\\}`: the space's interior points at ``t0``.

            >>> st = SpaceTime(Interval(0, 1), TimeDomain(0.5, 1))
            >>> st.sample_initial(3, method="uniform")
            tensor([[0.1667, 0.5000],
                    [0.5000, 0.5000],
                    [0.8333, 0.5000]])
        """
        owner = self._owner("sample_initial")
        n, method, generator, dtype = self._sampling_args(owner, n, method, generator, dtype)
        xs = self.space.sample_interior(n, method=method, generator=generator, dtype=dtype)
        return torch.cat([xs, torch.full((len(xs), 1), self.t0, dtype=dtype)], 1)

    def on_initial(self, x: Any, *, tol: float = DEFAULT_TOL) -> torch.Tensor:
        """``(N,)`` bool: is each row at :math:`t = t_0` (within ``tol`` relative) and in :math:`\\Omega`?"""
        owner = self._owner("on_initial")
        tol = check_range("tol", tol, low=0.0, owner=owner)
        return self._on_initial(self._points(x, "x", owner), tol).to(_device(x))


# ---------------------------------------------------------------------------
# convenience
# ---------------------------------------------------------------------------


def sample(
    geometry: Geometry,
    n: int,
    *,
    where: str = "interior",
    method: str = "random",
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``(n, dim)`` points of ``geometry``: ``where`` is ``"interior"``, ``"boundary"`` or ``"initial"``.

    ``"initial"`` needs a :class:`SpaceTime`.

        >>> sample(Interval(0, 1), 3, where="boundary").flatten().tolist()
        [0.0, 1.0, 0.0]
    """
    if not isinstance(geometry, Geometry):
        raise PhysnnError(f"sample: 'geometry' must be a Geometry; got {type(geometry).__name__}.")
    where = check_choice("where", where, WHERE, owner="sample")
    kw = dict(method=method, generator=generator, dtype=dtype)
    if where == "interior":
        return geometry.sample_interior(n, **kw)
    if where == "boundary":
        return geometry.sample_boundary(n, **kw)
    if not isinstance(geometry, SpaceTime):
        raise PhysnnError(
            f"sample: where='initial' needs a SpaceTime geometry; got {geometry!r}. "
            "Wrap it: SpaceTime(space, TimeDomain(t0, t1))."
        )
    return geometry.sample_initial(n, **kw)
