"""Tests of physnn.pinn.geometry.Polygon against known truths and brute-force references."""

from __future__ import annotations

import math

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn import DirichletBC, NeumannBC, Problem
from physnn.pinn import Polygon as PolygonFromPackage
from physnn.pinn.geometry import (
    METHODS,
    Disk,
    Polygon,
    Rectangle,
    SpaceTime,
    TimeDomain,
    sample,
)
from physnn.pinn.operators import Derivatives

F64 = torch.float64


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def star(points: int = 5, r_out: float = 1.0, r_in: float = 0.4) -> list[tuple[float, float]]:
    """A star with sharp (acute) tips and reflex inner corners, counter-clockwise."""
    out = []
    for k in range(2 * points):
        r = r_out if k % 2 == 0 else r_in
        a = math.pi / 2 + math.pi * k / points
        out.append((r * math.cos(a), r * math.sin(a)))
    return out


SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
TRIANGLE = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
CONVEX = [(0.0, 0.0), (3.0, -1.0), (4.0, 2.0), (2.0, 4.0), (-1.0, 2.0)]  # a convex pentagon
L_SHAPE = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0)]
U_SHAPE = [(0, 0), (3, 0), (3, 2), (2, 2), (2, 1), (1, 1), (1, 2), (0, 2)]
STAR = star()

POLYGONS = {
    "triangle": TRIANGLE,
    "convex": CONVEX,
    "l_shape": L_SHAPE,
    "u_shape": U_SHAPE,
    "star": STAR,
}


# ---------------------------------------------------------------------------
# brute-force references, independent of the implementation
# ---------------------------------------------------------------------------


def winding_number(vertices, x: torch.Tensor) -> torch.Tensor:
    """Sum of the angles subtended by the edges, over 2 pi: +-1 inside, 0 outside."""
    v = torch.tensor(vertices, dtype=F64)
    a = v.unsqueeze(0) - x.unsqueeze(1)                # (N, M, 2)
    b = torch.roll(a, -1, dims=1)
    cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    dot = (a * b).sum(-1)
    return torch.atan2(cross, dot).sum(1) / (2 * math.pi)


def distance_to_boundary(vertices, x: torch.Tensor) -> torch.Tensor:
    v = torch.tensor(vertices, dtype=F64)
    best = torch.full((len(x),), math.inf, dtype=F64)
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        t = (((x - a) @ (b - a)) / ((b - a) @ (b - a))).clamp(0, 1)
        best = torch.minimum(best, (x - a - t.unsqueeze(1) * (b - a)).norm(dim=1))
    return best


def arc_length(vertices, x: torch.Tensor) -> torch.Tensor:
    """Arc length from vertices[0] (counter-clockwise) of points on the boundary."""
    v = torch.tensor(vertices, dtype=F64)
    out = torch.full((len(x),), math.nan, dtype=F64)
    start = 0.0
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        length = float((b - a).norm())
        t = ((x - a) @ (b - a)) / length**2
        d = (x - a - t.unsqueeze(1) * (b - a)).norm(dim=1)
        on = (d < 1e-9) & (t >= 0) & (t < 1) & out.isnan()
        out[on] = start + t[on] * length
        start += length
    assert not bool(out.isnan().any()), "a point is not on the boundary"
    return out


def edge_normals(vertices) -> torch.Tensor:
    """Outward normals of a counter-clockwise polygon's edges, (M, 2)."""
    v = torch.tensor(vertices, dtype=F64)
    e = torch.roll(v, -1, dims=0) - v
    return torch.stack([e[:, 1], -e[:, 0]], 1) / e.norm(dim=1, keepdim=True)


# ---------------------------------------------------------------------------
# measures
# ---------------------------------------------------------------------------


