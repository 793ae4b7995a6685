r"""Exact and reference solutions of the built-in PINN problems (NumPy, float64).

Each function takes coordinates as arrays (anything ``numpy.asarray`` or a
torch tensor gives; the coordinates broadcast against each other) and returns
float64 arrays of the broadcast shape — a NumPy scalar for scalar input.

* :func:`burgers_exact` — u_t + u u_x = ν u_xx (ν = 0.01/π) on x∈[−1,1],
  t∈[0,0.99], u(x,0) = −sin πx, u(±1,t) = 0: Cole–Hopf + Gauss–Hermite;
* :func:`poisson1d_exact` — −u'' = π² sin πx on [−1,1], u(±1) = 0 → sin πx
  (source :func:`poisson1d_source`);
* :func:`heat1d_exact` — u_t = α u_xx (α = 0.4) on [0,L], u = 0 at both
  ends, u(x,0) = sin(nπx/L) → e^{−α(nπ/L)²t} sin(nπx/L);
* :func:`diffusion1d_exact` — u_t = C u_xx − e^{−t}(sin πx − π² sin πx),
  C = 1, on [−1,1]×[0,1] → e^{−t} sin πx (source :func:`diffusion1d_source`;
  the inverse problem identifies C);
* :func:`kovasznay_exact` — steady Navier–Stokes + continuity (Re = 20) on
  [−0.5,1]×[−0.5,1.5] → (u, v, p).

:func:`burgers_reference_grid` gives the standard 256 × 100 Burgers grid of
Raissi et al., :func:`relative_l2` the usual PINN error measure
‖pred − ref‖₂ / ‖ref‖₂.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_array, check_int, check_range

__all__ = [
    "burgers_exact",
    "burgers_reference_grid",
    "poisson1d_exact",
    "poisson1d_source",
    "heat1d_exact",
    "diffusion1d_exact",
    "diffusion1d_source",
    "DIFFUSION1D_C",
    "kovasznay_exact",
    "relative_l2",
]

PI = math.pi

#: The true diffusion coefficient of the inverse problem (:func:`diffusion1d_exact`).
DIFFUSION1D_C: float = 1.0

#: Most Gauss–Hermite nodes :func:`burgers_exact` builds (the rule costs O(n²) memory once).
_MAX_NODES = 4096
#: Points × nodes evaluated at once by :func:`burgers_exact` (bounds the temporary memory).
_CHUNK = 1 << 21


def _coords(owner: str, **named: Any) -> list[np.ndarray]:
    """Validate coordinates as finite float64 arrays and broadcast them together."""
    arrays = []
    for name, value in named.items():
        try:
            import torch

            if isinstance(value, torch.Tensor):
                value = value.detach().to(torch.float64).cpu().numpy()
        except ImportError:  # pragma: no cover - torch is a core dependency
            pass
        a = check_array(name, value, min_rows=0, owner=owner)
        arrays.append(np.asarray(a, dtype=np.float64))
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(named, arrays))
        raise PhysnnError(
            f"{owner}: the coordinates must broadcast against each other; got {shapes}. "
            "Pass arrays of the same shape, or e.g. x[None, :] and t[:, None] for a grid."
        ) from None


def _out(a: np.ndarray) -> np.ndarray:
    """Return a 0-d result as a NumPy scalar, anything else unchanged."""
    return a[()] if a.ndim == 0 else a


# ---------------------------------------------------------------------------
# Burgers
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and *log* weights of the n-point Gauss–Hermite rule (weight e^{−s²}).

    ``numpy.polynomial.hermite.hermgauss`` overflows beyond n ≈ 370 and its
    outer weights underflow long before that; Burgers with a small ν needs
    those outer nodes (the integrand there is multiplied by up to
    exp(1/(πν))).  So: Golub–Welsch eigenvalues for a start, three Newton
    steps on the orthonormal Hermite recurrence (rescaled at every step so
    nothing overflows), and log w_i = −log n − 2 log|p_{n−1}(s_i)|.
    Agrees with ``hermgauss`` to ~1e−15 in the nodes and ~1e−15 relative in
    the weights where that works.
    """
    k = np.arange(1, n, dtype=np.float64)
    jacobi = np.diag(np.sqrt(k / 2.0), 1)
    s = np.linalg.eigvalsh(jacobi + jacobi.T)
    s = 0.5 * (s - s[::-1])

    def recurrence(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # orthonormal p_j: p_0 = π^{-1/4}, p_{j+1} = sqrt(2/(j+1)) s p_j − sqrt(j/(j+1)) p_{j−1};
        # returns p_{n−1}, p_n, both divided by exp(log_scale)
        prev = np.zeros_like(s)
        cur = np.full_like(s, PI**-0.25)
        log_scale = np.zeros_like(s)
        for j in range(n):
            nxt = math.sqrt(2.0 / (j + 1)) * s * cur - math.sqrt(j / (j + 1)) * prev
            prev, cur = cur, nxt
            m = np.maximum(np.abs(prev), np.abs(cur))
            prev = prev / m
            cur = cur / m
            log_scale += np.log(m)
        return prev, cur, log_scale

    for _ in range(3):
        p_nm1, p_n, _ = recurrence(s)
        s = s - p_n / (math.sqrt(2.0 * n) * p_nm1)
    s = 0.5 * (s - s[::-1])
    p_nm1, _, log_scale = recurrence(s)
    log_w = -math.log(n) - 2.0 * (np.log(np.abs(p_nm1)) + log_scale)
    log_w = 0.5 * (log_w + log_w[::-1])
    s.setflags(write=False)
    log_w.setflags(write=False)
    return s, log_w


def _burgers_nodes(nu: float, t_max: float) -> int:
    """Gauss–Hermite nodes that give 1e−13 or better for ν ∈ [1e−3, 1], t ≤ 10.

    Two effects set n (η = sqrt(4νt)·s): the peaks of f(x − η) sit at
    s ≈ 1/sqrt(4νt) and matter while 1/(4νt) ≲ 1/(πν), so the nodes must
    reach that far (the 1/ν term); and the Gaussian covers more periods of f
    as νt grows, each peak ~1/sqrt(t) wide in s (the t term).  Constants fit
    to self-convergence runs, with margin.
    """
    return int(math.ceil(48.0 + 70.0 * t_max * (1.0 + 4.0 * math.sqrt(nu)) + 0.2 / nu))


def burgers_exact(x: Any, t: Any, nu: float = 0.01 / PI, *, n_quad: int | None = None) -> np.ndarray:
    r"""Exact solution of the viscous Burgers problem of Raissi et al. and Basdevant et al.

    .. math::

        u_t + u\,u_x = \nu\,u_{xx},\quad x\in[-1,1],\ t\in[0,0.99],\qquad
        u(x,0) = -\sin(\pi x),\quad u(\pm 1,t) = 0,\quad \nu = 0.01/\pi .

    The Cole–Hopf transform u = −2ν φ_x/φ, φ_t = ν φ_xx gives

    .. math::

        u(x,t) = -\frac{\int \sin(\pi(x-\eta))\,f(x-\eta)\,e^{-\eta^2/(4\nu t)}\,d\eta}
                       {\int f(x-\eta)\,e^{-\eta^2/(4\nu t)}\,d\eta},
        \qquad f(y) = \exp\!\Big(-\frac{\cos(\pi y)}{2\pi\nu}\Big),

    evaluated, as by Basdevant et al. (1986), with Gauss–Hermite quadrature
    after η = sqrt(4νt)·s, in log-sum-exp form (f spans e^{±1/(2πν)} = e^{±50}).
    At t = 0 it returns −sin(πx) exactly.  For |x| > 1 it is the 2-periodic
    (odd) extension.

    Parameters
    ----------
    x, t : array_like
        Coordinates; they broadcast (e.g. ``x[None, :]``, ``t[:, None]``); t ≥ 0.
    nu : float
        Viscosity ν > 0 (default 0.01/π).
    n_quad : int, optional
        Gauss–Hermite nodes.  Default: chosen from ν and max t —
        196 for ν = 0.01/π, t ≤ 0.99 (where 80 nodes already agree with
        2 × 196 to 1e−13) — enough for 1e−13 for ν ∈ [1e−3, 1], t ≤ 10.

    Returns
    -------
    numpy.ndarray
        u, float64, of the broadcast shape of x and t.

    Examples
    --------
    >>> float(burgers_exact(0.5, 0.0))
    -1.0
    >>> u = burgers_exact([-1.0, 0.0, 1.0], 0.5)
    >>> bool(np.all(np.abs(u) < 1e-12))
    True
    >>> round(float(burgers_exact(-0.01, 0.5)), 10)  # just left of the shock
    0.8980496423
    """
    owner = "burgers_exact"
    nu = check_range("nu", nu, low=0.0, low_inclusive=False, owner=owner)
    x, t = _coords(owner, x=x, t=t)
    if t.size and float(t.min()) < 0.0:
        raise PhysnnError(
            f"{owner}: 't' must be >= 0 (the solution starts at t = 0); got min(t) = {float(t.min())!r}."
        )
    t_max = float(t.max()) if t.size else 0.0
    if n_quad is None:
        n = _burgers_nodes(nu, t_max)
        if n > _MAX_NODES:
            raise PhysnnError(
                f"{owner}: nu = {nu:g} with t up to {t_max:g} needs about {n} Gauss–Hermite "
                f"nodes, more than the {_MAX_NODES} this function builds; use t <= "
                f"{(_MAX_NODES - 48 - 0.2 / nu) / (70 * (1 + 4 * math.sqrt(nu))):.3g}, a larger nu, "
                f"or pass n_quad <= {_MAX_NODES} and check convergence (n vs 2n) yourself."
            )
    else:
        n = check_int("n_quad", n_quad, low=2, high=_MAX_NODES, owner=owner)
    u = np.array(-np.sin(PI * x), dtype=np.float64)  # exact at t = 0; replaced where t > 0
    pos = t > 0.0
    if pos.any():
        s, log_w = _gauss_hermite(n)
        amp = 1.0 / (2.0 * PI * nu)
        xs, ts = x[pos], t[pos]
        vals = np.empty(xs.shape, dtype=np.float64)
        step = max(1, _CHUNK // n)
        for lo in range(0, xs.size, step):
            xc = xs[lo : lo + step, None]
            sigma = np.sqrt(4.0 * nu * ts[lo : lo + step, None])
            y = xc - sigma * s  # (chunk, n)
            expo = log_w - amp * np.cos(PI * y)
            expo -= expo.max(axis=1, keepdims=True)
            g = np.exp(expo)
            vals[lo : lo + step] = -(np.sin(PI * y) * g).sum(axis=1) / g.sum(axis=1)
        u[pos] = vals
    return _out(u)


@functools.lru_cache(maxsize=4)
def _burgers_grid(nx: int, nt: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.linspace(-1.0, 1.0, nx)
    t = np.linspace(0.0, 0.99, nt)
    U = burgers_exact(x[None, :], t[:, None])
    for a in (x, t, U):
        a.setflags(write=False)
    return x, t, U


def burgers_reference_grid(nx: int = 256, nt: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Burgers solution (ν = 0.01/π) on the standard grid of Raissi et al.

    x = linspace(−1, 1, nx), t = linspace(0, 0.99, nt); returns
    ``(x, t, U)`` with ``U[i, j] = u(x[j], t[i])``, shape (nt, nx).  Cached
    (the first 256 × 100 call takes a fraction of a second); each call
    returns fresh copies, so editing them is safe.

    >>> x, t, U = burgers_reference_grid()
    >>> x.shape, t.shape, U.shape
    ((256,), (100,), (100, 256))
    >>> bool(np.array_equal(U[0], -np.sin(np.pi * x)))
    True
    """
    nx = check_int("nx", nx, low=2, owner="burgers_reference_grid")
    nt = check_int("nt", nt, low=2, owner="burgers_reference_grid")
    x, t, U = _burgers_grid(nx, nt)
    return x.copy(), t.copy(), U.copy()


# ---------------------------------------------------------------------------
# Poisson, heat, diffusion
# ---------------------------------------------------------------------------


def poisson1d_exact(x: Any) -> np.ndarray:
    r"""Exact solution of DeepXDE's 1-D Poisson–Dirichlet example.

    .. math:: -u''(x) = \pi^2 \sin(\pi x),\quad x\in[-1,1],\quad u(\pm1)=0
              \qquad\Rightarrow\qquad u(x) = \sin(\pi x).

    (Equivalently u'' = −π² sin(πx); the source is :func:`poisson1d_source`.)

    >>> poisson1d_exact([-1.0, 0.5, 1.0]).round(12) + 0.0
    array([0., 1., 0.])
    """
    (x,) = _coords("poisson1d_exact", x=x)
    return _out(np.sin(PI * x))


def poisson1d_source(x: Any) -> np.ndarray:
    r"""Source f of the 1-D Poisson problem −u'' = f: f(x) = π² sin(πx).

    >>> float(poisson1d_source(0.5)) == np.pi**2
    True
    """
    (x,) = _coords("poisson1d_source", x=x)
    return _out(PI**2 * np.sin(PI * x))


def heat1d_exact(x: Any, t: Any, alpha: float = 0.4, L: float = 1.0, n: int = 1) -> np.ndarray:
    r"""Exact solution of the 1-D heat equation with a sine start (DeepXDE's heat example).

    .. math::

        u_t = \alpha u_{xx},\ x\in[0,L],\ t\ge0,\qquad u(0,t)=u(L,t)=0,\quad
        u(x,0)=\sin(n\pi x/L)

        \Rightarrow\quad u(x,t) = e^{-\alpha (n\pi/L)^2 t}\,\sin(n\pi x/L).

    DeepXDE uses α = 0.4, L = 1, n = 1, t ∈ [0, 1].

    >>> bool(abs(heat1d_exact(0.5, 1.0) - np.exp(-0.4 * np.pi**2)) < 1e-15)
    True
    """
    owner = "heat1d_exact"
    alpha = check_range("alpha", alpha, low=0.0, owner=owner)
    L = check_range("L", L, low=0.0, low_inclusive=False, owner=owner)
    n = check_int("n", n, low=1, owner=owner)
    x, t = _coords(owner, x=x, t=t)
    k = n * PI / L
    return _out(np.exp(-alpha * k * k * t) * np.sin(k * x))


def diffusion1d_exact(x: Any, t: Any) -> np.ndarray:
    r"""Exact solution of DeepXDE's diffusion example (and its inverse problem).

    .. math::

        u_t = C\,u_{xx} + s(x,t),\quad s = -e^{-t}\big(\sin\pi x - \pi^2\sin\pi x\big),
        \quad x\in[-1,1],\ t\in[0,1],

        u(x,0) = \sin\pi x,\quad u(\pm1,t) = 0
        \quad\Rightarrow\quad u(x,t) = e^{-t}\sin(\pi x)\quad (C = 1).

    The inverse problem identifies C from data of u; its true value is
    :data:`DIFFUSION1D_C` = 1.  The source s is :func:`diffusion1d_source`.

    >>> bool(abs(diffusion1d_exact(0.5, 1.0) - np.exp(-1.0)) < 1e-15)
    True
    """
    x, t = _coords("diffusion1d_exact", x=x, t=t)
    return _out(np.exp(-t) * np.sin(PI * x))


def diffusion1d_source(x: Any, t: Any) -> np.ndarray:
    r"""Source s of the diffusion problem u_t = C u_xx + s (see :func:`diffusion1d_exact`).

    s(x, t) = −e^{−t}(sin πx − π² sin πx) = (π² − 1) e^{−t} sin(πx).

    >>> bool(abs(diffusion1d_source(0.5, 0.0) - (np.pi**2 - 1)) < 1e-14)
    True
    """
    x, t = _coords("diffusion1d_source", x=x, t=t)
    sx = np.sin(PI * x)
    return _out(-np.exp(-t) * (sx - PI**2 * sx))


# ---------------------------------------------------------------------------
# Kovasznay
# ---------------------------------------------------------------------------


def kovasznay_exact(x: Any, y: Any, Re: float = 20.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Kovasznay's exact steady Navier–Stokes flow (behind a grid), DeepXDE's setting.

    .. math::

        u u_x + v u_y + p_x - \tfrac{1}{Re}(u_{xx}+u_{yy}) = 0,\quad
        u v_x + v v_y + p_y - \tfrac{1}{Re}(v_{xx}+v_{yy}) = 0,\quad
        u_x + v_y = 0,

    on (x, y) ∈ [−0.5, 1] × [−0.5, 1.5] with Dirichlet data from

    .. math::

        \lambda = \tfrac{Re}{2} - \sqrt{\tfrac{Re^2}{4} + 4\pi^2},\quad
        u = 1 - e^{\lambda x}\cos 2\pi y,\quad
        v = \tfrac{\lambda}{2\pi} e^{\lambda x}\sin 2\pi y,\quad
        p = \tfrac12\big(1 - e^{2\lambda x}\big).

    Returns ``(u, v, p)``, each of the broadcast shape of x and y.

    >>> u, v, p = kovasznay_exact([0.0, 1.0], [0.125, 0.375])
    >>> u.round(6), v.round(6), p.round(6)
    (array([0.292893, 1.11571 ]), array([-0.203708, -0.033334]), array([0.      , 0.486611]))
    """
    owner = "kovasznay_exact"
    Re = check_range("Re", Re, low=0.0, low_inclusive=False, owner=owner)
    x, y = _coords(owner, x=x, y=y)
    lam = 0.5 * Re - math.sqrt(0.25 * Re * Re + 4.0 * PI * PI)
    e = np.exp(lam * x)
    u = 1.0 - e * np.cos(2.0 * PI * y)
    v = lam / (2.0 * PI) * e * np.sin(2.0 * PI * y)
    p = 0.5 * (1.0 - e * e)
    return _out(u), _out(v), _out(p)


# ---------------------------------------------------------------------------
# error measure
# ---------------------------------------------------------------------------


def _as_float64(name: str, value: Any, *, finite: bool) -> np.ndarray:
    try:
        import torch

        if isinstance(value, torch.Tensor):
            value = value.detach().to(torch.float64).cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    a = check_array(name, value, min_rows=0, finite=finite, owner="relative_l2")
    return np.asarray(a, dtype=np.float64)


def relative_l2(pred: Any, ref: Any) -> float:
    r"""The relative L² error ‖pred − ref‖₂ / ‖ref‖₂ (NumPy arrays or torch tensors).

    The shapes must be equal — (N, 1) against (N,) is refused rather than
    broadcast to an (N, N) error.  ``ref`` must be finite and not all zero;
    NaN/Inf in ``pred`` (a diverged model) give NaN/Inf.

    >>> relative_l2([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_l2([3.0, 0.0], [0.0, 4.0]), 12)
    1.25
    >>> relative_l2(np.zeros((5, 1)), np.ones(5))
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: relative_l2: 'pred' and 'ref' must have the same shape; got pred (5, 1) and ref (5,). Reshape one of them, e.g. pred.reshape(ref.shape).
    """
    p = _as_float64("pred", pred, finite=False)
    r = _as_float64("ref", ref, finite=True)
    if p.shape != r.shape:
        raise PhysnnError(
            f"relative_l2: 'pred' and 'ref' must have the same shape; got pred {p.shape} "
            f"and ref {r.shape}. Reshape one of them, e.g. pred.reshape(ref.shape)."
        )
    denom = float(np.linalg.norm(r.ravel()))
    if denom == 0.0:
        raise PhysnnError(
            f"relative_l2: 'ref' is all zeros (shape {r.shape}), so the relative error is "
            "undefined; use the absolute error np.linalg.norm(pred - ref) instead."
        )
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.linalg.norm((p - r).ravel()) / denom)
