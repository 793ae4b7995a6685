"""Built-in toy data sets, one per idea of the lecture.

Every generator returns an :class:`~physnn.data.arrays.ArrayData`, draws its
randomness from ``numpy.random.default_rng(seed)`` (same seed, same data) and
balances its classes exactly.

=================  ==============================================================
name               what it teaches
=================  ==============================================================
``and``, ``or``    a single perceptron learns a linearly separable gate
``xor``            ... and cannot learn XOR: one hidden layer is needed
``circles``        non-linear decision boundaries (a ring inside a ring)
``moons``          two interleaved half-circles: a small MLP's first success
``spirals``        hard boundaries: depth and width matter
``gaussians``      blobs: binary (BCE) or multi-class (cross-entropy) targets
``polynomial``     few noisy points: underfitting, overfitting, regularization
``simplenet``      the 10-feature regression task of the lecture's SimpleNet
=================  ==============================================================

    >>> sorted(TOY_DATASETS)
    ['and', 'circles', 'gaussians', 'moons', 'or', 'polynomial', 'simplenet', 'spirals', 'xor']
    >>> load_toy("moons", n=100, seed=1)
    ArrayData('moons', n_samples=100, features=['x0', 'x1'], targets=['label'])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from physnn.data.arrays import ArrayData
from physnn.errors import PhysnnError, check_choice, check_int, check_range

__all__ = [
    "xor",
    "and_gate",
    "or_gate",
    "circles",
    "moons",
    "spirals",
    "gaussians",
    "polynomial",
    "polynomial_truth",
    "simplenet_task",
    "simplenet_truth",
    "TOY_DATASETS",
    "load_toy",
]

_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _balanced_labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels with counts differing by at most one, in random order."""
    return rng.permutation(np.arange(n) % classes)


def _gate(labels: list[float], name: str) -> ArrayData:
    return ArrayData(
        _CORNERS.copy(), np.array(labels).reshape(4, 1),
        feature_names=["x0", "x1"], target_names=["y"], name=name,
    )


def and_gate() -> ArrayData:
    """The AND truth table: four points, ``y = x0 AND x1`` (linearly separable).

    The first exercise for Rosenblatt's perceptron: one neuron
    ``y = step(w·x + b)`` finds a separating line.  ``X`` is ``(4, 2)``, ``y``
    is ``float32`` ``(4, 1)``.

    >>> d = and_gate()
    >>> d.X.tolist(), d.y.ravel().tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 0.0, 0.0, 1.0])
    """
    return _gate([0, 0, 0, 1], "and")


