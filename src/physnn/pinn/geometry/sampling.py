r"""The sampling methods: ``n`` points in the unit cube, and regular grids.

Every geometry draws its points here and maps them onto its interior or
boundary (see :mod:`physnn.pinn.geometry` for the maps): ``"random"``
(i.i.d. uniform), ``"uniform"`` (a cell-centred grid of about ``n`` points),
``"lhs"`` (Latin hypercube) and ``"sobol"`` (scrambled Sobol' points).  All
points are ``float64``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.quasirandom import SobolEngine

#: The sampling methods every geometry accepts.
METHODS = ("random", "uniform", "lhs", "sobol")
#: The dtype every point is computed in before the final cast.
F64 = torch.float64
#: Rejection-sampling rounds before giving up.
MAX_ROUNDS = 200


def grid_counts(sides: Sequence[float], n: float) -> list[int]:
    """Points per axis for a grid of about ``n`` points with equal spacing on all axes.

    >>> grid_counts([2.0, 1.0], 200)
    [20, 10]
    >>> grid_counts([100.0, 1.0], 50)      # a thin strip: one row, 50 columns
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


def axes_grid(axes: Sequence[torch.Tensor]) -> torch.Tensor:
    """The Cartesian product of 1-D coordinate tensors as an ``(N, len(axes))`` tensor."""
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


def cell_centres(lo: float, hi: float, count: int) -> torch.Tensor:
    """The ``count`` cell centres of ``[lo, hi]`` split into equal cells (``float64``)."""
    return lo + (torch.arange(count, dtype=F64) + 0.5) * ((hi - lo) / count)


def largest_remainder(weights: Sequence[float], n: int) -> list[int]:
    """Split ``n`` into integers proportional to ``weights`` (Hamilton's method)."""
    total = float(sum(weights))
    exact = [n * w / total for w in weights]
    counts = [int(math.floor(e)) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def unit_cube(n: int, k: int, method: str, generator: torch.Generator | None) -> torch.Tensor:
    """``n`` points in the unit cube ``[0, 1)^k`` (``float64``) by ``method``.

    >>> g = torch.Generator().manual_seed(0)
    >>> u = unit_cube(5, 2, "lhs", g)
    >>> sorted((u[:, 0] * 5).floor().long().tolist())      # one point per stratum
    [0, 1, 2, 3, 4]
    """
    if k == 0:
        return torch.empty(n, 0, dtype=F64)
    if method == "random":
        return torch.rand(n, k, generator=generator, dtype=F64)
    if method == "lhs":
        perms = torch.stack([torch.randperm(n, generator=generator) for _ in range(k)], dim=1)
        return (perms.to(F64) + torch.rand(n, k, generator=generator, dtype=F64)) / n
    if method == "sobol":
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        return SobolEngine(k, scramble=True, seed=seed).draw(n, dtype=F64)
    # "uniform": a cell-centred grid of about n points
    counts = grid_counts([1.0] * k, n)
    return axes_grid([cell_centres(0.0, 1.0, c) for c in counts])
