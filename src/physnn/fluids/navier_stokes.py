r"""2-D incompressible Navier–Stokes in vorticity form on the unit torus, pseudo-spectrally.

.. math::

    \partial_t\omega + \mathbf u\cdot\nabla\omega = \nu\Delta\omega + f,\qquad
    \mathbf u = (\partial_y\psi, -\partial_x\psi),\quad -\Delta\psi = \omega,
    \qquad (x, y)\in[0,1)^2\ \text{periodic},

with the forcing of the FNO paper (Li et al. 2021)
:math:`f = 0.1\,\big(\sin 2\pi(x+y) + \cos 2\pi(x+y)\big)` and initial
vorticity from the Gaussian random field
:math:`\mathcal N\big(0, 7^{3/2}(-\Delta + 49 I)^{-5/2}\big)` (:func:`grf_2d`,
normalised as the paper's ``GaussianRF``).

Scheme: in Fourier space with :math:`\mathbf k = 2\pi\mathbf m`,
:math:`\hat\omega_t = -\nu|\mathbf k|^2\hat\omega + N(\hat\omega)`,
:math:`N = -\widehat{\mathbf u\cdot\nabla\omega} + \hat f`; the viscous part is
integrated exactly (integrating factor :math:`e^{-\nu|\mathbf k|^2\Delta t/2}`)
and :math:`N` by classical RK4 (Lawson's IF-RK4, the same stages as
:mod:`physnn.fluids.burgers`).  Products are de-aliased by the 2/3 rule
(modes with :math:`\max(|m_x|,|m_y|) > s/3` are zeroed).  The step is
CFL-controlled, :math:`\Delta t = C\,\Delta x / \max(|u|+|v|)`; a forced
``dt`` above Courant number :data:`COURANT_MAX` and any NaN/Inf raise
:class:`~physnn.errors.PhysnnError`.  Trajectories are batched: (B, s, s).

    >>> import numpy as np
    >>> x = np.arange(32) / 32
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> w0 = np.cos(2 * np.pi * (3 * X + 4 * Y)) + np.sin(2 * np.pi * 5 * X)   # one shell |m| = 5
    >>> w = solve_ns(w0, nu=1e-3, t=1.0, forcing=None)                       # J(psi, w) = 0: pure decay
    >>> bool(np.abs(w - w0 * np.exp(-1e-3 * (2 * np.pi * 5) ** 2)).max() < 1e-10)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft as sfft

from physnn.errors import PhysnnError, check_array, check_int, check_range
from physnn.fluids.stepping import COURANT_MAX, cfl_step, if_rk4_step

__all__ = ["grf_2d", "fno_forcing", "solve_ns", "COURANT_MAX"]

#: the largest Courant number max(|u|+|v|)·dt/dx accepted for a user-forced step


def grf_2d(n: int, s: int, *, alpha: float = 2.5, tau: float = 7.0, sigma: float | None = None,
           seed: int | np.random.Generator = 0) -> np.ndarray:
    r"""Periodic Gaussian random fields :math:`\mathcal N(0, \sigma^2(-\Delta+\tau^2 I)^{-\alpha})` on :math:`[0,1)^2`.

    As the FNO code's ``GaussianRF`` (mean mode zero,
    :math:`\sigma = \tau^{(2\alpha-2)/2}` by default, i.e. :math:`7^{3/2}` for
    the paper's Navier–Stokes data): the point variance is

    .. math::

        \operatorname{Var}\omega(x) = \sum_{\mathbf m\ne 0} \sigma^2\big(4\pi^2|\mathbf m|^2 + \tau^2\big)^{-\alpha}.

    Returns (n, s, s).

        >>> w = grf_2d(400, 32, seed=0)
        >>> m = np.fft.fftfreq(32, 1 / 32); mx, my = np.meshgrid(m, m, indexing="ij")
        >>> lam = 7.0 ** 3 * (4 * np.pi**2 * (mx**2 + my**2) + 49) ** -2.5; lam[0, 0] = 0
        >>> bool(abs(w.var() / lam.sum() - 1) < 0.05)
        True
    """
    n = check_int("n", n, low=1, owner="grf_2d")
    s = check_int("s", s, low=4, owner="grf_2d")
    alpha = check_range("alpha", alpha, low=0.0, low_inclusive=False, owner="grf_2d")
    tau = check_range("tau", tau, low=0.0, owner="grf_2d")
    if sigma is None:
        sigma = tau ** (0.5 * (2 * alpha - 2))
    sigma = check_range("sigma", sigma, low=0.0, low_inclusive=False, owner="grf_2d")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    m = np.fft.fftfreq(s, d=1.0 / s)
    mx, my = np.meshgrid(m, m, indexing="ij")
    sqrt_eig = s**2 * np.sqrt(2.0) * sigma * (4 * np.pi**2 * (mx**2 + my**2) + tau**2) ** (-alpha / 2)
    sqrt_eig[0, 0] = 0.0
    z = (rng.standard_normal((n, s, s)) + 1j * rng.standard_normal((n, s, s))) / np.sqrt(2.0)
    return np.fft.ifft2(sqrt_eig * z, axes=(1, 2)).real


def fno_forcing(s: int) -> np.ndarray:
    r"""The FNO paper's forcing :math:`0.1(\sin 2\pi(x+y) + \cos 2\pi(x+y))` on the s×s grid, (s, s)."""
    s = check_int("s", s, low=2, owner="fno_forcing")
    x = np.arange(s) / s
    X, Y = np.meshgrid(x, x, indexing="ij")
    return 0.1 * (np.sin(2 * np.pi * (X + Y)) + np.cos(2 * np.pi * (X + Y)))