def or_gate() -> ArrayData:
    """The OR truth table: four points, ``y = x0 OR x1`` (linearly separable).

    >>> or_gate().y.ravel().tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    return _gate([0, 1, 1, 1], "or")


def xor(n: int | None = None, *, noise: float = 0.1, seed: int = 0) -> ArrayData:
    """XOR: the problem a single perceptron cannot solve (not linearly separable).

    ``n=None`` gives the exact truth table ``[[0,0],[0,1],[1,0],[1,1]]`` with
    ``y = [0, 1, 1, 0]``.  With ``n`` given, ``n`` points scatter around the
    four corners (as evenly as ``n`` allows) with Gaussian noise of standard
    deviation ``noise``; each point carries its corner's label.  ``X`` is
    ``(n, 2)``, ``y`` is ``float32`` ``(n, 1)`` (for BCE).

    >>> d = xor()
    >>> d.X.tolist(), d.y.ravel().tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    >>> float(xor(200, seed=3).y.mean())
    0.5
    """
    owner = "xor"
    if n is None:
        return _gate([0, 1, 1, 0], "xor")
    n = check_int("n", n, low=1, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    corner = _balanced_labels(n, 4, rng)
    X = _CORNERS[corner] + rng.normal(0.0, noise, size=(n, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0])[corner].reshape(n, 1)
    return ArrayData(X, y, feature_names=["x0", "x1"], target_names=["y"], name="xor")


def _two_class(X: np.ndarray, label: np.ndarray, name: str) -> ArrayData:
    return ArrayData(
        X, label.astype(np.float32).reshape(-1, 1),
        feature_names=["x0", "x1"], target_names=["label"], name=name,
    )


def circles(n: int = 500, *, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> ArrayData:
    """Two concentric circles: a boundary no straight line can draw.

    The outer circle (radius 1) is class 0, the inner one (radius ``factor``)
    class 1; angles are uniform, then Gaussian noise of standard deviation
    ``noise`` is added to both coordinates.  ``X`` is ``(n, 2)``, ``y`` is
    ``float32`` ``(n, 1)`` with values 0/1 (half each, the extra point in
    class 0 for odd ``n``).

    >>> d = circles(200, noise=0.0, seed=0)
    >>> r = (d.X ** 2).sum(1) ** 0.5
    >>> bool(np.allclose(r[d.y.ravel() == 1], 0.5)), float(d.y.mean())
    (True, 0.5)
    """
    owner = "circles"
    n = check_int("n", n, low=2, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    factor = check_range("factor", factor, low=0, high=1, low_inclusive=False,
                         high_inclusive=False, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    label = _balanced_labels(n, 2, rng)
    theta = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(label == 1, factor, 1.0)
    X = np.c_[radius * np.cos(theta), radius * np.sin(theta)]
    X += rng.normal(0.0, noise, size=X.shape)
    return _two_class(X, label, "circles")


def moons(n: int = 500, *, noise: float = 0.1, seed: int = 0) -> ArrayData:
    """Two interleaving half-moons: the classic first task for a small MLP.

    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 0.5 - sin t)``, with
    ``t`` uniform in ``[0, π]``, plus Gaussian noise of standard deviation
    ``noise``.  ``X`` is ``(n, 2)``, ``y`` is ``float32`` ``(n, 1)``, 0/1.

    >>> d = moons(100, seed=0)
    >>> d.X.shape, d.y.shape, float(d.y.mean())
    ((100, 2), (100, 1), 0.5)
    """
    owner = "moons"
    n = check_int("n", n, low=2, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    label = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, np.pi, size=n)
    X = np.where(
        (label == 1)[:, None],
        np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)],
        np.c_[np.cos(t), np.sin(t)],
    )
    X += rng.normal(0.0, noise, size=X.shape)
    return _two_class(X, label, "moons")


def spirals(n: int = 500, *, noise: float = 0.2, turns: float = 1.5, seed: int = 0) -> ArrayData:
    """Two interleaved spiral arms: a hard boundary that rewards depth.

    A point of arm ``k`` (0 or 1) at ``s`` uniform in ``[0, 1]`` sits at angle
    ``θ = 2π·turns·s + kπ`` and radius ``r = 2·turns·s``, so neighbouring arms
    are 1 apart and the outermost radius is ``2·turns``.  Gaussian noise of
    standard deviation ``noise`` (in units of that arm gap) is added.  ``X`` is
    ``(n, 2)``, ``y`` is ``float32`` ``(n, 1)``: the arm, 0/1.

    >>> d = spirals(300, noise=0.0, turns=1.0, seed=0)
    >>> float(np.abs(d.X).max()) <= 2.0, float(d.y.mean())
    (True, 0.5)
    """
    owner = "spirals"
    n = check_int("n", n, low=2, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    turns = check_range("turns", turns, low=0, low_inclusive=False, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    label = _balanced_labels(n, 2, rng)
    s = rng.uniform(0.0, 1.0, size=n)
    theta = 2 * np.pi * turns * s + np.pi * label
    r = 2 * turns * s
    X = np.c_[r * np.cos(theta), r * np.sin(theta)]
    X += rng.normal(0.0, noise, size=X.shape)
    return _two_class(X, label, "spirals")


def gaussians(
    n: int = 500, *, centers: int = 2, std: float = 1.0, dim: int = 2, seed: int = 0
) -> ArrayData:
    """Gaussian blobs, one per class: binary or multi-class classification.

    The ``centers`` class means are fixed, not random: for ``dim >= 2`` they lie
    evenly on a circle in the ``(x0, x1)`` plane of radius
    ``max(2, 1.5·centers/π)`` (neighbouring means at least ~3 apart); for
    ``dim == 1`` they sit 3 apart on the line, centred on 0.  Each class is
    ``N(mean, std²·I)``.

    Targets: ``centers == 2`` gives ``float32`` ``(n, 1)`` 0/1 (for BCE);
    ``centers > 2`` gives 1-D ``int64`` labels ``0 .. centers-1`` (for
    cross-entropy).  ``X`` is ``(n, dim)``.

    >>> d = gaussians(90, centers=3)
    >>> d.y.dtype, np.bincount(d.y).tolist(), gaussians(10).y.shape
    (dtype('int64'), [30, 30, 30], (10, 1))
    """
    owner = "gaussians"
    n = check_int("n", n, low=1, owner=owner)
    k = check_int("centers", centers, low=2, owner=owner)
    std = check_range("std", std, low=0, owner=owner)
    dim = check_int("dim", dim, low=1, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    means = np.zeros((k, dim))
    if dim == 1:
        means[:, 0] = 3.0 * (np.arange(k) - (k - 1) / 2)
    else:
        radius = max(2.0, 1.5 * k / np.pi)
        angle = 2 * np.pi * np.arange(k) / k
        means[:, 0], means[:, 1] = radius * np.cos(angle), radius * np.sin(angle)
    label = _balanced_labels(n, k, rng)
    X = means[label] + rng.normal(0.0, std, size=(n, dim))
    names = [f"x{j}" for j in range(dim)]
    y = label.astype(np.float32).reshape(-1, 1) if k == 2 else label.astype(np.int64)
    return ArrayData(X, y, feature_names=names, target_names=["label"], name="gaussians")


def polynomial_truth(x: Any, *, degree: int = 3) -> np.ndarray:
    """The clean curve behind :func:`polynomial`: the Chebyshev polynomial ``T_degree(x)``.

    ``T_0 = 1``, ``T_1 = x``, ``T_2 = 2x² - 1``, ``T_3 = 4x³ - 3x``, ...; on
    ``[-1, 1]`` it oscillates between -1 and 1 with ``degree`` zeros.  Returns
    an array of ``x``'s shape.

    >>> polynomial_truth(np.array([-1.0, 0.5, 1.0])).tolist()
    [-1.0, -1.0, 1.0]
    """
    degree = check_int("degree", degree, low=0, high=30, owner="polynomial_truth")
    coef = np.zeros(degree + 1)
    coef[-1] = 1.0
    return np.polynomial.chebyshev.chebval(np.asarray(x, dtype=np.float64), coef)


def polynomial(
    n: int = 30,
    *,
    degree: int = 3,
    noise: float = 0.3,
    x_range: tuple[float, float] = (-1.0, 1.0),
    seed: int = 0,
) -> ArrayData:
    """A few noisy samples of a polynomial: the overfitting demo.

    ``x`` is uniform in ``x_range`` (sorted, for plotting) and
    ``y = polynomial_truth(x, degree=degree) + ε`` with ``ε ~ N(0, noise²)``:
    the truth is the Chebyshev polynomial ``T_degree``, so ``degree=3`` gives
    ``4x³ - 3x``.  A big network (or a high-degree fit) chases the noise in
    these 30 points; weight decay, dropout and early stopping pull it back.
    ``X`` is ``(n, 1)`` (feature ``x``), ``y`` is ``float32`` ``(n, 1)``.

    >>> d = polynomial(30, noise=0.0)
    >>> d.feature_names, bool(np.allclose(d.y.ravel(), polynomial_truth(d.X.ravel()), atol=1e-6))
    (['x'], True)
    """
    owner = "polynomial"
    n = check_int("n", n, low=1, owner=owner)
    degree = check_int("degree", degree, low=0, high=30, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise PhysnnError(
            f"{owner}: 'x_range' must be a pair (low, high) of numbers; got {x_range!r}."
        ) from None
    check_range("x_range[1]", hi, low=lo, low_inclusive=False, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    x = np.sort(rng.uniform(lo, hi, size=n))
    y = polynomial_truth(x, degree=degree) + rng.normal(0.0, noise, size=n)
    return ArrayData(x.reshape(-1, 1), y.reshape(-1, 1), feature_names=["x"],
                     target_names=["y"], name="polynomial")


def simplenet_truth(X: Any) -> np.ndarray:
    """The noise-free target of :func:`simplenet_task` for ``X`` of shape ``(n, 10)``.

    .. math::

        f(x) = \\sin x_0 + 0.5\\,x_1 x_2 + 0.3\\,x_3^2 - 0.4\\,x_4
               + 0.5\\tanh(2 x_5) + 0.3\\,x_6 |x_7| + 0.4\\cos(x_8 + x_9)

    Every feature matters; the parts are smooth, bounded-ish and of similar
    size, so a ReLU network of SimpleNet's size (10 → 64 → 32 → 1) can fit it.
    Returns shape ``(n, 1)``.

    >>> simplenet_truth(np.zeros((1, 10))).tolist()
    [[0.4]]
    """
    from physnn.errors import check_array

    x = check_array("X", X, ndim=2, n_features=10, owner="simplenet_truth").astype(np.float64)
    f = (
        np.sin(x[:, 0])
        + 0.5 * x[:, 1] * x[:, 2]
        + 0.3 * x[:, 3] ** 2
        - 0.4 * x[:, 4]
        + 0.5 * np.tanh(2.0 * x[:, 5])
        + 0.3 * x[:, 6] * np.abs(x[:, 7])
        + 0.4 * np.cos(x[:, 8] + x[:, 9])
    )
    return f.reshape(-1, 1)


def simplenet_task(n: int = 2000, *, noise: float = 0.1, seed: int = 0) -> ArrayData:
    """The regression task for the lecture's SimpleNet (10 inputs, 1 output).

    ``X ~ N(0, 1)^10`` and ``y = simplenet_truth(X) + ε`` with
    ``ε ~ N(0, noise²)``, where

    ``f(x) = sin x0 + 0.5 x1 x2 + 0.3 x3² - 0.4 x4 + 0.5 tanh(2 x5)
    + 0.3 x6 |x7| + 0.4 cos(x8 + x9)``.

    The best reachable test MSE is ``noise²`` (0.01 by default).  ``X`` is
    ``(n, 10)`` (features ``x0 .. x9``), ``y`` is ``float32`` ``(n, 1)``.

    >>> d = simplenet_task(100)
    >>> d.X.shape, d.y.shape, d.name
    ((100, 10), (100, 1), 'simplenet')
    """
    owner = "simplenet_task"
    n = check_int("n", n, low=1, owner=owner)
    noise = check_range("noise", noise, low=0, owner=owner)
    rng = np.random.default_rng(check_int("seed", seed, low=0, owner=owner))
    X = rng.normal(0.0, 1.0, size=(n, 10))
    y = simplenet_truth(X) + rng.normal(0.0, noise, size=(n, 1))
    return ArrayData(X, y, feature_names=[f"x{j}" for j in range(10)],
                     target_names=["y"], name="simplenet")


TOY_DATASETS: dict[str, Callable[..., ArrayData]] = {
    "xor": xor,
    "and": and_gate,
    "or": or_gate,
    "circles": circles,
    "moons": moons,
    "spirals": spirals,
    "gaussians": gaussians,
    "polynomial": polynomial,
    "simplenet": simplenet_task,
}
"""Name -> generator of every built-in data set (the names the CLI and configs use)."""


def load_toy(name: str, **kwargs: Any) -> ArrayData:
    """Make the built-in data set ``name`` with the generator's keyword arguments.

    ``name`` is one of :data:`TOY_DATASETS`' keys; a wrong name, or a keyword
    the generator does not take, is refused with the valid choices listed.

    >>> load_toy("xor").n_samples
    4
    >>> load_toy("moons", noize=0.2)
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: load_toy('moons'): 'keyword argument' must be one of 'n', 'noise', 'seed'; got 'noize'. Did you mean 'noise'?
    """
    key = check_choice("name", name, TOY_DATASETS, owner="load_toy")
    make = TOY_DATASETS[key]
    accepted = [p for p in inspect.signature(make).parameters]
    owner = f"load_toy({key!r})"
    clean = {}
    for k, v in kwargs.items():
        if not accepted:
            raise PhysnnError(f"{owner}: this data set takes no keyword arguments; got {k!r}.")
        clean[check_choice("keyword argument", k, accepted, owner=owner)] = v
    return make(**clean)
