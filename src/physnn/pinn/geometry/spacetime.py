r"""Space x time: :class:`SpaceTime` and :func:`sample`, which also draws its initial points."""

from __future__ import annotations

from typing import Any

import torch

from physnn.errors import PhysnnError, check_choice, check_range
from physnn.pinn.geometry.base import DEFAULT_TOL, Geometry
from physnn.pinn.geometry.boxes import Interval, TimeDomain
from physnn.pinn.geometry.checks import device_of
from physnn.pinn.geometry.sampling import F64, cell_centres, unit_cube

#: Where :func:`sample` can draw points.
WHERE = ("interior", "boundary", "initial")


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

        >>> from physnn.pinn.geometry import Rectangle
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
        return torch.cat([self.space._normal(x[:, :-1], tol), torch.zeros(len(x), 1, dtype=F64)], 1)

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
        t = self.time._map_interior(unit_cube(n, 1, method, generator))
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
        t = cell_centres(self.t0, self.t1, m_t).to(dtype)
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
        return self._on_initial(self._points(x, "x", owner), tol).to(device_of(x))


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