def test_areas_and_perimeters_are_exact():
    tri = Polygon([(0, 0), (3, 0), (0, 4)])  # 3-4-5 triangle
    assert tri.area == 6.0 and tri.volume == 6.0 and tri.boundary_measure == 12.0
    sq = Polygon(SQUARE)
    assert sq.area == 1.0 and sq.boundary_measure == 4.0
    assert Polygon(L_SHAPE).area == 3.0 and Polygon(L_SHAPE).boundary_measure == 8.0
    # a regular 5-point star: area = 10 * (1/2) r_out r_in sin(pi/5)
    assert Polygon(STAR).area == pytest.approx(5 * 0.4 * math.sin(math.pi / 5), rel=1e-12)
    lo, hi = Polygon(CONVEX).bbox
    assert lo.tolist() == [-1.0, -1.0] and hi.tolist() == [4.0, 4.0]
    assert Polygon(SQUARE).dim == 2 and Polygon(SQUARE).names == ("x", "y")
    assert Polygon(SQUARE, names=("u", "v")).names == ("u", "v")


def test_package_exports_polygon():
    assert PolygonFromPackage is Polygon


# ---------------------------------------------------------------------------
# membership
# ---------------------------------------------------------------------------


def test_inside_of_a_convex_polygon_matches_half_planes():
    poly = Polygon(CONVEX)
    x = torch.rand(20000, 2, generator=gen(1), dtype=F64) * 7 - 2  # [-2, 5]^2
    v = torch.tensor(CONVEX, dtype=F64)  # counter-clockwise
    e = torch.roll(v, -1, 0) - v
    rel = x.unsqueeze(1) - v
    left = e[:, 0] * rel[..., 1] - e[:, 1] * rel[..., 0]  # >= 0 on the inner side of each edge
    expect = (left >= 0).all(dim=1)
    assert 0.2 < expect.double().mean() < 0.8  # both kinds of points are tested
    assert torch.equal(poly.inside(x), expect)


@pytest.mark.parametrize("name", ["triangle", "l_shape", "u_shape", "star"])
def test_inside_matches_the_winding_number(name):
    verts = POLYGONS[name]
    poly = Polygon(verts)
    lo, hi = poly.bbox
    x = lo - 0.5 + (hi - lo + 1.0) * torch.rand(20000, 2, generator=gen(2), dtype=F64)
    w = winding_number(verts, x)
    assert bool(((w.abs() < 1e-9) | ((w.abs() - 1).abs() < 1e-9)).all())
    assert torch.equal(poly.inside(x), w.abs() > 0.5)


@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_inside_on_lines_through_the_vertices(name):
    """A ray through a vertex, or along a horizontal edge, must still count crossings right."""
    verts = POLYGONS[name]
    poly = Polygon(verts)
    lo, hi = poly.bbox
    xs = torch.linspace(float(lo[0]) - 1, float(hi[0]) + 1, 401, dtype=F64)
    ys = torch.tensor(sorted({y for _, y in verts}), dtype=F64)
    x = torch.cartesian_prod(xs, ys)
    x = torch.cat([x, x.flip(1)])  # vertical lines through the vertices too
    on = distance_to_boundary(verts, x) <= 1e-6 * poly._scale
    expect = (winding_number(verts, x).abs() > 0.5) | on
    assert (~on).sum() > 100 and expect.any() and not expect.all()
    assert torch.equal(poly.inside(x), expect)


