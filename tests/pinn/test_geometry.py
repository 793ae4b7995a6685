"""Tests of physnn.pinn.geometry: shapes, membership, normals, sampling methods, errors."""

from __future__ import annotations

import math

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn.geometry import (
    METHODS,
    Box,
    Difference,
    Disk,
    Geometry,
    Intersection,
    Interval,
    Rectangle,
    SpaceTime,
    TimeDomain,
    Union,
    sample,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


GEOMETRIES = {
    "interval": lambda: Interval(-1.0, 2.0),
    "rectangle": lambda: Rectangle((0.0, -1.0), (2.0, 1.0)),
    "box3": lambda: Box((0, 0, 0), (1, 2, 0.5)),
    "disk": lambda: Disk((1.0, -2.0), 0.5),
    "union": lambda: Rectangle((0, 0), (1, 1)) | Disk((1, 0.5), 0.4),
    "difference": lambda: Rectangle((-1, -1), (1, 1)) - Disk((0, 0), 0.5),
    "difference_cut": lambda: Rectangle((0, 0), (1, 1)) - Disk((1, 1), 0.5),
    "intersection": lambda: Disk((0, 0), 1) & Rectangle((0, 0), (1, 1)),
    "nested": lambda: (Rectangle((0, 0), (2, 1)) - Disk((0.5, 0.5), 0.2)) | Disk((2, 0.5), 0.3),
    "spacetime_1d": lambda: SpaceTime(Interval(-1, 1), TimeDomain(0, 0.5)),
    "spacetime_disk": lambda: SpaceTime(Disk((0, 0), 1), TimeDomain(1, 2)),
    "spacetime_difference": lambda: SpaceTime(Rectangle((-1, -1), (1, 1)) - Disk((0, 0), 0.5), TimeDomain(0, 1)),
}


# ---------------------------------------------------------------------------
# every geometry x every method
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_samples_have_shape_dtype_and_lie_where_they_should(name, method):
    geom = GEOMETRIES[name]()
    n = 200
    xi = geom.sample_interior(n, method=method, generator=gen(1))
    xb = geom.sample_boundary(n, method=method, generator=gen(2))
    for x in (xi, xb):
        assert x.dtype == torch.float32 and x.ndim == 2 and x.shape[1] == geom.dim
        if method == "uniform":
            assert 0.5 * n <= len(x) <= 1.5 * n, len(x)
        else:
            assert len(x) == n
    assert bool(geom.inside(xi).all())
    assert bool(geom.on_boundary(xb).all())
    assert bool(geom.inside(xb).all())  # the boundary belongs to the closed domain
    lo, hi = geom.bbox
    assert bool(((xi >= lo - 1e-6) & (xi <= hi + 1e-6)).all())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["rectangle", "disk", "difference", "spacetime_disk"])
def test_float64_is_honoured(name, method):
    geom = GEOMETRIES[name]()
    xi = geom.sample_interior(64, method=method, generator=gen(), dtype=torch.float64)
    xb = geom.sample_boundary(64, method=method, generator=gen(), dtype=torch.float64)
    assert xi.dtype == xb.dtype == torch.float64
    assert bool(geom.on_boundary(xb, tol=1e-12).all())


def test_interior_points_are_not_all_on_the_boundary():
    rect = Rectangle((0, 0), (1, 1))
    x = rect.sample_interior(500, method="uniform")
    assert not bool(rect.on_boundary(x).any())  # cell-centred grid


# ---------------------------------------------------------------------------
# reproducibility
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
@pytest.mark.parametrize("name", ["box3", "disk", "difference", "spacetime_difference"])
def test_same_seed_same_points_other_seed_other_points(name, method):
    geom = GEOMETRIES[name]()
    for draw in (geom.sample_interior, geom.sample_boundary):
        a = draw(50, method=method, generator=gen(7))
        b = draw(50, method=method, generator=gen(7))
        c = draw(50, method=method, generator=gen(8))
        assert torch.equal(a, b)
        assert not torch.equal(a, c)


