"""The built-in toy data sets: exact points, balance, geometry, determinism, registry."""

from __future__ import annotations

import numpy as np
import pytest

from physnn.data import (
    TOY_DATASETS,
    ArrayData,
    and_gate,
    circles,
    gaussians,
    load_toy,
    moons,
    or_gate,
    polynomial,
    polynomial_truth,
    simplenet_task,
    simplenet_truth,
    spirals,
    xor,
)
from physnn.errors import PhysnnError

CORNERS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def test_xor_exact_truth_table():
    d = xor()
    assert d.X.tolist() == CORNERS
    assert d.y.dtype == np.float32 and d.y.shape == (4, 1)
    assert d.y.ravel().tolist() == [0.0, 1.0, 1.0, 0.0]
    assert d.name == "xor"


def test_gates():
    assert and_gate().X.tolist() == CORNERS and or_gate().X.tolist() == CORNERS
    assert and_gate().y.ravel().tolist() == [0.0, 0.0, 0.0, 1.0]
    assert or_gate().y.ravel().tolist() == [0.0, 1.0, 1.0, 1.0]


def test_noisy_xor_labels_follow_the_nearest_corner():
    d = xor(400, noise=0.1, seed=1)
    assert d.X.shape == (400, 2) and d.y.shape == (400, 1)
    corner = np.rint(np.clip(d.X, 0, 1))
    expected = np.logical_xor(corner[:, 0], corner[:, 1]).astype(np.float32)
    # with noise 0.1 a point crosses the 0.5 mid-line only at 5 sigma
    assert np.array_equal(d.y.ravel(), expected)
    assert d.y.mean() == 0.5
    spread = d.X - corner
    assert spread.std() == pytest.approx(0.1, rel=0.1)


TWO_CLASS = [
    ("circles", circles),
    ("moons", moons),
    ("spirals", spirals),
    ("gaussians", gaussians),
]


@pytest.mark.parametrize(("name", "make"), TWO_CLASS)
def test_two_class_sets_shape_balance_and_seed(name, make):
    d = make(301, seed=4)
    assert isinstance(d, ArrayData) and d.name == name
    assert d.X.shape == (301, 2) and d.y.shape == (301, 1) and d.y.dtype == np.float32
    assert set(np.unique(d.y).tolist()) == {0.0, 1.0}
    assert int(d.y.sum()) in (150, 151)
    again, other = make(301, seed=4), make(301, seed=5)
    assert np.array_equal(d.X, again.X) and np.array_equal(d.y, again.y)
    assert not np.array_equal(d.X, other.X)


def test_circles_radii():
    d = circles(200, noise=0.0, factor=0.3)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    inner = d.y.ravel() == 1
    assert np.allclose(r[inner], 0.3, atol=1e-6) and np.allclose(r[~inner], 1.0, atol=1e-6)


def test_moons_geometry():
    d = moons(200, noise=0.0)
    a, b = d.X[d.y.ravel() == 0], d.X[d.y.ravel() == 1]
    assert np.allclose(np.hypot(a[:, 0], a[:, 1]), 1, atol=1e-6) and (a[:, 1] >= -1e-6).all()
    assert np.allclose(np.hypot(b[:, 0] - 1, b[:, 1] - 0.5), 1, atol=1e-6)
    assert (b[:, 1] <= 0.5 + 1e-6).all()


def test_spirals_arms_are_half_a_turn_apart():
    d = spirals(400, noise=0.0, turns=2.0)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    assert r.max() <= 4.0 + 1e-5
    theta = np.arctan2(d.X[:, 1], d.X[:, 0])
    # radius = angle / pi along the arm, arm 1 shifted by pi
    arm = d.y.ravel().astype(int)
    phase = np.mod(np.pi * r - np.pi * arm - theta + np.pi, 2 * np.pi) - np.pi
    assert np.allclose(phase, 0, atol=1e-4)


