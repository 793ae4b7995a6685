"""Jet substructure: N-subjettiness with exclusive-kt axes, and constituent kinematics.

N-subjettiness (Thaler & Van Tilburg, JHEP 03 (2011) 015) measures how well a
jet is described by ``N`` sub-jets.  With the constituents ``k`` of a jet,
their transverse momenta :math:`p_{T,k}`, and ``N`` axes :math:`a_1 \\dots a_N`:

.. math::

    \\tau_N = \\frac{1}{d_0} \\sum_k p_{T,k}\\,
              \\min\\big(\\Delta R_{1k}, \\dots, \\Delta R_{Nk}\\big)^{\\beta},
    \\qquad d_0 = R_0^{\\beta} \\sum_k p_{T,k},

with :math:`\\beta = 1`, :math:`R_0` = the jet radius (0.8) and
:math:`\\Delta R^2 = \\Delta y^2 + \\Delta\\phi^2` (rapidity ``y``, as FastJet
measures distances).  The axes are the *exclusive-kt axes*: the constituents
are reclustered with the kt algorithm (E-scheme, :math:`R = 1000`, i.e. one
jet in the end) and the clustering is stopped at ``N`` jets — the same axes as
``fastjet::contrib::ExclusiveJetAxes`` with ``NormalizedMeasure(1, R0)``.

A jet with ``M <= N`` constituents has :math:`\\tau_N = 0` (every constituent
is its own axis).  The ratios :math:`\\tau_{21} = \\tau_2/\\tau_1` (two-prong,
W/Z) and :math:`\\tau_{32} = \\tau_3/\\tau_2` (three-prong, top) are the classic
taggers; a ratio whose denominator is 0 is set to 0.

    >>> import numpy as np
    >>> # two massless prongs of equal pT, 0.4 apart in phi: tau_2 = 0 and
    >>> # tau_1 = (0.2 + 0.2) / 2 / 0.8 = 0.25 (the axis lies half-way)
    >>> c = np.array([[100.0, 0.0, -0.2], [100.0, 0.0, 0.2]])   # (pt, y, phi)
    >>> p4 = ptyphim_to_p4(c[:, 0], c[:, 1], c[:, 2])
    >>> np.round(nsubjettiness(p4, n_max=2), 6)
    array([0.25, 0.  ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_int, check_range

__all__ = [
    "ptyphim_to_p4",
    "kinematics",
    "delta_phi",
    "exclusive_kt_axes",
    "tau_from_axes",
    "nsubjettiness",
]


def ptyphim_to_p4(pt: Any, y: Any, phi: Any, m: Any = 0.0) -> np.ndarray:
    """Four-vectors ``(px, py, pz, E)`` from ``pT``, rapidity ``y``, ``phi`` and mass.

    :math:`p_x = p_T\\cos\\phi,\\ p_y = p_T\\sin\\phi,\\ m_T = \\sqrt{p_T^2+m^2},\\
    p_z = m_T\\sinh y,\\ E = m_T\\cosh y`.  Shapes broadcast; the result has a
    trailing axis of 4.

        >>> ptyphim_to_p4(1.0, 0.0, 0.0).tolist()
        [1.0, 0.0, 0.0, 1.0]
    """
    pt, y, phi, m = (np.asarray(v, dtype=np.float64) for v in (pt, y, phi, m))
    mt = np.sqrt(pt**2 + m**2)
    return np.stack(
        np.broadcast_arrays(pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(y), mt * np.cosh(y)),
        axis=-1,
    )


def kinematics(p4: Any) -> dict[str, np.ndarray]:
    """``pt``, pseudorapidity ``eta``, rapidity ``y``, ``phi`` in (-π, π] and ``mass`` of four-vectors.

    ``p4`` has shape ``(..., 4)`` with columns ``(px, py, pz, E)``.  A particle
    along the beam (pT = 0) gets ``eta = ±1e5`` rather than ±inf; the mass of a
    slightly space-like vector (rounding) is clipped to 0.

        >>> k = kinematics([[3.0, 4.0, 0.0, 5.0]])
        >>> float(k["pt"][0]), float(k["eta"][0]), float(k["mass"][0])
        (5.0, 0.0, 0.0)
    """
    p = np.asarray(p4, dtype=np.float64)
    px, py, pz, e = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    pt = np.hypot(px, py)
    pabs = np.sqrt(pt**2 + pz**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.where(pt > 0, np.arcsinh(np.divide(pz, pt, where=pt > 0, out=np.zeros_like(pt))),
                       np.sign(pz) * 1e5)
        y = 0.5 * np.log(np.divide(e + pz, e - pz, where=(e - pz) > 0, out=np.full_like(e, 1e10)))
    m2 = e**2 - pabs**2
    return {
        "pt": pt,
        "eta": eta,
        "y": y,
        "phi": np.arctan2(py, px),
        "mass": np.sqrt(np.clip(m2, 0.0, None)),
    }


def delta_phi(a: Any, b: Any) -> np.ndarray:
    """``a - b`` wrapped into [-π, π).

        >>> round(float(delta_phi(3.0, -3.0)), 6)
        -0.283185
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return (d + np.pi) % (2.0 * np.pi) - np.pi


