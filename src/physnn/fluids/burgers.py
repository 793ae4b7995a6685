r"""Viscous Burgers' equation on the periodic unit interval, solved pseudo-spectrally.

.. math::

    \partial_t u + \partial_x\big(\tfrac12 u^2\big) = \nu\,\partial_{xx} u,
    \qquad x \in [0, 1)\ \text{periodic},\quad u(x, 0) = u_0(x).

In Fourier space, with wave numbers :math:`k = 2\pi m`,
:math:`\hat u_t = -\nu k^2 \hat u - \tfrac{ik}{2}\widehat{u^2}`.  The stiff
linear part is integrated exactly by the *integrating factor*
:math:`E = e^{-\nu k^2 \Delta t/2}` and the nonlinear part by classical RK4
(Lawson's IF-RK4):

.. math::

    k_1 &= \Delta t\,N(\hat u_n),\quad k_2 = \Delta t\,N\big(E(\hat u_n + k_1/2)\big),\quad
    k_3 = \Delta t\,N\big(E\hat u_n + k_2/2\big),\\
    k_4 &= \Delta t\,N\big(E^2\hat u_n + E k_3\big),\qquad
    \hat u_{n+1} = E^2\hat u_n + \big(E^2 k_1 + 2E(k_2 + k_3) + k_4\big)/6 .

The product :math:`u^2` is de-aliased by the 2/3 rule (modes with
:math:`|m| > s/3` are zeroed before and after the product).  The step is
CFL-controlled: :math:`\Delta t = C\,\Delta x/\max|u|` with Courant number
``cfl`` (default 0.5; classical RK4 on the de-aliased advection operator is
stable to about 1.3).  A user-forced ``dt`` whose Courant number exceeds
:data:`COURANT_MAX` raises :class:`~physnn.errors.PhysnnError`, as does a
solution that stops being finite.

Initial data: the Gaussian random field of the FNO paper,
:math:`u_0 \sim \mathcal N\big(0, 625(-\Delta + 25 I)^{-2}\big)`
(:func:`grf_1d`).

    >>> import numpy as np
    >>> x = np.arange(64) / 64
    >>> u = solve_burgers(0.01 * np.sin(2 * np.pi * x), nu=0.1, t=0.5)
    >>> ratio = np.abs(u).max() / 0.01          # a small mode decays like exp(-nu k^2 t)
    >>> bool(abs(ratio - np.exp(-0.1 * (2 * np.pi) ** 2 * 0.5)) < 1e-4)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from physnn.errors import PhysnnError, check_array, check_int, check_range
from physnn.fluids.stepping import COURANT_MAX, cfl_step, if_rk4_step

__all__ = ["grf_1d", "solve_burgers", "spectral_resample", "cole_hopf_solution", "COURANT_MAX"]

#: the largest Courant number max|u|·dt/dx accepted for a user-forced step


def grf_1d(n: int, s: int, *, sigma2: float = 625.0, tau2: float = 25.0, alpha: float = 2.0,
           seed: int | np.random.Generator = 0) -> np.ndarray:
    r"""Samples of the periodic Gaussian random field :math:`\mathcal N(0, \sigma^2(-\Delta+\tau^2 I)^{-\alpha})`.

    On :math:`[0,1)` the covariance has eigenfunctions :math:`\sqrt2\cos(2\pi m x)`,
    :math:`\sqrt2\sin(2\pi m x)` with eigenvalues
    :math:`\lambda_m = \sigma^2\big((2\pi m)^2 + \tau^2\big)^{-\alpha}`, so

    .. math::

        u_0(x) = \sum_{1\le m < s/2} \sqrt{2\lambda_m}\,\big(a_m \cos 2\pi m x + b_m \sin 2\pi m x\big),
        \quad a_m, b_m \sim \mathcal N(0, 1).

    The mean mode is left out (as in the FNO data code).  Defaults: the FNO
    paper's Burgers field :math:`625(-\Delta + 25 I)^{-2}`.  Returns (n, s).

        >>> u = grf_1d(2000, 128, seed=0)
        >>> lam1 = 625 / ((2 * np.pi) ** 2 + 25) ** 2      # variance of the m=1 cosine coefficient
        >>> a1 = np.fft.rfft(u, axis=1)[:, 1].real * 2 / 128
        >>> bool(abs(a1.var() / (2 * lam1) - 1) < 0.1)
        True
    """
    n = check_int("n", n, low=1, owner="grf_1d")
    s = check_int("s", s, low=4, owner="grf_1d")
    check_range("sigma2", sigma2, low=0.0, low_inclusive=False, owner="grf_1d")
    check_range("tau2", tau2, low=0.0, owner="grf_1d")
    check_range("alpha", alpha, low=0.0, low_inclusive=False, owner="grf_1d")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    m = np.arange(s // 2 + 1)
    lam = sigma2 * ((2 * np.pi * m) ** 2 + tau2) ** (-alpha)
    a = rng.standard_normal((n, m.size))
    b = rng.standard_normal((n, m.size))
    c = s * np.sqrt(lam / 2) * (a - 1j * b)
    c[:, 0] = 0.0
    if s % 2 == 0:
        c[:, -1] = 0.0  # the Nyquist mode has no sine partner
    return np.fft.irfft(c, n=s, axis=1)


def spectral_resample(u: np.ndarray, s: int) -> np.ndarray:
    """Resample periodic fields (..., s_in) to (..., s) by zero-padding or truncating their spectrum.

    Exact for band-limited fields: up-sampling then down-sampling returns the input.

        >>> x = np.arange(16) / 16
        >>> np.allclose(spectral_resample(np.sin(2 * np.pi * x), 64), np.sin(2 * np.pi * np.arange(64) / 64))
        True
    """
    s = check_int("s", s, low=2, owner="spectral_resample")
    s_in = u.shape[-1]
    c = np.fft.rfft(u, axis=-1)
    out = np.zeros(u.shape[:-1] + (s // 2 + 1,), dtype=complex)
    m = min(s_in, s) // 2  # keep modes 0..m-1 (drop any Nyquist mode)
    out[..., :m] = c[..., :m]
    return np.fft.irfft(out, n=s, axis=-1) * (s / s_in)


def cole_hopf_solution(x: np.ndarray, t: float, *, nu: float, a: float = 0.5) -> np.ndarray:
    r"""An exact periodic solution of viscous Burgers via the Cole–Hopf transform.

    With :math:`\phi(x,t) = 1 + a\,e^{-\nu(2\pi)^2 t}\cos 2\pi x` (a solution
    of the heat equation :math:`\phi_t = \nu\phi_{xx}`, :math:`|a|<1`),
    :math:`u = -2\nu\,\phi_x/\phi` solves :math:`u_t + u u_x = \nu u_{xx}`:

    .. math::

        u(x, t) = \frac{4\pi\nu a\, e^{-4\pi^2\nu t}\sin 2\pi x}{1 + a\,e^{-4\pi^2\nu t}\cos 2\pi x}.
    """
    check_range("a", a, low=-1.0, high=1.0, low_inclusive=False, high_inclusive=False, owner="cole_hopf_solution")
    e = a * np.exp(-nu * (2 * np.pi) ** 2 * t)
    return 4 * np.pi * nu * e * np.sin(2 * np.pi * x) / (1 + e * np.cos(2 * np.pi * x))


def solve_burgers(u0: np.ndarray, *, nu: float = 0.01, t: float | Sequence[float] = 1.0,
                  cfl: float = 0.5, dt: float | None = None, dt_max: float = 0.05, dealias: bool = True) -> np.ndarray:
    r"""Integrate viscous Burgers from ``u0`` (see module docs for the scheme).

    Parameters
    ----------
    u0 : array (s,) or (B, s)
        Initial fields on the uniform grid :math:`x_j = j/s`; a batch shares
        the time step (set by its largest :math:`|u|`).
    nu : float > 0
        Viscosity :math:`\nu`.
    t : float or increasing sequence of floats
        Output time(s); each is hit exactly.
    cfl : float in (0, 1]
        Courant number of the automatic step :math:`\Delta t = C\,\Delta x/\max|u|`.
    dt_max : float > 0
        Cap on the automatic step (for slow, nearly linear flows).
    dt : float, optional
        A fixed step instead (still shortened to land on output times); its
        Courant number is checked every step against :data:`COURANT_MAX`.
    dealias : bool
        The 2/3 rule on :math:`u^2` (switch off only to study aliasing).

    Returns
    -------
    array (B, s) or (s,) for a float ``t``; (B, n_t, s) or (n_t, s) for a sequence.

    Raises
    ------
    PhysnnError
        Bad input, a forced step that violates the CFL condition, or a
        solution that becomes NaN/Inf.

    Example
    -------
        >>> x = np.arange(128) / 128
        >>> u = solve_burgers(cole_hopf_solution(x, 0.0, nu=0.05), nu=0.05, t=0.3, cfl=0.1)
        >>> bool(np.abs(u - cole_hopf_solution(x, 0.3, nu=0.05)).max() < 1e-9)
        True
    """
    owner = "solve_burgers"
    u0 = check_array("u0", u0, ndim=(1, 2), owner=owner).astype(np.float64)
    single = u0.ndim == 1
    u = u0[None] if single else u0
    s = u.shape[1]
    if s < 8:
        raise PhysnnError(f"{owner}: the grid needs at least 8 points; got s={s}.")
    nu = check_range("nu", nu, low=0.0, low_inclusive=False, owner=owner)
    cfl = check_range("cfl", cfl, low=0.0, high=1.0, low_inclusive=False, owner=owner)
    if dt is not None:
        dt = check_range("dt", dt, low=0.0, low_inclusive=False, owner=owner)
    dt_max = check_range("dt_max", dt_max, low=0.0, low_inclusive=False, owner=owner)
    scalar_t = np.ndim(t) == 0
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise PhysnnError(f"{owner}: 't' must be a time >= 0 or increasing times >= 0; got {t!r}.")

    dx = 1.0 / s
    m = np.fft.rfftfreq(s, d=1.0 / s)
    k = 2 * np.pi * m
    lin = -nu * k**2
    mask = (m <= s / 3).astype(float) if dealias else np.ones_like(m)
    ik2 = -0.5j * k * mask

    def nonlin(uh: np.ndarray) -> np.ndarray:
        v = np.fft.irfft(uh * mask, n=s, axis=1)
        return ik2 * np.fft.rfft(v * v, axis=1)

    uh = np.fft.rfft(u, axis=1)
    out = np.empty((u.shape[0], times.size, s))
    now = 0.0
    for j, t_next in enumerate(times):
        while now < t_next - 1e-14 * max(1.0, t_next):
            h = cfl_step(float(np.abs(u).max()), dx, cfl=cfl, dt=dt, dt_max=dt_max, now=now, nu=nu,
                         owner=owner, what="max|u|")
            h = min(h, t_next - now)
            uh = if_rk4_step(uh, lin, nonlin, h)
            u = np.fft.irfft(uh, n=s, axis=1)
            now += h
        if not np.all(np.isfinite(u)):
            raise PhysnnError(
                f"{owner}: the solution blew up (NaN/Inf) before t={t_next:g}; use a smaller "
                f"'cfl' or leave 'dt' unset."
            )
        out[:, j] = u
    if scalar_t:
        out = out[:, 0]
    return out[0] if single else out