@pytest.mark.parametrize(
    "verts, cut",
    [
        (L_SHAPE, Rectangle((1, 1), (3, 3))),  # the cut sticks out, so the boundaries agree too
        (U_SHAPE, Rectangle((1, 1), (2, 3))),
    ],
)
def test_polygon_agrees_with_a_rectangle_difference(verts, cut):
    poly = Polygon(verts)
    lo, hi = poly.bbox
    diff = Rectangle(lo.tolist(), hi.tolist()) - cut
    x = lo - 0.5 + (hi - lo + 1.0) * torch.rand(20000, 2, generator=gen(3), dtype=F64)
    assert torch.equal(poly.inside(x), diff.inside(x))
    assert poly.area == pytest.approx(diff.volume, rel=1e-2)
    if cut.hi[1] > hi[1]:
        assert poly.boundary_measure == pytest.approx(diff.boundary_measure, rel=5e-2)
    # boundary points of either lie on the boundary of the other, with the same normals
    for a, b in ((poly, diff), (diff, poly)):
        xb = a.sample_boundary(500, generator=gen(4), dtype=F64)
        assert bool(b.on_boundary(xb).all())
        v = torch.tensor(verts, dtype=F64)
        corner = (xb.unsqueeze(1) - v).norm(dim=2).min(dim=1).values < 1e-6
        assert torch.equal(a.boundary_normal(xb[~corner]), b.boundary_normal(xb[~corner]))


def test_vertices_and_edge_points_are_inside_and_on_the_boundary():
    poly = Polygon(STAR)
    v = torch.tensor(STAR, dtype=F64)
    mid = (v + torch.roll(v, -1, 0)) / 2
    for x in (v, mid, v.float(), mid.float()):
        assert bool(poly.inside(x).all()) and bool(poly.on_boundary(x).all())
    assert poly.on_boundary(torch.zeros(1, 2)).tolist() == [False]  # the centre
    assert poly.inside(torch.zeros(1, 2)).tolist() == [True]
    # a tip's neighbourhood: just outside the tip is outside, within tol it is on the boundary
    tip = v[:1]
    assert poly.inside(tip + torch.tensor([[0.0, 1e-3]], dtype=F64)).tolist() == [False]
    assert poly.on_boundary(tip + torch.tensor([[0.0, 1e-8]], dtype=F64)).tolist() == [True]
    assert poly.on_boundary(tip + torch.tensor([[0.0, 1e-8]], dtype=F64), tol=0.0).tolist() == [False]


def test_on_boundary_is_the_distance_to_the_nearest_edge():
    poly = Polygon(U_SHAPE)
    x = torch.rand(5000, 2, generator=gen(5), dtype=F64) * 4 - 0.5
    x = torch.cat([x, poly.sample_boundary(500, generator=gen(6), dtype=F64)])
    d = distance_to_boundary(U_SHAPE, x)
    for tol in (1e-6, 1e-2):
        scale = 3.0  # max(1, largest |bbox| coordinate)
        assert torch.equal(poly.on_boundary(x, tol=tol), d <= tol * scale)


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_interior_points_are_inside_and_not_on_the_boundary(name, method):
    poly = Polygon(POLYGONS[name])
    n = 400
    for dtype in (torch.float32, F64):
        x = poly.sample_interior(n, method=method, generator=gen(7), dtype=dtype)
        assert x.dtype == dtype and x.shape[1] == 2
        if method == "uniform":
            assert 0.5 * n <= len(x) <= 1.5 * n, len(x)
        else:
            assert len(x) == n
        assert bool(poly.inside(x).all())
        assert not bool(poly.on_boundary(x).any())
        x64 = x.to(F64)
        assert bool((winding_number(POLYGONS[name], x64).abs() > 0.5).all())


def test_interior_points_are_uniform_in_area():
    poly = Polygon(L_SHAPE)  # the square [0, 1]^2 is a third of the L
    x = poly.sample_interior(30000, generator=gen(8), dtype=F64)
    frac = ((x[:, 0] < 1) & (x[:, 1] < 1)).double().mean().item()
    assert abs(frac - 1 / 3) < 5 * math.sqrt(2 / 9 / 30000)


