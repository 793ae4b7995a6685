r"""The simple polygon :class:`Polygon` in 2-D: validation, even-odd membership, arc-length boundary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from physnn.errors import PhysnnError
from physnn.pinn.geometry.base import DEFAULT_TOL, Geometry
from physnn.pinn.geometry.checks import check_names, format_tuple
from physnn.pinn.geometry.sampling import F64

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
        self.names = check_names(names, 2, owner)
        self._a = torch.tensor(v, dtype=F64)                     # edge starts (N, 2)
        self._b = torch.roll(self._a, -1, dims=0)                  # edge ends (N, 2)
        self._e = self._b - self._a                                # edge vectors (N, 2)
        self._len = self._e.norm(dim=1)                            # edge lengths (N,)
        self._n = torch.stack([self._e[:, 1], -self._e[:, 0]], 1) / self._len.unsqueeze(1) + 0.0
        self._cum = torch.cat([torch.zeros(1, dtype=F64), torch.cumsum(self._len, 0)])
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
                f"{', '.join(format_tuple(row) for row in v) or 'none'}. Give its corners in order, {example}."
            )
        bad = ~np.isfinite(v).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PhysnnError(
                f"{owner}: 'vertices' must be finite numbers; vertex {i} is {format_tuple(v[i])} "
                f"({int(bad.sum())} of {len(v)} vertices hold NaN or Inf)."
            )
        w = np.roll(v, -1, axis=0)
        same = (v == w).all(axis=1)
        if same.any():
            i = int(np.flatnonzero(same)[0])
            if i == len(v) - 1:
                raise PhysnnError(
                    f"{owner}: the last vertex {format_tuple(v[i])} repeats the first, a zero-length edge; "
                    "list each vertex once, the polygon closes itself."
                )
            raise PhysnnError(
                f"{owner}: vertices {i} and {i + 1} are the same point {format_tuple(v[i])}, a zero-length "
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
                f"{owner}: the polygon crosses itself: edge {a} {format_tuple(v[a])} -> {format_tuple(w[a])} and "
                f"edge {b} {format_tuple(v[b])} -> {format_tuple(w[b])} meet{more}. List the vertices in order "
                "around the boundary, e.g. (0, 0), (1, 0), (1, 1), (0, 1) and not the bow-tie "
                "(0, 0), (1, 1), (1, 0), (0, 1); for holes use a Difference."
            )

    def __repr__(self) -> str:
        shown = [format_tuple(v) for v in self.vertices]
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
            empty = torch.empty(0, dtype=F64)
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
        return x[~self._on_boundary(x.to(F64), DEFAULT_TOL)]

    def _map_boundary(self, u: torch.Tensor) -> torch.Tensor:
        s = u[:, 0] * self._cum[-1]                                  # arc length from v_1
        i = torch.searchsorted(self._cum[1:], s.contiguous(), right=True).clamp(max=len(self._a) - 1)
        t = ((s - self._cum[i]) / self._len[i]).clamp(0.0, 1.0)
        return self._a[i] + t.unsqueeze(1) * self._e[i]

    def _boundary_uniform(self, n: int, dtype: torch.dtype) -> torch.Tensor:
        u = ((torch.arange(n, dtype=F64) + 0.5) / n).unsqueeze(1)  # spacing P / n
        return self._map_boundary(u).to(dtype)
