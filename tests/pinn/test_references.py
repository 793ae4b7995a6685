"""Exact / reference solutions of the built-in PINN problems (physnn.pinn.references).

Every solution is checked against its equation with finite differences, its
initial and boundary conditions, and — for Burgers — by self-convergence of
the quadrature, an independent quadrature and the published slope of
Basdevant et al. (1986).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn import references as R

PI = math.pi
NU = 0.01 / PI

# 8th-order central first derivative and 8th-order second derivative stencils (offsets -4..4)
_K = np.arange(-4, 5)
_D1 = np.array([1 / 280, -4 / 105, 1 / 5, -4 / 5, 0.0, 4 / 5, -1 / 5, 4 / 105, -1 / 280])
_D2 = np.array([-1 / 560, 8 / 315, -1 / 5, 8 / 5, -205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560])


def d1(f, h):
    """∂f/∂z at z, f a function of an offset array (broadcasts along a new last axis)."""
    return (f(_K * h) * _D1).sum(axis=-1) / h


def d2(f, h):
    return (f(_K * h) * _D2).sum(axis=-1) / h**2


# ---------------------------------------------------------------------------
# Burgers
# ---------------------------------------------------------------------------


def test_burgers_initial_condition_is_exact():
    x = np.linspace(-1, 1, 257)
    assert np.array_equal(R.burgers_exact(x, 0.0), -np.sin(PI * x))
    assert np.array_equal(R.burgers_exact(x, np.zeros_like(x)), -np.sin(PI * x))
    # and continuous into t > 0
    assert np.max(np.abs(R.burgers_exact(x, 1e-10) + np.sin(PI * x))) < 1e-8


def test_burgers_boundary_conditions():
    t = np.linspace(0, 0.99, 100)
    for xb in (-1.0, 1.0):
        assert np.max(np.abs(R.burgers_exact(xb, t))) < 1e-10
    assert np.max(np.abs(R.burgers_exact(0.0, t))) < 1e-10  # odd symmetry: the shock sits at x = 0


def test_burgers_odd_symmetry():
    x = np.linspace(0, 1, 101)[None, :]
    t = np.linspace(0, 0.99, 23)[:, None]
    assert np.max(np.abs(R.burgers_exact(x, t) + R.burgers_exact(-x, t))) < 1e-12


def _fine_grid():
    x = np.unique(np.concatenate([np.linspace(-1, 1, 401), np.linspace(-0.02, 0.02, 201)]))
    t = np.concatenate([np.linspace(0, 0.01, 6), np.linspace(0.02, 0.99, 50)])
    return x[None, :], t[:, None]


def test_burgers_self_convergence_default_nodes():
    """Default nodes against twice as many, on a grid that resolves the shock."""
    x, t = _fine_grid()
    n = R._burgers_nodes(NU, 0.99)
    u = R.burgers_exact(x, t)
    u2 = R.burgers_exact(x, t, n_quad=2 * n)
    assert u.shape == (56, x.size)
    assert np.max(np.abs(u - u2)) <= 1e-10
    # far fewer nodes already converge: n = 100 vs 200
    u100 = R.burgers_exact(x, t, n_quad=100)
    assert np.max(np.abs(u100 - R.burgers_exact(x, t, n_quad=200))) <= 1e-10


def _burgers_trapezoid(x, t, m=40001):
    """The Cole–Hopf integrals by the trapezoid rule in η — an independent quadrature."""
    sig = math.sqrt(4 * NU * t)
    eta = np.linspace(-40 * sig, 40 * sig, m)
    y = x - eta
    e = -np.cos(PI * y) / (2 * PI * NU) - eta**2 / (4 * NU * t)
    g = np.exp(e - e.max())
    return -(np.sin(PI * y) * g).sum() / g.sum()


@pytest.mark.parametrize("x", [-0.6, -0.01, -0.002, 0.0005, 0.03, 0.9])
def test_burgers_matches_independent_quadrature(x):
    for t in (0.05, 0.3, 0.6, 0.99):
        assert abs(float(R.burgers_exact(x, t)) - _burgers_trapezoid(x, t)) < 1e-12


def test_burgers_basdevant_max_slope():
    """Basdevant et al. (1986): max |∂u/∂x| = 152.00516, at x = 0, t = 1.6037/π."""
    t_max = 1.6037 / PI
    slope = d1(lambda dx: R.burgers_exact(dx, t_max), 1e-4)
    assert abs(abs(slope) / 152.00516 - 1) < 1e-7
    assert slope < 0
    # it is the maximum over t: smaller a little before and after
    for t in (1.55 / PI, 1.65 / PI):
        assert abs(d1(lambda dx: R.burgers_exact(dx, t), 1e-4)) < abs(slope)
    # at t = 1/π (the inviscid breaking time) the slope is still far smaller
    assert abs(d1(lambda dx: R.burgers_exact(dx, 1 / PI), 1e-4) + 34.2262894) < 1e-6


def test_burgers_pde_residual():
    """u_t + u u_x − ν u_xx = 0 by 8th-order finite differences."""
    x = np.concatenate([np.linspace(-0.95, -0.2, 16), np.linspace(0.2, 0.95, 16)])[:, None, None]
    t = np.linspace(0.1, 0.95, 10)[None, :, None]
    h = 1e-3
    u = R.burgers_exact(x[..., 0], t[..., 0])
    u_t = d1(lambda k: R.burgers_exact(x, t + k), h)
    u_x = d1(lambda k: R.burgers_exact(x + k, t), h)
    u_xx = d2(lambda k: R.burgers_exact(x + k, t), h)
    res = u_t + u * u_x - NU * u_xx
    assert np.max(np.abs(res)) < 1e-9
    # inside the shock layer (|u_x| up to ~150) with a finer step, relative to the terms' size
    x = np.array([-0.005, -0.002, 0.0, 0.003])[:, None, None]
    t = np.array([0.4, 0.6, 0.9])[None, :, None]
    h = 2e-5
    u = R.burgers_exact(x[..., 0], t[..., 0])
    u_t = d1(lambda k: R.burgers_exact(x, t + k), h)
    u_x = d1(lambda k: R.burgers_exact(x + k, t), h)
    u_xx = d2(lambda k: R.burgers_exact(x + k, t), h)
    res = u_t + u * u_x - NU * u_xx
    assert np.max(np.abs(u * u_x)) > 50  # the terms are large here ...
    assert np.max(np.abs(res)) < 1e-6  # ... and still balance


def test_burgers_broadcasting_and_scalars():
    x = np.linspace(-1, 1, 7)
    t = np.linspace(0, 0.9, 4)
    U = R.burgers_exact(x[None, :], t[:, None])
    assert U.shape == (4, 7) and U.dtype == np.float64
    assert np.allclose(U[2], R.burgers_exact(x, t[2]), rtol=0, atol=1e-14)
    assert isinstance(R.burgers_exact(0.3, 0.5), np.floating)
    # torch input and float32 coordinates are accepted; float64 out
    Ut = R.burgers_exact(torch.tensor(x, dtype=torch.float32), 0.5)
    assert Ut.dtype == np.float64 and Ut.shape == (7,)
    assert R.burgers_exact(np.empty((0,)), 0.5).shape == (0,)


def test_burgers_other_viscosity_converges():
    x = np.linspace(-1, 1, 81)[None, :]
    t = np.linspace(0.05, 0.99, 8)[:, None]
    for nu in (0.1 / PI, 0.003 / PI):
        u = R.burgers_exact(x, t, nu=nu)
        n = R._burgers_nodes(nu, 0.99)
        assert np.max(np.abs(u - R.burgers_exact(x, t, nu=nu, n_quad=2 * n))) < 1e-10


def test_gauss_hermite_rule_matches_numpy_and_scales():
    from numpy.polynomial.hermite import hermgauss

    for n in (1, 7, 64, 300):
        s, log_w = R._gauss_hermite(n)
        s_np, w_np = hermgauss(n)
        assert np.allclose(s, s_np, rtol=0, atol=1e-13)
        assert np.allclose(np.exp(log_w), w_np, rtol=1e-12, atol=0)
    s, log_w = R._gauss_hermite(1000)  # hermgauss overflows here
    w = np.exp(log_w)
    assert np.all(np.isfinite(log_w))
    assert abs(w.sum() - math.sqrt(PI)) < 1e-13
    assert abs((w * np.cos(3 * s)).sum() - math.sqrt(PI) * math.exp(-9 / 4)) < 1e-13


def test_burgers_errors():
    with pytest.raises(PhysnnError, match="'t' must be >= 0"):
        R.burgers_exact(0.0, -0.1)
    with pytest.raises(PhysnnError, match="'nu' must be a number in \\(0, inf\\)"):
        R.burgers_exact(0.0, 0.1, nu=0.0)
    with pytest.raises(PhysnnError, match="'n_quad' must be an integer >= 2 and <= 4096"):
        R.burgers_exact(0.0, 0.1, n_quad=1)
    with pytest.raises(PhysnnError, match="'x' holds 1 NaN"):
        R.burgers_exact([0.0, np.nan], 0.1)
    with pytest.raises(PhysnnError, match="must broadcast.*x \\(3,\\), t \\(2,\\)"):
        R.burgers_exact(np.zeros(3), np.ones(2))
    with pytest.raises(PhysnnError, match="Gauss–Hermite nodes"):
        R.burgers_exact(0.0, 1e4)


def test_burgers_reference_grid():
    x, t, U = R.burgers_reference_grid()
    assert x.shape == (256,) and t.shape == (100,) and U.shape == (100, 256)
    assert np.array_equal(x, np.linspace(-1, 1, 256)) and np.array_equal(t, np.linspace(0, 0.99, 100))
    assert np.array_equal(U[0], -np.sin(PI * x))
    assert np.max(np.abs(U[:, [0, -1]])) < 1e-10
    assert np.allclose(U[37], R.burgers_exact(x, t[37]), rtol=0, atol=1e-15)
    # cached, and returns copies: editing one result does not touch the next
    U[:] = 0.0
    x[:] = 0.0
    x2, _, U2 = R.burgers_reference_grid()
    assert np.array_equal(U2[0], -np.sin(PI * x2)) and x2[0] == -1.0
    assert R.burgers_reference_grid(8, 3)[2].shape == (3, 8)
    with pytest.raises(PhysnnError, match="'nx' must be an integer >= 2"):
        R.burgers_reference_grid(nx=1)


# ---------------------------------------------------------------------------
# Poisson, heat, diffusion
# ---------------------------------------------------------------------------


def test_poisson1d():
    x = np.linspace(-0.9, 0.9, 37)
    h = 1e-3
    u_xx = d2(lambda k: R.poisson1d_exact(x[:, None] + k), h)
    assert np.max(np.abs(-u_xx - R.poisson1d_source(x))) < 1e-6
    assert np.max(np.abs(R.poisson1d_exact([-1.0, 1.0]))) < 1e-15
    assert np.allclose(R.poisson1d_exact(x), np.sin(PI * x), rtol=0, atol=0)


@pytest.mark.parametrize(("alpha", "L", "n"), [(0.4, 1.0, 1), (1.3, 2.0, 3)])
def test_heat1d(alpha, L, n):
    x = np.linspace(0.05, 0.95, 19)[:, None, None] * L
    t = np.linspace(0.05, 0.95, 7)[None, :, None]
    h = 1e-3
    u_t = d1(lambda k: R.heat1d_exact(x, t + k, alpha=alpha, L=L, n=n), h)
    u_xx = d2(lambda k: R.heat1d_exact(x + k, t, alpha=alpha, L=L, n=n), h)
    scale = (n * PI / L) ** 2
    assert np.max(np.abs(u_t - alpha * u_xx)) < 1e-6 * scale
    tt = np.linspace(0, 1, 11)
    assert np.max(np.abs(R.heat1d_exact(0.0, tt, alpha, L, n))) < 1e-15
    assert np.max(np.abs(R.heat1d_exact(L, tt, alpha, L, n))) < 1e-13
    xx = np.linspace(0, L, 11)
    assert np.array_equal(R.heat1d_exact(xx, 0.0, alpha, L, n), np.sin(n * PI * xx / L))


def test_heat1d_errors():
    with pytest.raises(PhysnnError, match="heat1d_exact: 'n' must be an integer >= 1"):
        R.heat1d_exact(0.5, 0.5, n=0)
    with pytest.raises(PhysnnError, match="'L' must be a number in \\(0, inf\\)"):
        R.heat1d_exact(0.5, 0.5, L=-1.0)


def test_diffusion1d():
    x = np.linspace(-0.95, 0.95, 21)[:, None, None]
    t = np.linspace(0.05, 0.95, 7)[None, :, None]
    h = 1e-3
    u_t = d1(lambda k: R.diffusion1d_exact(x, t + k), h)
    u_xx = d2(lambda k: R.diffusion1d_exact(x + k, t), h)
    s = R.diffusion1d_source(x[..., 0], t[..., 0])
    assert np.max(np.abs(u_t - R.DIFFUSION1D_C * u_xx - s)) < 1e-6
    # with the wrong coefficient the residual is clearly not zero
    assert np.max(np.abs(u_t - 1.1 * u_xx - s)) > 0.1
    # the source as written in DeepXDE: −e^{−t}(sin πx − π² sin πx)
    xs, ts = x[..., 0], t[..., 0]
    ref = -np.exp(-ts) * (np.sin(PI * xs) - PI**2 * np.sin(PI * xs))
    assert np.allclose(s, ref, rtol=1e-15, atol=0)
    xx = np.linspace(-1, 1, 11)
    assert np.array_equal(R.diffusion1d_exact(xx, 0.0), np.sin(PI * xx))
    assert np.max(np.abs(R.diffusion1d_exact([-1.0, 1.0], 0.7))) < 1e-15


# ---------------------------------------------------------------------------
# Kovasznay
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("Re", [20.0, 40.0])
def test_kovasznay_navier_stokes(Re):
    x = np.linspace(-0.45, 0.95, 15)[:, None, None]
    y = np.linspace(-0.45, 1.45, 20)[None, :, None]
    h = 1e-3

    def comp(i, dx=0.0, dy=0.0):
        return lambda k: R.kovasznay_exact(x + k * dx, y + k * dy, Re=Re)[i]

    u, v, _ = R.kovasznay_exact(x[..., 0], y[..., 0], Re=Re)
    u_x, u_y = d1(comp(0, dx=1), h), d1(comp(0, dy=1), h)
    v_x, v_y = d1(comp(1, dx=1), h), d1(comp(1, dy=1), h)
    p_x, p_y = d1(comp(2, dx=1), h), d1(comp(2, dy=1), h)
    lap_u = d2(comp(0, dx=1), h) + d2(comp(0, dy=1), h)
    lap_v = d2(comp(1, dx=1), h) + d2(comp(1, dy=1), h)
    mom_x = u * u_x + v * u_y + p_x - lap_u / Re
    mom_y = u * v_x + v * v_y + p_y - lap_v / Re
    cont = u_x + v_y
    for r in (mom_x, mom_y, cont):
        assert np.max(np.abs(r)) < 1e-6
    assert np.max(np.abs(u_x)) > 1.0  # the check is not vacuous


def test_kovasznay_values_and_shapes():
    Re = 20.0
    lam = Re / 2 - math.sqrt(Re**2 / 4 + 4 * PI**2)
    u, v, p = R.kovasznay_exact(np.array([-0.5, 1.0]), np.array([0.25, 1.5]))
    assert np.allclose(u, [1.0, 1 + math.exp(lam)], rtol=1e-15)
    assert np.allclose(v, [lam / (2 * PI) * math.exp(-lam / 2), 0.0], rtol=1e-15, atol=1e-15)
    assert np.allclose(p, [0.5 * (1 - math.exp(-lam)), 0.5 * (1 - math.exp(2 * lam))], rtol=1e-15)
    U, V, P = R.kovasznay_exact(np.zeros((3, 1)), np.zeros((1, 4)))
    assert U.shape == V.shape == P.shape == (3, 4)
    with pytest.raises(PhysnnError, match="'Re' must be a number in \\(0, inf\\)"):
        R.kovasznay_exact(0.0, 0.0, Re=0)


# ---------------------------------------------------------------------------
# relative_l2
# ---------------------------------------------------------------------------


def test_relative_l2_values():
    ref = np.array([3.0, 4.0])
    assert R.relative_l2(ref, ref) == 0.0
    assert R.relative_l2(np.zeros(2), ref) == 1.0
    assert math.isclose(R.relative_l2(ref * 1.01, ref), 0.01, rel_tol=1e-12)
    assert math.isclose(R.relative_l2([[3.0], [5.0]], [[3.0], [4.0]]), 0.2, rel_tol=1e-15)
    # torch, with grad, float32 and bfloat16
    p = torch.tensor([3.0, 5.0], requires_grad=True)
    assert math.isclose(R.relative_l2(p, torch.tensor([3.0, 4.0])), 0.2, rel_tol=1e-7)
    assert math.isclose(R.relative_l2(p.to(torch.bfloat16), ref), 0.2, rel_tol=1e-2)
    assert isinstance(R.relative_l2(ref, ref), float)
    assert math.isnan(R.relative_l2([np.nan, 4.0], ref))


def test_relative_l2_errors():
    with pytest.raises(PhysnnError, match=r"same shape; got pred \(5, 1\) and ref \(5,\)"):
        R.relative_l2(np.zeros((5, 1)), np.ones(5))
    with pytest.raises(PhysnnError, match=r"got pred \(3,\) and ref \(4,\)"):
        R.relative_l2(torch.zeros(3), torch.ones(4))
    with pytest.raises(PhysnnError, match="'ref' is all zeros"):
        R.relative_l2(np.ones(3), np.zeros(3))
    with pytest.raises(PhysnnError, match="relative_l2: 'ref' holds 1 NaN"):
        R.relative_l2(np.ones(2), [1.0, np.nan])
    with pytest.raises(PhysnnError, match="must be numeric"):
        R.relative_l2(["a"], [1.0])