def test_global_generator_is_used_when_none_is_given():
    rect = Rectangle((0, 0), (1, 1))
    torch.manual_seed(3)
    a = rect.sample_interior(10, method="sobol")
    torch.manual_seed(3)
    b = rect.sample_interior(10, method="sobol")
    assert torch.equal(a, b)


# ---------------------------------------------------------------------------
# LHS and Sobol
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 50])
def test_lhs_hits_each_stratum_once_per_dimension(n):
    box = Box((0, -1, 2), (1, 3, 2.5))
    x = box.sample_interior(n, method="lhs", generator=gen(4), dtype=torch.float64)
    lo, hi = box.bbox
    strata = ((x - lo) / (hi - lo) * n).floor().long()
    for j in range(box.dim):
        assert sorted(strata[:, j].tolist()) == list(range(n))


def test_lhs_in_space_time_is_joint():
    st = SpaceTime(Rectangle((0, 0), (2, 1)), TimeDomain(0, 3))
    n = 40
    x = st.sample_interior(n, method="lhs", generator=gen(), dtype=torch.float64)
    lo, hi = st.bbox
    strata = ((x - lo) / (hi - lo) * n).floor().long()
    for j in range(st.dim):
        assert sorted(strata[:, j].tolist()) == list(range(n))


def test_sobol_integrates_a_smooth_function_better_than_random():
    rect = Rectangle((0, 0), (1, 1))

    def f(x):
        return torch.exp(x[:, 0]) * torch.sin(3 * x[:, 1])

    exact = (math.e - 1) * (1 - math.cos(3)) / 3
    err = {}
    for method in ("random", "sobol"):
        errs = [
            float(f(rect.sample_interior(256, method=method, generator=gen(s), dtype=torch.float64)).mean()) - exact
            for s in range(20)
        ]
        err[method] = math.sqrt(sum(e * e for e in errs) / len(errs))
    assert err["sobol"] < 0.2 * err["random"], err


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------


def test_boundary_points_follow_face_lengths_of_a_thin_rectangle():
    rect = Rectangle((0, 0), (10, 0.1))
    n = 20000
    x = rect.sample_boundary(n, generator=gen(5), dtype=torch.float64)
    on_short = ((x[:, 0] == 0) | (x[:, 0] == 10)).double().mean().item()
    p = 0.2 / 20.2
    assert abs(on_short - p) < 5 * math.sqrt(p * (1 - p) / n)
    # each long side gets half the rest
    on_bottom = (x[:, 1] == 0).double().mean().item()
    assert abs(on_bottom - 10 / 20.2) < 0.02
    # the uniform grid splits exactly in proportion
    xu = rect.sample_boundary(202, method="uniform", dtype=torch.float64)
    assert len(xu) == 202
    assert int(((xu[:, 0] == 0) | (xu[:, 0] == 10)).sum()) == 2


def test_box3_boundary_follows_face_areas():
    box = Box((0, 0, 0), (1, 2, 3))
    x = box.sample_boundary(22000, generator=gen(6), dtype=torch.float64)
    lo, hi = box.bbox
    # faces x = 0 / x = 1 have area 6 each out of 22
    frac = ((x[:, 0] == 0) | (x[:, 0] == 1)).double().mean().item()
    assert abs(frac - 12 / 22) < 0.02


def test_disk_interior_is_uniform_in_area():
    disk = Disk((0, 0), 2)
    x = disk.sample_interior(20000, generator=gen(), dtype=torch.float64)
    inner = (x.norm(dim=1) < 1).double().mean().item()  # area ratio 1/4
    assert abs(inner - 0.25) < 0.015
    angle = torch.atan2(x[:, 1], x[:, 0])
    assert abs((angle > 0).double().mean().item() - 0.5) < 0.015


def test_difference_boundary_is_split_by_perimeter():
    plate = Rectangle((-1, -1), (1, 1)) - Disk((0, 0), 0.5)
    assert plate.boundary_measure == pytest.approx(8 + math.pi, rel=1e-9)
    assert plate.volume == pytest.approx(4 - math.pi / 4, rel=1e-2)
    x = plate.sample_boundary(20000, generator=gen(), dtype=torch.float64)
    on_hole = ((x.norm(dim=1) - 0.5).abs() < 1e-9).double().mean().item()
    assert abs(on_hole - math.pi / (8 + math.pi)) < 0.015