def _as_p4(x: Any, owner: str) -> np.ndarray:
    """``x`` as a float64 ``(M, 4)`` array of finite four-vectors (no torch import: this runs per jet)."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise PhysnnError(f"{owner}: 'p4' must be a numeric (M, 4) array of (px, py, pz, E); got {type(x).__name__}.") from None
    if a.ndim != 2 or a.shape[1] != 4:
        raise PhysnnError(
            f"{owner}: 'p4' must have shape (M, 4) — one row (px, py, pz, E) per constituent; got shape {a.shape}. "
            "For one particle use p4.reshape(1, 4)."
        )
    if not np.isfinite(a).all():
        raise PhysnnError(f"{owner}: 'p4' holds NaN or Inf; drop those constituents first.")
    return a


def _pseudojets(p4: np.ndarray) -> list:
    import fastjet

    out = []
    for i, (px, py, pz, e) in enumerate(p4.tolist()):
        pj = fastjet.PseudoJet(px, py, pz, e)
        pj.set_user_index(i)
        out.append(pj)
    return out


def exclusive_kt_axes(p4: Any, n_max: int = 4) -> list[np.ndarray]:
    """The exclusive-kt axes for N = 1 … ``n_max``: a list of ``(N, 4)`` four-vector arrays.

    The constituents ``p4`` (shape ``(M, 4)``, columns ``px, py, pz, E``) are
    clustered *once* with ``fastjet.JetDefinition(kt_algorithm, 1000.0)`` (the
    two-argument form: E-scheme recombination) and ``exclusive_jets(N)`` is
    read off the same clustering for each N.  For ``N >= M`` the axes are the
    constituents themselves.

        >>> p4 = ptyphim_to_p4([100.0, 50.0, 1.0], [0.0, 0.5, 0.1], [0.0, 0.3, 0.05])
        >>> [a.shape for a in exclusive_kt_axes(p4, 3)]
        [(1, 4), (2, 4), (3, 4)]
    """
    import fastjet

    p4 = _as_p4(p4, "exclusive_kt_axes")
    n_max = check_int("n_max", n_max, low=1, owner="exclusive_kt_axes")
    m = p4.shape[0]
    axes: list[np.ndarray] = []
    cs = fastjet.ClusterSequence(_pseudojets(p4), fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0))
    for n in range(1, n_max + 1):
        if n >= m:
            axes.append(p4.copy())
            continue
        jets = cs.exclusive_jets(n)
        axes.append(np.array([[j.px(), j.py(), j.pz(), j.E()] for j in jets], dtype=np.float64))
    return axes


def tau_from_axes(p4: Any, axes: Any, *, r0: float = 0.8, beta: float = 1.0) -> float:
    """:math:`\\tau_N` of constituents ``p4`` ``(M, 4)`` for given ``axes`` ``(N, 4)``.

    Distances are :math:`\\Delta R = \\sqrt{\\Delta y^2 + \\Delta\\phi^2}` in
    rapidity and azimuth, normalised by :math:`d_0 = R_0^\\beta \\sum_k p_{T,k}`.
    Returns 0 for an empty jet.

        >>> p4 = ptyphim_to_p4([1.0, 1.0], [0.0, 0.0], [-0.1, 0.1])
        >>> round(tau_from_axes(p4, ptyphim_to_p4([1.0], [0.0], [0.0])), 6)   # (0.1+0.1)/(2*0.8)
        0.125
    """
    r0 = check_range("r0", r0, low=0.0, low_inclusive=False, owner="tau_from_axes")
    beta = check_range("beta", beta, low=0.0, low_inclusive=False, owner="tau_from_axes")
    c = kinematics(p4)
    a = kinematics(np.atleast_2d(np.asarray(axes, dtype=np.float64)))
    if c["pt"].size == 0 or a["pt"].size == 0:
        return 0.0
    dy = c["y"][:, None] - a["y"][None, :]
    dphi = delta_phi(c["phi"][:, None], a["phi"][None, :])
    dr = np.sqrt(dy**2 + dphi**2).min(axis=1)
    d0 = r0**beta * c["pt"].sum()
    if d0 <= 0:
        return 0.0
    return float((c["pt"] * dr**beta).sum() / d0)


def nsubjettiness(p4: Any, n_max: int = 4, *, r0: float = 0.8, beta: float = 1.0) -> np.ndarray:
    """:math:`(\\tau_1, \\dots, \\tau_{n_{max}})` of one jet's constituents, exclusive-kt axes.

    ``p4``: ``(M, 4)`` constituents ``(px, py, pz, E)``; returns shape ``(n_max,)``.
    Normalised as in the module docstring (``NormalizedMeasure(beta, r0)``).

        >>> p4 = ptyphim_to_p4([100.0, 100.0, 100.0], [0.0, 0.0, 0.3], [-0.2, 0.2, 0.0])
        >>> np.round(nsubjettiness(p4, n_max=4), 6)[2:]        # three prongs: tau3 = tau4 = 0
        array([0., 0.])
    """
    p4 = _as_p4(p4, "nsubjettiness")
    if p4.shape[0] == 0:
        return np.zeros(int(n_max))
    return np.array(
        [tau_from_axes(p4, ax, r0=r0, beta=beta) for ax in exclusive_kt_axes(p4, n_max)],
        dtype=np.float64,
    )
