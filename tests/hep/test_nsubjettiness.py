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


# ----------------------------------------------------------------------------- the one-pass implementation
def _previous_nsubjettiness(p4: np.ndarray, n_max: int = 4, r0: float = R0, beta: float = 1.0) -> np.ndarray:
    """The implementation before the one-pass rewrite, frozen here as the reference: Python ``PseudoJet`` s,
    ``exclusive_jets(N)`` per N, and every τ_N from its own kinematics (the same formulas as ``kinematics``)."""
    import fastjet

    def kin(p):
        px, py, pz, e = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
        with np.errstate(divide="ignore", invalid="ignore"):
            y = 0.5 * np.log(np.divide(e + pz, e - pz, where=(e - pz) > 0, out=np.full_like(e, 1e10)))
        return np.hypot(px, py), y, np.arctan2(py, px)

    m = len(p4)
    if m == 0:
        return np.zeros(n_max)
    pseudojets = []
    for i, (px, py, pz, e) in enumerate(p4.tolist()):
        pj = fastjet.PseudoJet(px, py, pz, e)
        pj.set_user_index(i)
        pseudojets.append(pj)
    cs = fastjet.ClusterSequence(pseudojets, fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0))
    pt, y, phi = kin(p4)
    taus = []
    for n in range(1, n_max + 1):
        axes = p4.copy() if n >= m else np.array([[j.px(), j.py(), j.pz(), j.E()] for j in cs.exclusive_jets(n)])
        _, ay, aphi = kin(axes)
        dy = y[:, None] - ay[None, :]
        d = phi[:, None] - aphi[None, :]
        dphi = (d + np.pi) % (2.0 * np.pi) - np.pi
        dr = np.sqrt(dy**2 + dphi**2).min(axis=1)
        d0 = r0**beta * pt.sum()
        taus.append(0.0 if d0 <= 0 else float((pt * dr**beta).sum() / d0))
    return np.array(taus)


def _random_jets(seed: int = 11, count: int = 50) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    jets = []
    for i in range(count):
        m = int(rng.integers(5, 121))
        phi0 = 3.0 if i % 3 == 0 else rng.uniform(-3.0, 3.0)  # every third jet straddles the ±π seam
        jets.append(ptyphim_to_p4(rng.exponential(15.0, m) + 0.5, rng.normal(rng.uniform(-2, 2), 0.3, m),
                                  rng.normal(phi0, 0.3, m), rng.choice([0.0, 0.14, 0.5], m)))
    # edge cases: one constituent, fewer constituents than N (2, 3), exactly N, two identical particles
    jets += [jets[0][:1], jets[1][:2], jets[2][:3], jets[3][:4], np.vstack([jets[4][:1], jets[4][:1], jets[4][1:3]])]
    return jets


@pytest.fixture(params=["ext", "swig"])
def backend(request, monkeypatch):
    """Run a test with each clustering backend (the compiled array interface, the reference PseudoJet path)."""
    import physnn.hep.nsubjettiness as ns

    ns._kt_exclusive(ptyphim_to_p4([2.0, 1.0], [0.0, 0.1], [0.0, 0.1]), [1])  # choose the backend
    if request.param == "ext" and ns._backend["kind"] != "ext":
        pytest.skip("fastjet._ext is not usable with this fastjet version (the PseudoJet path is used)")
    monkeypatch.setitem(ns._backend, "kind", request.param)
    return request.param


def test_one_pass_equals_previous_implementation_on_random_jets(backend):
    for p4 in _random_jets():
        for n_max in (4, 1, 6):
            np.testing.assert_allclose(nsubjettiness(p4, n_max), _previous_nsubjettiness(p4, n_max), rtol=1e-12, atol=0)
        np.testing.assert_allclose(nsubjettiness(p4, 3, r0=1.0, beta=2.0),
                                   _previous_nsubjettiness(p4, 3, r0=1.0, beta=2.0), rtol=1e-12, atol=0)
    assert nsubjettiness(np.zeros((0, 4)), 4).tolist() == [0.0] * 4


