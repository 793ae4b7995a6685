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

Modules
-------
One module per job: :mod:`~physnn.pinn.geometry.sampling`
(the unit-cube methods and grids), :mod:`~physnn.pinn.geometry.checks`
(argument checks), :mod:`~physnn.pinn.geometry.base` (:class:`Geometry`),
:mod:`~physnn.pinn.geometry.boxes`, :mod:`~physnn.pinn.geometry.disk`,
:mod:`~physnn.pinn.geometry.polygon`, :mod:`~physnn.pinn.geometry.algebra`
(set algebra) and :mod:`~physnn.pinn.geometry.spacetime` (with :func:`sample`).

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

from physnn.pinn.geometry.algebra import Difference, Intersection, Union
from physnn.pinn.geometry.base import DEFAULT_TOL, Geometry
from physnn.pinn.geometry.boxes import Box, Interval, Rectangle, TimeDomain
from physnn.pinn.geometry.disk import Disk
from physnn.pinn.geometry.polygon import Polygon
from physnn.pinn.geometry.sampling import METHODS
from physnn.pinn.geometry.spacetime import WHERE, SpaceTime, sample

__all__ = [
    "METHODS",
    "WHERE",
    "DEFAULT_TOL",
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