def test_interval_boundary_alternates_end_points_with_normals():
    line = Interval(-1, 2)
    for method in METHODS:
        x = line.sample_boundary(5, method=method, generator=gen())
        assert x.flatten().tolist() == [-1.0, 2.0, -1.0, 2.0, -1.0]
    assert line.boundary_normal(torch.tensor([[-1.0], [2.0]])).flatten().tolist() == [-1.0, 1.0]


def test_uniform_grid_counts_and_corners():
    rect = Rectangle((0, 0), (2, 1))
    g = rect.uniform_grid(200)
    assert g.shape == (200, 2)  # 20 x 10 nodes
    corners = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    for c in corners:
        assert bool((g == c).all(dim=1).any())
    disk = Disk((0, 0), 1)
    assert 150 <= len(disk.uniform_grid(200)) <= 250
    assert len(Interval(0, 1).sample_interior(17, method="uniform")) == 17


# ---------------------------------------------------------------------------
# normals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["interval", "rectangle", "box3", "disk", "difference", "union", "intersection"])
def test_normals_are_unit_and_outward(name):
    geom = GEOMETRIES[name]()
    x = geom.sample_boundary(300, generator=gen(9), dtype=torch.float64)
    nrm = geom.boundary_normal(x)
    assert nrm.shape == x.shape and nrm.dtype == torch.float64
    assert torch.allclose(nrm.norm(dim=1), torch.ones(len(x), dtype=torch.float64))
    eps = 1e-4
    assert not bool(geom.inside(x + eps * nrm).any())
    if name in ("union", "intersection"):  # at the seams an inward step may leave the set
        return
    assert bool(geom.inside(x - eps * nrm).all())


