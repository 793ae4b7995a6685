r"""Time stepping shared by the spectral solvers: the CFL step and integrating-factor RK4.

For a semilinear system in Fourier space, v̂_t = L v̂ + N(v̂) with diagonal L,
the integrating factor e^{−Lt} removes the stiff linear (viscous) term and
classical RK4 is applied to the rest (Cox & Matthews 2002, Kassam & Trefethen
2005, "IF-RK4"). With E = e^{Lh/2}:

.. math::

    k_1 = h N(\hat v),\quad k_2 = h N(E(\hat v + k_1/2)),\quad
    k_3 = h N(E\hat v + k_2/2),\quad k_4 = h N(E^2 \hat v + E k_3),

    \hat v(t+h) = E^2 \hat v + (E^2 k_1 + 2E(k_2 + k_3) + k_4)/6.

    >>> import numpy as np
    >>> lin = np.array([-1.0, -4.0])                   # v' = L v: exact e^{Lt}
    >>> v = if_rk4_step(np.ones(2, complex), lin, lambda v: 0 * v, 0.5)
    >>> bool(np.allclose(v, np.exp(lin * 0.5)))
    True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from physnn.errors import PhysnnError

__all__ = ["COURANT_MAX", "cfl_step", "if_rk4_step"]

#: a forced step is refused above this Courant number
COURANT_MAX = 1.0


def cfl_step(speed: float, dx: float, *, cfl: float, dt: float | None, dt_max: float, now: float,
             nu: float, owner: str, what: str = "max|u|") -> float:
    """The next step: ``cfl·dx/speed`` capped at ``dt_max``, or the forced ``dt`` if it obeys the CFL limit.

    ``speed`` is the largest advection speed on the grid (``what`` names it in
    messages).  Raises :class:`PhysnnError` if the field has blown up (NaN/Inf)
    or a forced ``dt`` gives a Courant number ``speed·dt/dx`` above
    :data:`COURANT_MAX`.

        >>> cfl_step(2.0, 0.01, cfl=0.5, dt=None, dt_max=1.0, now=0.0, nu=0.01, owner="demo")
        0.0025
    """
    if not np.isfinite(speed):
        raise PhysnnError(
            f"{owner}: the solution blew up (NaN/Inf) at t={now:.4g}; use a smaller 'cfl' "
            f"(now {cfl}) or leave 'dt' unset, or a finer grid for nu={nu:g}."
        )
    if dt is None:
        return min(cfl * dx / max(speed, 1e-12), dt_max)
    courant = speed * dt / dx
    if courant > COURANT_MAX:
        raise PhysnnError(
            f"{owner}: dt={dt:g} violates the CFL condition at t={now:.4g}: Courant number "
            f"{what}·dt/dx = {courant:.3g} > {COURANT_MAX}; use dt <= "
            f"{COURANT_MAX * dx / speed:.3g} or leave dt unset for a CFL-controlled step."
        )
    return dt


def if_rk4_step(vh: np.ndarray, lin: np.ndarray, nonlin: Callable[[np.ndarray], np.ndarray], h: float) -> np.ndarray:
    """One integrating-factor RK4 step of v̂_t = L v̂ + N(v̂) (see the module docs); returns v̂(t + h)."""
    e = np.exp(lin * h / 2)
    e2 = e * e
    k1 = h * nonlin(vh)
    k2 = h * nonlin(e * (vh + k1 / 2))
    k3 = h * nonlin(e * vh + k2 / 2)
    k4 = h * nonlin(e2 * vh + e * k3)
    return e2 * vh + (e2 * k1 + 2 * e * (k2 + k3) + k4) / 6