def _brute_force_exclusive_kt(p4: np.ndarray, n: int, r: float = 1000.0) -> np.ndarray:
    """Exclusive kt jets by the definition, independent of FastJet: merge the pair with the smallest
    d_ij = min(kt_i², kt_j²) ΔR_ij² / R² (E-scheme) until ``n`` jets are left (at R = 1000 no d_iB = kt_i²
    is ever smaller, so no jet goes to the beam)."""
    jets = [row.copy() for row in p4]
    while len(jets) > n:
        p = np.array(jets)
        kt2 = p[:, 0] ** 2 + p[:, 1] ** 2
        y = 0.5 * np.log((p[:, 3] + p[:, 2]) / (p[:, 3] - p[:, 2]))
        phi = np.arctan2(p[:, 1], p[:, 0])
        dphi = np.abs(phi[:, None] - phi[None, :])
        dphi = np.minimum(dphi, 2 * np.pi - dphi)
        d = np.minimum(kt2[:, None], kt2[None, :]) * ((y[:, None] - y[None, :]) ** 2 + dphi**2) / r**2
        np.fill_diagonal(d, np.inf)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        jets[i] = p[i] + p[j]
        del jets[j]
    return np.array(jets)


def test_axes_equal_brute_force_exclusive_kt(backend):
    # both backends against the definition (for "swig" a comparison with ClusterSequence would compare
    # the code with itself); as sets of four-vectors, the order of the axes does not enter tau_N
    for p4 in _random_jets(seed=3, count=10):
        for n, axes in enumerate(exclusive_kt_axes(p4, 5), start=1):
            ref = p4 if n >= len(p4) else _brute_force_exclusive_kt(p4, n)
            assert axes.shape == ref.shape
            np.testing.assert_allclose(axes[np.lexsort(axes.T)], ref[np.lexsort(ref.T)], rtol=1e-12, atol=0)


def test_one_pass_axes_equal_fastjet_pseudojet_path():
    # the compiled array interface against the documented ClusterSequence path, bit for bit and in order
    import fastjet

    import physnn.hep.nsubjettiness as ns

    ns._kt_exclusive(ptyphim_to_p4([2.0, 1.0], [0.0, 0.1], [0.0, 0.1]), [1])  # choose the backend
    if ns._backend["kind"] != "ext":
        pytest.skip("fastjet._ext is not usable with this fastjet version (the PseudoJet path is used)")
    for p4 in _random_jets(seed=3, count=10):
        cs = fastjet.ClusterSequence([fastjet.PseudoJet(*v) for v in p4.tolist()],
                                     fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0))
        for n, axes in enumerate(exclusive_kt_axes(p4, 5), start=1):
            ref = p4 if n >= len(p4) else np.array([[j.px(), j.py(), j.pz(), j.E()] for j in cs.exclusive_jets(n)])
            np.testing.assert_array_equal(axes, ref)


def test_generator_fast_path_equals_kinematics_sort_and_nsubjettiness(backend):
    from physnn.hep.nsubjettiness import jet_substructure

    rng = np.random.default_rng(5)
    for p4 in _random_jets(seed=7, count=20):
        p4 = p4[rng.permutation(len(p4))]
        kin, taus = jet_substructure(p4, 4, r0=R0)
        ref = kinematics(p4)
        order = np.argsort(-ref["pt"], kind="stable")
        for key in ("pt", "eta", "y", "phi"):
            np.testing.assert_array_equal(kin[key], ref[key][order])
        assert np.all(np.diff(kin["pt"]) <= 0)
        np.testing.assert_allclose(taus, _previous_nsubjettiness(p4[order], 4), rtol=1e-12, atol=0)
    kin, taus = jet_substructure(np.zeros((0, 4)), 4)
    assert taus.tolist() == [0.0] * 4 and kin["pt"].shape == (0,)
