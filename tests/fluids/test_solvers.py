"""The spectral solvers against exact solutions and finer grids; CFL and blow-up errors."""

import numpy as np
import pytest

from physnn.errors import PhysnnError
from physnn.fluids.burgers import cole_hopf_solution, grf_1d, solve_burgers, spectral_resample
from physnn.fluids.navier_stokes import fno_forcing, grf_2d, solve_ns


def test_burgers_matches_cole_hopf_exact_solution():
    x = np.arange(128) / 128
    for nu in (0.01, 0.05):
        u = solve_burgers(cole_hopf_solution(x, 0.0, nu=nu, a=0.6), nu=nu, t=0.5, cfl=0.2)
        assert np.abs(u - cole_hopf_solution(x, 0.5, nu=nu, a=0.6)).max() < 1e-8


def test_burgers_small_mode_decays_like_heat_equation():
    x = np.arange(64) / 64
    nu, k = 0.01, 2 * np.pi * 3
    u = solve_burgers(1e-6 * np.cos(k * x), nu=nu, t=[0.5, 1.0])
    for j, t in enumerate((0.5, 1.0)):
        amp = np.abs(np.fft.rfft(u[j]))[3] * 2 / 64
        assert abs(amp / 1e-6 - np.exp(-nu * k**2 * t)) < 1e-6


def test_burgers_grid_convergence_n_vs_2n():
    # band-limited GRF starts (drawn on the coarse grid, spectrally interpolated to the fine one):
    # nu = 0.1, N = 128 vs 256 agree to 1e-6 pointwise
    u0c = grf_1d(3, 128, seed=3)
    fine = solve_burgers(spectral_resample(u0c, 256), nu=0.1, t=1.0, cfl=0.25)
    coarse = solve_burgers(u0c, nu=0.1, t=1.0, cfl=0.25)
    assert np.abs(spectral_resample(coarse, 256) - fine).max() < 1e-6
    # nu = 0.01 (the learning task), N = 256 vs 512: relative L2 below 1e-6
    u0c = grf_1d(2, 256, seed=4)
    fine = solve_burgers(spectral_resample(u0c, 512), nu=0.01, t=1.0)
    coarse = solve_burgers(u0c, nu=0.01, t=1.0)
    rel = np.linalg.norm(spectral_resample(coarse, 512) - fine) / np.linalg.norm(fine)
    assert rel < 1e-6


def test_burgers_forced_dt_violating_cfl_raises():
    u0 = grf_1d(1, 128, seed=0)[0] * 5
    with pytest.raises(PhysnnError, match="CFL"):
        solve_burgers(u0, nu=0.01, dt=0.05)


def test_burgers_nan_input_is_refused():
    with pytest.raises(PhysnnError, match="NaN"):
        solve_burgers(np.full(64, np.nan), nu=0.01)  # caught at input, before any step


def test_burgers_aliasing_blow_up_is_reported_at_the_step():
    # A steep shock on a coarse grid without de-aliasing: the step is CFL-controlled (cfl <= 1, so the
    # CFL check passes by construction), yet the aliasing instability drives the field to Inf/NaN
    # within t ~ 0.006, long before t = 0.2; the step guard (stepping.cfl_step) must report it.
    x = np.arange(32) / 32
    u0 = 50 * np.sin(2 * np.pi * x)
    with np.errstate(all="ignore"), pytest.raises(PhysnnError, match=r"blew up \(NaN/Inf\) at t="):
        solve_burgers(u0, nu=1e-3, t=0.2, cfl=0.5, dt_max=1.0, dealias=False)
    # the same start with de-aliasing stays finite: the guard fires on divergence, not on a steep field
    assert np.all(np.isfinite(solve_burgers(u0, nu=1e-3, t=0.2, cfl=0.5, dt_max=1.0)))


def _poison_step(monkeypatch, module, at_call):
    """Make ``module.if_rk4_step`` return NaN on call number ``at_call`` (1-based); returns the call log."""
    real, calls = module.if_rk4_step, []

    def step(vh, lin, nonlin, h):
        calls.append(h)
        out = real(vh, lin, nonlin, h)
        return out * np.nan if len(calls) == at_call else out

    monkeypatch.setattr(module, "if_rk4_step", step)
    return calls


@pytest.mark.parametrize("solver", ["burgers", "ns"])
def test_nan_in_the_last_step_before_an_output_is_reported(monkeypatch, solver):
    # forced dt = 0.01 and outputs at 0.01, 0.02: exactly one step before the first output, poisoned;
    # no later step sees it, so only the guard after the step loop (burgers.py / navier_stokes.py) can
    import physnn.fluids.burgers as burgers
    import physnn.fluids.navier_stokes as ns

    module = burgers if solver == "burgers" else ns
    calls = _poison_step(monkeypatch, module, at_call=1)
    x = np.arange(16) / 16
    with pytest.raises(PhysnnError, match=r"blew up \(NaN/Inf\) before t=0\.01;"):
        if solver == "burgers":
            solve_burgers(np.sin(2 * np.pi * x), nu=0.01, t=[0.01, 0.02], dt=0.01)
        else:
            solve_ns(grf_2d(1, 16, seed=0)[0], nu=0.01, t=[0.01, 0.02], dt=0.01)
    assert calls == [0.01]