def test_difference_normal_points_into_the_hole():
    plate = Rectangle((-1, -1), (1, 1)) - Disk((0, 0), 0.5)
    x = torch.tensor([[0.5, 0.0], [0.0, -0.5], [1.0, 0.3]], dtype=torch.float64)
    expect = torch.tensor([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(plate.boundary_normal(x), expect)


def test_normal_at_a_corner_is_an_adjacent_face_normal():
    nrm = Rectangle((0, 0), (1, 1)).boundary_normal(torch.tensor([[1.0, 1.0]]))
    assert nrm.tolist() in ([[1.0, 0.0]], [[0.0, 1.0]])


def test_normals_of_points_off_the_boundary_are_refused():
    with pytest.raises(PhysnnError, match=r"1 of 2 points are not on the boundary .*row 1"):
        Disk((0, 0), 1).boundary_normal(torch.tensor([[1.0, 0.0], [0.2, 0.0]]))


def test_float32_boundary_points_of_a_large_domain_count_as_on_boundary():
    geom = Disk((1000.0, -500.0), 300.0)
    x = geom.sample_boundary(1000, generator=gen())
    assert bool(geom.on_boundary(x).all())
    assert torch.allclose(geom.boundary_normal(x).norm(dim=1), torch.ones(1000))


# ---------------------------------------------------------------------------
# space-time
# ---------------------------------------------------------------------------


def test_space_time_points():
    st = SpaceTime(Rectangle((0, 0), (1, 2)), TimeDomain(0.5, 1.5))
    assert st.dim == 3 and st.names == ("x", "y", "t") and (st.t0, st.t1) == (0.5, 1.5)
    assert st.volume == pytest.approx(2.0) and st.boundary_measure == pytest.approx(6.0)
    for method in METHODS:
        x0 = st.sample_initial(100, method=method, generator=gen())
        assert bool((x0[:, -1] == 0.5).all()) and bool(st.on_initial(x0).all())
        assert bool(st.space.inside(x0[:, :-1]).all())
        xb = st.sample_boundary(100, method=method, generator=gen())
        assert bool(st.space.on_boundary(xb[:, :-1]).all())
        assert bool(((xb[:, -1] >= 0.5) & (xb[:, -1] <= 1.5)).all())
        assert bool(st.on_boundary(xb).all())
        xi = st.sample_interior(100, method=method, generator=gen())
        assert bool(((xi[:, -1] >= 0.5) & (xi[:, -1] <= 1.5)).all())
    # boundary means the spatial boundary only: t = t0 in the middle of space is not on it
    assert st.on_boundary(torch.tensor([[0.5, 1.0, 0.5]])).tolist() == [False]
    assert st.on_initial(torch.tensor([[0.5, 1.0, 0.5], [0.5, 1.0, 0.6]])).tolist() == [True, False]
    nrm = st.boundary_normal(torch.tensor([[1.0, 1.0, 1.0]]))
    assert nrm.tolist() == [[1.0, 0.0, 0.0]]


def test_space_time_boundary_times_cover_the_interval():
    st = SpaceTime(Interval(-1, 1), TimeDomain(0, 1))
    xb = st.sample_boundary(1000, generator=gen())
    assert set(xb[:, 0].tolist()) == {-1.0, 1.0}
    assert xb[:, 1].min() < 0.05 and xb[:, 1].max() > 0.95
    xu = st.sample_boundary(100, method="uniform")
    assert len(xu) == 100 and set(xu[:, 0].tolist()) == {-1.0, 1.0}


def test_sample_convenience():
    st = GEOMETRIES["spacetime_1d"]()
    assert sample(st, 8, where="initial", generator=gen()).shape == (8, 2)
    assert sample(st, 8, where="boundary", generator=gen()).shape == (8, 2)
    with pytest.raises(PhysnnError, match="needs a SpaceTime"):
        sample(Interval(0, 1), 4, where="initial")
    with pytest.raises(PhysnnError, match="'where' must be one of"):
        sample(st, 4, where="edge")


# ---------------------------------------------------------------------------
# measures, reprs, set logic
# ---------------------------------------------------------------------------


def test_measures_and_bbox():
    assert Interval(1, 4).volume == 3.0 and Interval(1, 4).boundary_measure == 2.0
    assert Rectangle((0, 0), (2, 3)).area == 6.0
    assert Disk((0, 0), 2).area == pytest.approx(4 * math.pi)
    lo, hi = Disk((1, 2), 0.5).bbox
    assert lo.tolist() == [0.5, 1.5] and hi.tolist() == [1.5, 2.5]
    assert (Rectangle((0, 0), (2, 1)) | Rectangle((1, 0), (3, 1))).volume == pytest.approx(3.0, rel=1e-3)
    with pytest.raises(PhysnnError, match="only 2-D domains have an area"):
        Box((0, 0, 0), (1, 1, 1)).area


def test_set_logic():
    a, b = Rectangle((0, 0), (2, 2)), Disk((2, 2), 1)
    pts = torch.tensor([[1.0, 1.0], [2.0, 2.0], [2.5, 2.5], [1.5, 1.5], [2.0, 1.0]])
    assert Union(a, b).inside(pts).tolist() == [True, True, True, True, True]
    assert Difference(a, b).inside(pts).tolist() == [True, False, False, False, True]
    assert Intersection(a, b).inside(pts).tolist() == [False, True, False, True, True]
    # (2, 1) lies on both circles' edge and the square's edge: on the boundary of all three
    assert Difference(a, b).on_boundary(pts[4:]).tolist() == [True]


def test_reprs():
    assert repr(Interval(0, 1)) == "Interval(0, 1, name='x')"
    assert repr(TimeDomain(0, 1)) == "TimeDomain(0, 1, name='t')"
    assert repr(Rectangle((0, 0), (1, 2))) == "Rectangle(lo=(0, 0), hi=(1, 2), names=('x', 'y'))"
    assert repr(Disk((0, 0), 1) - Disk((0, 0), 0.5)) == (
        "Difference(Disk(center=(0, 0), radius=1), Disk(center=(0, 0), radius=0.5))"
    )
    assert isinstance(Interval(0, 1), Geometry)


def test_custom_names():
    assert Interval(0, 1, name="r").names == ("r",)
    assert Box((0,) * 4, (1,) * 4).names == ("x1", "x2", "x3", "x4")
    st = SpaceTime(Rectangle((0, 0), (1, 1), names=("u", "v")), TimeDomain(0, 1, name="tau"))
    assert st.names == ("u", "v", "tau")


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_check_inside_names_count_and_first_point():
    rect = Rectangle((0, 0), (1, 1))
    ok = torch.tensor([[0.5, 0.5]])
    assert rect.check_inside(ok, "x_data") is ok
    bad = torch.tensor([[0.5, 0.5], [1.5, 0.25], [0.2, 0.2], [-3.0, 0.0]])
    with pytest.raises(PhysnnError) as info:
        rect.check_inside(bad, "observation points")
    msg = str(info.value)
    assert "2 of 4 points lie outside" in msg
    assert "row 1 (x=1.5, y=0.25)" in msg
    assert msg.startswith("observation points:")


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: Disk((0, 0), 0), r"'radius' must be a number in \(0, inf\); got 0"),
        (lambda: Disk((0, 0), -1.0), r"'radius' must be a number in \(0, inf\)"),
        (lambda: Disk((0, 0, 0), 1.0), r"'center' must be 2 numbers"),
        (lambda: Rectangle((0, 1), (1, 1)), r"lo\[1\] must be < hi\[1\]; got lo\[1\]=1, hi\[1\]=1"),
        (lambda: Rectangle((0, 0, 0), (1, 1, 1)), r"Use Box for other dimensions"),
        (lambda: Box((0, 0), (1,)), r"same length"),
        (lambda: Box((0, float("nan")), (1, 1)), r"'lo\[1\]' must be a number"),
        (lambda: Interval(2, 1), r"'a' must be < 'b'; got a=2, b=1"),
        (lambda: TimeDomain(1, 1), r"'t0' must be < 't1'"),
        (lambda: Rectangle((0, 0), (1, 1), names=("x",)), r"'names' must be 2 non-empty"),
        (lambda: Rectangle((0, 0), (1, 1), names=("x", "x")), r"distinct"),
        (lambda: Interval(0, 1) | Rectangle((0, 0), (1, 1)), r"same coordinates"),
        (lambda: Disk((0, 0), 1) & Disk((5, 5), 1), r"do not overlap"),
        (lambda: SpaceTime(Interval(0, 1), Rectangle((0, 0), (1, 1))), r"'time' must be a TimeDomain"),
        (lambda: SpaceTime(Interval(0, 1, name="t"), TimeDomain(0, 1)), r"clashes"),
    ],
)
def test_bad_construction_is_a_physnn_error(make, pattern):
    with pytest.raises(PhysnnError, match=pattern):
        make()