def test_gaussians_multiclass_int_labels_and_dims():
    d = gaussians(300, centers=5, dim=3, std=0.1, seed=2)
    assert d.y.dtype == np.int64 and d.y.shape == (300,) and d.n_classes == 5
    assert np.bincount(d.y).tolist() == [60] * 5
    assert d.X.shape == (300, 3) and d.feature_names == ["x0", "x1", "x2"]
    means = np.array([d.X[d.y == k].mean(0) for k in range(5)])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(5) * 99
    assert gaps.min() > 2.5  # centres well apart compared with std 0.1
    one_d = gaussians(30, centers=3, dim=1, std=0.0)
    assert sorted(np.unique(one_d.X).tolist()) == [-3.0, 0.0, 3.0]


def test_polynomial_truth_is_chebyshev_and_noise_level():
    x = np.linspace(-1, 1, 7)
    assert np.allclose(polynomial_truth(x), 4 * x**3 - 3 * x)
    assert np.allclose(polynomial_truth(x, degree=2), 2 * x**2 - 1)
    d = polynomial(5000, noise=0.3, seed=1)
    assert d.X.shape == (5000, 1) and d.feature_names == ["x"] and d.target_names == ["y"]
    assert (np.diff(d.X.ravel()) >= 0).all()  # sorted for plotting
    residual = d.y.ravel() - polynomial_truth(d.X.ravel())
    assert residual.std() == pytest.approx(0.3, rel=0.05)
    small = polynomial(seed=0)
    assert len(small) == 30 and small.X.min() >= -1 and small.X.max() <= 1
    shifted = polynomial(50, x_range=(2, 3))
    assert shifted.X.min() >= 2 and shifted.X.max() <= 3


def test_simplenet_task_formula_and_every_feature_matters():
    d = simplenet_task(4000, noise=0.1, seed=3)
    assert d.X.shape == (4000, 10) and d.y.shape == (4000, 1)
    assert d.feature_names == [f"x{j}" for j in range(10)]
    assert (d.y - simplenet_truth(d.X)).std() == pytest.approx(0.1, rel=0.05)
    assert d.X.mean() == pytest.approx(0, abs=0.02) and d.X.std() == pytest.approx(1, abs=0.02)
    x = np.random.default_rng(0).normal(size=(50, 10))
    base = simplenet_truth(x)
    for j in range(10):
        moved = x.copy()
        moved[:, j] += 0.5
        assert not np.allclose(simplenet_truth(moved), base), f"feature x{j} unused"
    exact = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + 0.3 * x[:, 3] ** 2 - 0.4 * x[:, 4]
    exact += 0.5 * np.tanh(2 * x[:, 5]) + 0.3 * x[:, 6] * np.abs(x[:, 7])
    exact += 0.4 * np.cos(x[:, 8] + x[:, 9])
    assert np.allclose(base.ravel(), exact)


def test_registry_and_load_toy():
    assert set(TOY_DATASETS) == {
        "xor", "and", "or", "circles", "moons", "spirals", "gaussians", "polynomial", "simplenet"
    }
    for name, make in TOY_DATASETS.items():
        d = load_toy(name)
        assert isinstance(d, ArrayData) and np.isfinite(d.X).all()
        assert np.array_equal(d.X, make().X)
    assert len(load_toy("moons", n=50, noise=0.0, seed=1)) == 50
    assert load_toy("MOONS", N=20).n_samples == 20  # names are case-insensitive


def test_load_toy_errors_list_valid_names():
    with pytest.raises(PhysnnError, match="'xor'.*Did you mean 'moons'"):
        load_toy("moon")
    with pytest.raises(PhysnnError, match="'n', 'noise', 'factor', 'seed'; got 'radius'"):
        load_toy("circles", radius=2)
    with pytest.raises(PhysnnError, match="takes no keyword arguments"):
        load_toy("and", n=10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: moons(0), "'n' must be an integer >= 2"),
        (lambda: circles(noise=-1), "'noise'"),
        (lambda: circles(factor=1.0), "'factor'"),
        (lambda: spirals(turns=0), "'turns'"),
        (lambda: gaussians(centers=1), "'centers'"),
        (lambda: xor(10, seed=-2), "'seed'"),
        (lambda: polynomial(x_range=(1, 0)), "x_range"),
        (lambda: polynomial(x_range=3), "x_range"),
        (lambda: simplenet_truth(np.zeros((2, 9))), "9 features"),
    ],
)
def test_argument_validation(call, match):
    with pytest.raises(PhysnnError, match=match):
        call()