@pytest.mark.parametrize("solver", ["burgers", "ns"])
def test_nan_mid_run_is_reported_by_the_next_step(monkeypatch, solver):
    # the second of three forced steps turns the field into NaN: the third step's CFL guard must stop
    # the run there, never return NaN (and never take the NaN for a CFL violation)
    import physnn.fluids.burgers as burgers
    import physnn.fluids.navier_stokes as ns

    module = burgers if solver == "burgers" else ns
    calls = _poison_step(monkeypatch, module, at_call=2)
    x = np.arange(16) / 16
    with pytest.raises(PhysnnError, match=r"blew up \(NaN/Inf\) at t=0\.02;"):
        if solver == "burgers":
            solve_burgers(np.sin(2 * np.pi * x), nu=0.01, t=0.03, dt=0.01)
        else:
            solve_ns(grf_2d(1, 16, seed=0)[0], nu=0.01, t=0.03, dt=0.01)
    assert len(calls) == 2


def test_burgers_bad_input():
    with pytest.raises(PhysnnError, match="nu"):
        solve_burgers(np.zeros(16), nu=-1.0)
    with pytest.raises(PhysnnError, match="'t'"):
        solve_burgers(np.zeros(16), t=[1.0, 0.5])


def test_grf_1d_spectrum_matches_covariance():
    u = grf_1d(4000, 64, seed=1)
    c = np.fft.rfft(u, axis=1) * 2 / 64
    m = np.arange(1, 6)
    lam = 625 * ((2 * np.pi * m) ** 2 + 25) ** -2.0
    # c_m = sqrt(2 lam_m) (a_m - i b_m): E|c_m|^2 = 4 lam_m
    var = (np.abs(c[:, 1:6]) ** 2).mean(axis=0) / 4
    assert np.allclose(var / lam, 1.0, atol=0.08)
    assert np.allclose(u.mean(axis=1), 0, atol=1e-12)


def test_ns_single_shell_decays_exactly():
    # omega proportional to psi (one |k| shell): J(psi, omega) = 0, so omega(t) = omega0 exp(-nu |k|^2 t)
    x = np.arange(32) / 32
    X, Y = np.meshgrid(x, x, indexing="ij")
    w0 = np.cos(2 * np.pi * (3 * X + 4 * Y)) + 0.5 * np.sin(2 * np.pi * (5 * Y))
    nu = 0.01
    w = solve_ns(w0, nu=nu, t=[0.5, 2.0], forcing=None)
    for j, t in enumerate((0.5, 2.0)):
        assert np.abs(w[j] - w0 * np.exp(-nu * (2 * np.pi * 5) ** 2 * t)).max() < 1e-10


def test_ns_steady_forced_state():
    # forcing only, w0 = f/(nu k^2): f is a single shell |m|^2 = 2, so this is an exact steady state
    s, nu = 32, 0.05
    f = fno_forcing(s)
    w0 = f / (nu * (2 * np.pi) ** 2 * 2)
    w = solve_ns(w0, nu=nu, t=1.0)
    assert np.abs(w - w0).max() < 1e-6 * np.abs(w0).max()


def test_ns_grid_convergence():
    # a band-limited GRF start, nu = 1e-3, to t = 2: the 32^2 run matches the 64^2 run on its grid points
    w0_64 = grf_2d(2, 64, seed=0)
    # a field band-limited to |m| < 10, exactly represented on both grids
    c = np.fft.fft2(w0_64)
    m = np.fft.fftfreq(64, 1 / 64)
    keep = (np.abs(m)[:, None] < 10) & (np.abs(m)[None, :] < 10)
    w0 = np.fft.ifft2(c * keep).real
    fine = solve_ns(w0, nu=1e-3, t=2.0)
    coarse = solve_ns(w0[:, ::2, ::2], nu=1e-3, t=2.0)
    rel = np.linalg.norm(fine[:, ::2, ::2] - coarse) / np.linalg.norm(fine)
    assert rel < 1e-5


def test_ns_cfl_and_input_errors():
    w0 = 20 * grf_2d(1, 16, seed=0)[0]
    with pytest.raises(PhysnnError, match="CFL"):
        solve_ns(w0, dt=0.5)
    with pytest.raises(PhysnnError, match="square"):
        solve_ns(np.zeros((16, 8)))
    with pytest.raises(PhysnnError, match="forcing"):
        solve_ns(np.zeros((16, 16)), forcing="kolmogorov")