def test_bad_sampling_arguments_are_physnn_errors():
    rect = Rectangle((0, 0), (1, 1))
    with pytest.raises(PhysnnError, match=r"'method' must be one of .*Did you mean 'sobol'"):
        rect.sample_interior(10, method="sobel")
    with pytest.raises(PhysnnError, match=r"'method' must be one of"):
        rect.sample_boundary(10, method="halton")
    with pytest.raises(PhysnnError, match=r"'n' must be an integer >= 1; got 0"):
        rect.sample_interior(0)
    with pytest.raises(PhysnnError, match=r"'dtype' must be one of 'float32', 'float64'"):
        rect.sample_interior(10, dtype=torch.int64)
    with pytest.raises(PhysnnError, match=r"'generator' must be a torch.Generator"):
        rect.sample_interior(10, generator=42)
    assert rect.sample_interior(3, dtype="float64").dtype == torch.float64


def test_bad_points_are_physnn_errors():
    rect = Rectangle((0, 0), (1, 1))
    with pytest.raises(PhysnnError, match=r"has 3 columns but the domain has 2 coordinates"):
        rect.inside(torch.zeros(4, 3))
    with pytest.raises(PhysnnError, match=r"must be a 2-D array"):
        rect.on_boundary(torch.zeros(4))
    with pytest.raises(PhysnnError, match=r"reshape\(-1, 1\)"):
        Interval(0, 1).inside(torch.zeros(4))
    assert rect.inside([[0.5, 0.5], [2.0, 0.0]]).tolist() == [True, False]
    with pytest.raises(PhysnnError, match=r"'tol' must be a number"):
        rect.inside(torch.zeros(1, 2), tol=-1.0)
