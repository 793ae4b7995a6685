"""N-subjettiness against hand-derived values and an independent brute-force implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("fastjet")

from physnn.errors import PhysnnError  # noqa: E402
from physnn.hep.nsubjettiness import (  # noqa: E402
    delta_phi,
    exclusive_kt_axes,
    kinematics,
    nsubjettiness,
    ptyphim_to_p4,
    tau_from_axes,
)

R0 = 0.8


def _pencil(pt: float, y: float, phi: float, fractions=(0.6, 0.3, 0.1)) -> np.ndarray:
    """A prong made of collinear massless particles sharing ``pt``."""
    return ptyphim_to_p4(np.array(fractions) * pt, np.full(len(fractions), y), np.full(len(fractions), phi))


def test_two_pencil_prongs_unequal_pt_match_hand_computation():
    # prong 1: pT1 at phi=+a, prong 2: pT2 at phi=-a, both at y=0 and massless.
    # E-scheme axis: pz = 0 -> y = 0; tan(phi_axis) = (pT1 - pT2) / (pT1 + pT2) * tan(a).
    # tau1 = (pT1 |a - phi_axis| + pT2 |a + phi_axis|) / ((pT1 + pT2) R0),  tau2 = 0.
    pt1, pt2, a = 300.0, 100.0, 0.25
    p4 = np.vstack([_pencil(pt1, 0.0, a), _pencil(pt2, 0.0, -a)])
    phi_axis = math.atan((pt1 - pt2) / (pt1 + pt2) * math.tan(a))
    tau1_hand = (pt1 * abs(a - phi_axis) + pt2 * abs(a + phi_axis)) / ((pt1 + pt2) * R0)
    taus = nsubjettiness(p4, n_max=4, r0=R0)
    assert taus[0] == pytest.approx(tau1_hand, rel=1e-9)
    assert taus[1] == pytest.approx(0.0, abs=1e-9)
    assert taus[2] == pytest.approx(0.0, abs=1e-9) and taus[3] == pytest.approx(0.0, abs=1e-9)


def test_three_prongs_give_tau3_zero_and_tau2_positive():
    p4 = np.vstack([_pencil(200.0, 0.0, 0.0), _pencil(150.0, 0.3, 0.2), _pencil(100.0, -0.2, 0.3)])
    taus = nsubjettiness(p4, n_max=4)
    assert taus[0] > taus[1] > 0.01
    assert taus[2] == pytest.approx(0.0, abs=1e-9)
    assert taus[3] == pytest.approx(0.0, abs=1e-9)


def test_fewer_constituents_than_axes_gives_zero():
    p4 = ptyphim_to_p4([10.0, 5.0], [0.0, 0.1], [0.0, 0.2])
    assert nsubjettiness(p4, n_max=4)[1:].tolist() == [0.0, 0.0, 0.0]
    assert nsubjettiness(np.zeros((0, 4)), n_max=4).tolist() == [0.0] * 4


def _brute_exclusive_kt(p4: np.ndarray, n: int) -> np.ndarray:
    """Independent O(M^3) exclusive kt clustering (E-scheme, R huge: only pair merges)."""
    jets = [list(map(float, row)) for row in p4]

    def ypt(v):
        px, py, pz, e = v
        return 0.5 * math.log((e + pz) / (e - pz)), math.atan2(py, px), math.hypot(px, py)

    while len(jets) > n:
        best = None
        for i in range(len(jets)):
            yi, fi, pti = ypt(jets[i])
            for j in range(i + 1, len(jets)):
                yj, fj, ptj = ypt(jets[j])
                dphi = abs(fi - fj)
                dphi = min(dphi, 2 * math.pi - dphi)
                dij = min(pti**2, ptj**2) * ((yi - yj) ** 2 + dphi**2)
                if best is None or dij < best[0]:
                    best = (dij, i, j)
        _, i, j = best
        merged = [a + b for a, b in zip(jets[i], jets[j])]
        jets = [v for k, v in enumerate(jets) if k not in (i, j)] + [merged]
    return np.array(jets)


def _brute_tau(p4: np.ndarray, axes: np.ndarray) -> float:
    num = den = 0.0
    for px, py, pz, e in p4:
        pt = math.hypot(px, py)
        y = 0.5 * math.log((e + pz) / (e - pz))
        phi = math.atan2(py, px)
        dmin = math.inf
        for ax, ay, az, ae in axes:
            ya = 0.5 * math.log((ae + az) / (ae - az))
            dphi = abs(phi - math.atan2(ay, ax))
            dphi = min(dphi, 2 * math.pi - dphi)
            dmin = min(dmin, math.hypot(y - ya, dphi))
        num += pt * dmin
        den += pt
    return num / (den * R0)


def test_random_jet_agrees_with_brute_force_reference():
    rng = np.random.default_rng(4)
    m = 25
    p4 = ptyphim_to_p4(rng.exponential(20.0, m) + 1.0, rng.normal(0.0, 0.3, m),
                       rng.normal(3.0, 0.3, m),  # near the ±π seam on purpose
                       rng.uniform(0.0, 0.5, m))
    axes = exclusive_kt_axes(p4, 4)
    taus = nsubjettiness(p4, 4)
    for n in range(1, 5):
        ref_axes = _brute_exclusive_kt(p4, n)
        # same axes up to ordering
        key = lambda a: np.round(a[np.argsort(a[:, 3])], 6)  # noqa: E731
        np.testing.assert_allclose(key(axes[n - 1]), key(ref_axes), rtol=1e-9, atol=1e-6)
        assert taus[n - 1] == pytest.approx(_brute_tau(p4, ref_axes), rel=1e-9)


def test_tau_from_axes_single_axis_hand_value():
    p4 = ptyphim_to_p4([1.0, 3.0], [0.0, 0.0], [-0.2, 0.4])
    ax = ptyphim_to_p4([1.0], [0.0], [0.0])
    assert tau_from_axes(p4, ax, r0=0.8) == pytest.approx((0.2 + 3 * 0.4) / (4 * 0.8))


def test_kinematics_and_delta_phi():
    p4 = ptyphim_to_p4([50.0], [1.2], [-2.0], [10.0])
    k = kinematics(p4)
    assert k["pt"][0] == pytest.approx(50.0)
    assert k["y"][0] == pytest.approx(1.2)
    assert k["phi"][0] == pytest.approx(-2.0)
    assert k["mass"][0] == pytest.approx(10.0)
    assert abs(k["eta"][0]) > abs(k["y"][0])  # |eta| > |y| for a massive particle
    assert delta_phi(3.1, -3.1) == pytest.approx(6.2 - 2 * math.pi)
    assert -math.pi <= float(delta_phi(math.pi, -math.pi)) < math.pi


def test_bad_shape_is_a_clear_error():
    with pytest.raises(PhysnnError, match=r"shape \(M, 4\)"):
        exclusive_kt_axes(np.ones((3, 3)), 2)
    with pytest.raises(PhysnnError, match="n_max"):
        exclusive_kt_axes(np.ones((3, 4)), 0)