def test_uniform_interior_grid_drops_nodes_on_a_slanted_edge():
    tri = Polygon(TRIANGLE)
    box_grid = Rectangle((0, 0), (1, 1)).uniform_grid(200, boundary=False, dtype=F64)
    on_hyp = ((box_grid.sum(1) - 1).abs() < 1e-9).sum()
    assert on_hyp > 0  # the cell centres do hit the hypotenuse ...
    x = tri.sample_interior(100, method="uniform", dtype=F64)
    assert not bool(tri.on_boundary(x).any())  # ... and those are not interior points
    assert bool((x.sum(1) < 1).all())
    # with boundary=True the nodes on the edges stay
    xb = tri.uniform_grid(100, boundary=True, dtype=F64)
    assert bool(tri.on_boundary(xb).any()) and bool(tri.inside(xb).all())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_boundary_points_are_on_the_boundary(name, method):
    poly = Polygon(POLYGONS[name])
    for dtype in (torch.float32, F64):
        x = poly.sample_boundary(300, method=method, generator=gen(9), dtype=dtype)
        assert x.dtype == dtype and x.shape == (300, 2)
        assert bool(poly.on_boundary(x).all()) and bool(poly.inside(x).all())
    assert distance_to_boundary(POLYGONS[name], x).max() < 1e-12


@pytest.mark.parametrize("name", sorted(POLYGONS))
@pytest.mark.parametrize("n", [1, 7, 64])
def test_uniform_boundary_is_equally_spaced_in_arc_length(name, n):
    poly = Polygon(POLYGONS[name])
    x = poly.sample_boundary(n, method="uniform", dtype=F64)
    assert len(x) == n
    s = arc_length(POLYGONS[name], x)
    p = poly.boundary_measure
    assert torch.allclose(s, (torch.arange(n, dtype=F64) + 0.5) * p / n, atol=1e-12)
    gaps = torch.diff(torch.cat([s, s[:1] + p]))  # including the wrap-around
    assert torch.allclose(gaps, torch.full_like(gaps, p / n), atol=1e-12)


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_random_boundary_points_are_uniform_in_arc_length(method):
    poly = Polygon(STAR)
    n = 4096
    x = poly.sample_boundary(n, method=method, generator=gen(10), dtype=F64)
    u = arc_length(STAR, x) / poly.boundary_measure
    # Kolmogorov-Smirnov distance to U[0, 1)
    u = u.sort().values
    ks = torch.maximum(torch.arange(1, n + 1, dtype=F64) / n - u, u - torch.arange(n, dtype=F64) / n).max()
    assert ks < 1.63 / math.sqrt(n)  # the 1 % critical value
    if method == "lhs":  # one point per 1/n of the perimeter
        assert sorted((u * n).floor().long().tolist()) == list(range(n))


def test_same_seed_same_points():
    poly = Polygon(STAR)
    for draw in (poly.sample_interior, poly.sample_boundary):
        for method in ("random", "lhs", "sobol"):
            a = draw(50, method=method, generator=gen(11))
            assert torch.equal(a, draw(50, method=method, generator=gen(11)))
            assert not torch.equal(a, draw(50, method=method, generator=gen(12)))


# ---------------------------------------------------------------------------
# normals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_normals_are_unit_outward_edge_normals(name):
    verts = POLYGONS[name]
    poly = Polygon(verts)
    x = poly.sample_boundary(1000, generator=gen(13), dtype=F64)
    nrm = poly.boundary_normal(x)
    assert nrm.shape == x.shape and nrm.dtype == F64
    assert torch.allclose(nrm.norm(dim=1), torch.ones(len(x), dtype=F64))
    # away from the vertices a step along the normal leaves, a step against it enters
    v = torch.tensor(verts, dtype=F64)
    far = (x.unsqueeze(1) - v).norm(dim=2).min(dim=1).values > 1e-2
    assert far.sum() > 900
    eps = 1e-4
    assert not bool(poly.inside(x[far] + eps * nrm[far]).any())
    assert bool(poly.inside(x[far] - eps * nrm[far]).all())
    assert not bool(poly.on_boundary(x[far] - eps * nrm[far]).any())
    # and it is the normal of the edge the point lies on (the lists are counter-clockwise)
    assert poly.vertices == tuple(map(tuple, v.tolist()))
    cum = torch.cat([torch.zeros(1, dtype=F64), torch.cumsum((torch.roll(v, -1, 0) - v).norm(dim=1), 0)])
    edge = torch.searchsorted(cum[1:], arc_length(verts, x), right=True)
    assert torch.allclose(nrm, edge_normals(verts)[edge], atol=1e-12)