def solve_ns(w0: np.ndarray, *, nu: float = 1e-3, t: float | Sequence[float] = 1.0,
             forcing: np.ndarray | str | None = "fno", cfl: float = 0.5, dt: float | None = None, dt_max: float = 0.05,
             dealias: bool = True) -> np.ndarray:
    r"""Integrate the vorticity equation from ``w0`` (see module docs for the scheme).

    Parameters
    ----------
    w0 : array (s, s) or (B, s, s)
        Initial vorticity on the grid :math:`(i/s, j/s)`, first index x.
    nu : float > 0
        Viscosity.
    t : float or increasing sequence of floats
        Output time(s), each hit exactly.
    forcing : "fno", None or array (s, s)
        The time-independent forcing ``f``; ``"fno"`` is :func:`fno_forcing`.
    cfl : float in (0, 1]
        Courant number of the automatic step.
    dt_max : float > 0
        Cap on the automatic step: a slow flow would otherwise take steps too
        long for the forcing to be integrated accurately.
    dt : float, optional
        A fixed step instead (checked against :data:`COURANT_MAX` each step).

    Returns
    -------
    array (B, s, s) for a float ``t`` or (B, n_t, s, s) for a sequence
    (without the batch axis for a 2-D ``w0``).

    Raises
    ------
    PhysnnError
        Bad input, a CFL-violating forced step, or a NaN/Inf solution.
    """
    owner = "solve_ns"
    w0 = check_array("w0", w0, ndim=(2, 3), owner=owner).astype(np.float64)
    single = w0.ndim == 2
    w = w0[None] if single else w0
    s = w.shape[-1]
    if w.shape[-2] != s or s < 8:
        raise PhysnnError(f"{owner}: 'w0' must be square fields (s, s) with s >= 8; got shape {w0.shape}.")
    nu = check_range("nu", nu, low=0.0, low_inclusive=False, owner=owner)
    cfl = check_range("cfl", cfl, low=0.0, high=1.0, low_inclusive=False, owner=owner)
    if dt is not None:
        dt = check_range("dt", dt, low=0.0, low_inclusive=False, owner=owner)
    dt_max = check_range("dt_max", dt_max, low=0.0, low_inclusive=False, owner=owner)
    if isinstance(forcing, str):
        if forcing != "fno":
            raise PhysnnError(f"{owner}: 'forcing' must be 'fno', None or an (s, s) array; got {forcing!r}.")
        f = fno_forcing(s)
    elif forcing is None:
        f = np.zeros((s, s))
    else:
        f = check_array("forcing", forcing, ndim=2, owner=owner)
        if f.shape != (s, s):
            raise PhysnnError(f"{owner}: 'forcing' has shape {f.shape}; it must be ({s}, {s}) like w0.")
    scalar_t = np.ndim(t) == 0
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise PhysnnError(f"{owner}: 't' must be a time >= 0 or increasing times >= 0; got {t!r}.")

    dx = 1.0 / s
    mx1 = np.fft.fftfreq(s, d=1.0 / s)
    my1 = np.fft.rfftfreq(s, d=1.0 / s)
    mx, my = np.meshgrid(mx1, my1, indexing="ij")
    kx, ky = 2 * np.pi * mx, 2 * np.pi * my
    k2 = kx**2 + ky**2
    inv_k2 = np.where(k2 > 0, 1.0 / np.where(k2 > 0, k2, 1.0), 0.0)
    lin = -nu * k2
    mask = ((np.abs(mx) <= s / 3) & (np.abs(my) <= s / 3)).astype(float) if dealias else np.ones_like(k2)
    f_hat = sfft.rfft2(f)
    ikx, iky = 1j * kx * mask, 1j * ky * mask

    def velocity(wh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        psi = wh * inv_k2
        u = sfft.irfft2(1j * ky * psi, s=(s, s))
        v = sfft.irfft2(-1j * kx * psi, s=(s, s))
        return u, v

    def nonlin(wh: np.ndarray) -> np.ndarray:
        psi = wh * inv_k2
        u = sfft.irfft2(iky * psi, s=(s, s))
        v = sfft.irfft2(-ikx * psi, s=(s, s))
        wx = sfft.irfft2(ikx * wh, s=(s, s))
        wy = sfft.irfft2(iky * wh, s=(s, s))
        return f_hat - mask * sfft.rfft2(u * wx + v * wy)

    wh = sfft.rfft2(w)
    out = np.empty((w.shape[0], times.size, s, s))
    now = 0.0
    for j, t_next in enumerate(times):
        while now < t_next - 1e-14 * max(1.0, t_next):
            u, v = velocity(wh)
            h = cfl_step(float((np.abs(u) + np.abs(v)).max()), dx, cfl=cfl, dt=dt, dt_max=dt_max, now=now,
                         nu=nu, owner=owner, what="max(|u|+|v|)")
            h = min(h, t_next - now)
            wh = if_rk4_step(wh, lin, nonlin, h)
            now += h
        wt = sfft.irfft2(wh, s=(s, s))
        if not np.all(np.isfinite(wt)):
            raise PhysnnError(
                f"{owner}: the solution blew up (NaN/Inf) before t={t_next:g}; use a smaller 'cfl' "
                "or leave 'dt' unset."
            )
        out[:, j] = wt
    if scalar_t:
        out = out[:, 0]
    return out[0] if single else out