def test_square_normals_equal_the_rectangles():
    poly, rect = Polygon(SQUARE), Rectangle((0, 0), (1, 1))
    x = torch.tensor([[0.5, 0.0], [1.0, 0.25], [0.75, 1.0], [0.0, 0.9]], dtype=F64)
    expect = torch.tensor([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    assert poly.boundary_normal(x).tolist() == expect.tolist()
    xb = rect.sample_boundary(400, generator=gen(14), dtype=F64)
    assert torch.equal(poly.boundary_normal(xb), rect.boundary_normal(xb))
    # at a corner: one of the two adjacent edges' normals, as for a box
    for corner, choices in [((1.0, 1.0), ([1.0, 0.0], [0.0, 1.0])), ((0.0, 0.0), ([-1.0, 0.0], [0.0, -1.0]))]:
        nrm = poly.boundary_normal(torch.tensor([corner])).tolist()[0]
        assert nrm in choices


def test_normals_keep_the_dtype_and_refuse_points_off_the_boundary():
    poly = Polygon(TRIANGLE)
    assert poly.boundary_normal(torch.tensor([[0.5, 0.0]])).dtype == torch.float32
    with pytest.raises(PhysnnError, match=r"1 of 2 points are not on the boundary \(first: row 1, x=0.2, y=0.2\)"):
        poly.boundary_normal(torch.tensor([[0.5, 0.5], [0.2, 0.2]]))


def test_float32_boundary_points_of_a_large_polygon_count_as_on_boundary():
    verts = [(1000.0 + 300 * x, -500.0 + 170 * y) for x, y in STAR]
    poly = Polygon(verts)
    x = poly.sample_boundary(2000, generator=gen(15))
    assert x.dtype == torch.float32
    assert bool(poly.on_boundary(x).all())
    assert torch.allclose(poly.boundary_normal(x).norm(dim=1), torch.ones(2000))


# ---------------------------------------------------------------------------
# orientation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_clockwise_and_counter_clockwise_give_the_same_polygon(name):
    ccw = POLYGONS[name]
    cw = [ccw[0]] + ccw[:0:-1]
    a, b = Polygon(ccw), Polygon(cw)
    assert a.vertices == b.vertices == tuple((float(x), float(y)) for x, y in ccw)
    assert a.area == b.area > 0 and a.boundary_measure == b.boundary_measure
    x = torch.rand(3000, 2, generator=gen(16), dtype=F64) * 6 - 2
    assert torch.equal(a.inside(x), b.inside(x))
    xb = a.sample_boundary(300, generator=gen(17), dtype=F64)
    assert torch.equal(xb, b.sample_boundary(300, generator=gen(17), dtype=F64))
    assert torch.equal(a.boundary_normal(xb), b.boundary_normal(xb))
    assert torch.equal(a.sample_interior(100, method="sobol", generator=gen(18)),
                       b.sample_interior(100, method="sobol", generator=gen(18)))
    # a clockwise list starting elsewhere is the same set
    c = Polygon(cw[2:] + cw[:2])
    assert c.area == pytest.approx(a.area, rel=1e-12)
    assert torch.equal(c.inside(x), a.inside(x))
    assert torch.equal(c.boundary_normal(xb), a.boundary_normal(xb))


def test_vertices_as_tensor_or_array():
    import numpy as np

    a = Polygon(torch.tensor(TRIANGLE))
    b = Polygon(np.array(TRIANGLE))
    assert a.vertices == b.vertices == Polygon(TRIANGLE).vertices


# ---------------------------------------------------------------------------
# composites and space-time
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_polygon_in_space_time(method):
    st = SpaceTime(Polygon(L_SHAPE), TimeDomain(0.0, 2.0))
    assert st.dim == 3 and st.names == ("x", "y", "t")
    assert st.volume == 6.0 and st.boundary_measure == 16.0
    xi = st.sample_interior(200, method=method, generator=gen(19))
    xb = st.sample_boundary(200, method=method, generator=gen(20))
    x0 = st.sample_initial(100, method=method, generator=gen(21))
    for x in (xi, xb):
        assert x.shape[1] == 3 and bool(st.inside(x).all())
        assert 100 <= len(x) <= 300
    assert not bool(st.space.on_boundary(xi[:, :2]).any())
    assert bool(st.on_boundary(xb).all())
    assert bool((x0[:, 2] == 0).all()) and bool(st.on_initial(x0).all())
    nrm = st.boundary_normal(xb)
    assert bool((nrm[:, 2] == 0).all())
    assert torch.allclose(nrm.norm(dim=1), torch.ones(len(xb)))
    if method == "lhs":  # joint strata in arc length and time
        n = len(xb)
        assert sorted((xb[:, 2].double() / 2 * n).floor().long().tolist()) == list(range(n))


@pytest.mark.parametrize("method", METHODS)
def test_polygon_in_set_algebra(method):
    plate = Polygon(STAR) - Disk((0, 0), 0.2)
    both = Polygon(STAR) | Polygon([(0.5, -0.5), (1.5, -0.5), (1.0, 0.5)])
    for geom in (plate, both):
        xi = geom.sample_interior(300, method=method, generator=gen(22))
        xb = geom.sample_boundary(300, method=method, generator=gen(23))
        assert bool(geom.inside(xi).all()) and bool(geom.on_boundary(xb).all())
        nrm = geom.boundary_normal(xb.double())
        assert torch.allclose(nrm.norm(dim=1), torch.ones(len(xb), dtype=F64))
    assert plate.area == pytest.approx(Polygon(STAR).area - math.pi * 0.04, rel=2e-2)
    hole = torch.tensor([[0.2, 0.0]], dtype=F64)
    assert plate.boundary_normal(hole).tolist() == [[-1.0, 0.0]]


def test_poisson_smoke_on_a_polygon():
    """Collocation points for -Δu = f on an L-shape: the exact u = x² + y² has zero residuals."""
    poly = Polygon(L_SHAPE)
    normals = edge_normals(L_SHAPE)

    def exact(x):
        return (x**2).sum(dim=1, keepdim=True)

    def neumann(x):  # ∂u/∂n = 2 x · n, with n from the nearest edge (a reference, not the class)
        v = torch.tensor(L_SHAPE, dtype=x.dtype)
        e = torch.roll(v, -1, 0) - v
        t = (((x.unsqueeze(1) - v) * e).sum(-1) / (e * e).sum(-1)).clamp(0, 1)
        d = (x.unsqueeze(1) - v - t.unsqueeze(-1) * e).norm(dim=-1)
        return 2 * (x * normals.to(x.dtype)[d.argmin(dim=1)]).sum(dim=1, keepdim=True)

    dirichlet = DirichletBC(lambda x: exact(x), on=lambda x: x[:, 1] <= 1)
    flux = NeumannBC(neumann, on=lambda x: x[:, 1] > 1)
    problem = Problem(poly, lambda x, u, d: -d.laplacian(u) + 4.0, [dirichlet, flux])
    assert problem.names == ("x", "y")
    xd = poly.sample_interior(256, method="sobol", generator=gen(24), dtype=F64).requires_grad_()
    d = Derivatives(xd, problem.names)
    (res,) = problem.pde_residuals(xd, exact(xd), d, None)
    assert res.shape == (256, 1) and float(res.detach().abs().max()) < 1e-12
    for cond in (dirichlet, flux):
        xb = cond.sample(poly, 128, method="lhs", generator=gen(25), dtype=F64).requires_grad_()
        assert xb.shape == (128, 2) and bool(poly.on_boundary(xb).all())
        r = cond.residual(xb, exact(xb), Derivatives(xb, problem.names), None)
        assert r.shape == (128, 1) and float(r.detach().abs().max()) < 1e-12
    assert sample(poly, 16, where="boundary", generator=gen()).shape == (16, 2)


# ---------------------------------------------------------------------------
# repr and errors
# ---------------------------------------------------------------------------


def test_repr():
    assert repr(Polygon([(0, 0), (0, 1), (2, 0)])) == "Polygon([(0, 0), (2, 0), (0, 1)])"
    assert repr(Polygon(SQUARE, names=("u", "v"))) == (
        "Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], names=('u', 'v'))"
    )
    assert repr(Polygon(STAR)).endswith("... (10 vertices)])")
    assert repr(Polygon(TRIANGLE) - Disk((0.2, 0.2), 0.1)) == (
        "Difference(Polygon([(0, 0), (1, 0), (0, 1)]), Disk(center=(0.2, 0.2), radius=0.1))"
    )


@pytest.mark.parametrize(
    "vertices, pattern",
    [
        ([(0, 0), (1, 0)], r"at least 3 vertices; got 2: \(0, 0\), \(1, 0\)\."),
        ([(0, 0), (1, float("nan")), (0, 1)], r"finite numbers; vertex 1 is \(1, nan\)"),
        ([(0, 0), (1, 0), (1, 0), (0, 1)], r"vertices 1 and 2 are the same point \(1, 0\).*drop the repeated"),
        ([(0, 0), (1, 0), (0, 1), (0, 0)], r"last vertex \(0, 0\) repeats the first.*closes itself"),
        ([(0, 0), (1, 1), (1, 0), (0, 1)], r"crosses itself: edge 0 \(0, 0\) -> \(1, 1\) and edge 2 .*bow-tie"),
        ([(0, 0), (2, 0), (2, 2), (1, 0), (0, 2)], r"crosses itself"),             # a vertex on an edge
        ([(0, 0), (2, 0), (1, 0), (1, 1)], r"crosses itself: edge 0 .* edge 1"),   # turning straight back
        ([(0, 0), (1, 1), (2, 2)], r"all 3 vertices lie on one line.*zero area"),
        ([(0, 0, 0), (1, 0, 0), (0, 1, 0)], r"shape \(N, 2\).*got shape \(3, 3\)"),
        ([0, 0, 1, 0, 0, 1], r"shape \(N, 2\).*got shape \(6,\)"),
        ([(0, 0), (1, 0), (0,)], r"must be numbers, one \(x, y\) pair per vertex"),
        ([("a", 0), (1, 0), (0, 1)], r"must be numbers"),
    ],
)
def test_bad_vertices_are_physnn_errors(vertices, pattern):
    with pytest.raises(PhysnnError, match=r"^Polygon: .*" + pattern):
        Polygon(vertices)


def test_bad_names_and_points_are_physnn_errors():
    with pytest.raises(PhysnnError, match=r"'names' must be 2 non-empty"):
        Polygon(TRIANGLE, names=("x",))
    with pytest.raises(PhysnnError, match=r"has 3 columns but the domain has 2 coordinates"):
        Polygon(TRIANGLE).inside(torch.zeros(2, 3))
    with pytest.raises(PhysnnError, match=r"Polygon.sample_boundary: 'method' must be one of"):
        Polygon(TRIANGLE).sample_boundary(4, method="grid")
    assert Polygon(TRIANGLE).inside(torch.zeros(0, 2)).shape == (0,)
    assert Polygon(TRIANGLE).on_boundary([[0.5, 0.5], [0.1, 0.1]]).tolist() == [True, False]
