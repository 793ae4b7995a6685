"""Causal weighting of the PDE residual over time slices (Wang, Sankaran & Perdikaris 2022):
the weights follow w_i = exp(-eps * sum_{k<i} L_k), are not differentiated, and need a time axis."""

import math

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn import PINNObjective, solve
from physnn.pinn.problems import get_problem


def _objective(eps, bins):
    return PINNObjective(get_problem("heat"), n_domain=16, n_boundary=8, causal=eps, causal_bins=bins,
                         reference_points=16, dtype=torch.float64)


def test_slice_weights_match_the_formula_and_are_not_differentiated():
    obj = _objective(0.5, 4)
    # two points per slice on t in [0, 1] (x is irrelevant); slice losses L = (1, 2, 3, 4)
    t = torch.tensor([0.0, 0.1, 0.3, 0.4, 0.6, 0.7, 0.85, 1.0], dtype=torch.float64)
    x = torch.stack([torch.zeros_like(t), t], dim=1)
    r2 = torch.tensor([0.5, 1.5, 2.0, 2.0, 1.0, 5.0, 4.0, 4.0], dtype=torch.float64, requires_grad=True)
    loss = obj._causal_pde(x, r2)
    L = [1.0, 2.0, 3.0, 4.0]
    w = [math.exp(-0.5 * sum(L[:i])) for i in range(4)]
    assert float(loss.detach()) == pytest.approx(sum(wi * li for wi, li in zip(w, L)) / 4, rel=1e-12)
    assert obj._causal_min == pytest.approx(w[-1], rel=1e-12)
    loss.backward()
    # d loss / d r2_j = w_slice(j) / (M * points in the slice): the weights are constants
    expected = torch.tensor([w[i // 2] / (4 * 2) for i in range(8)], dtype=torch.float64)
    assert torch.allclose(r2.grad, expected, rtol=1e-12)


def test_solved_early_slices_give_full_weight_and_small_eps_is_the_plain_mean():
    obj = _objective(1e-12, 4)
    t = torch.linspace(0, 1, 8, dtype=torch.float64)
    x = torch.stack([torch.zeros_like(t), t], dim=1)
    r2 = torch.arange(1.0, 9.0, dtype=torch.float64)
    assert float(obj._causal_pde(x, r2)) == pytest.approx(float(r2.mean()), rel=1e-9)
    obj = _objective(10.0, 4)
    r2 = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 5.0], dtype=torch.float64)
    assert float(obj._causal_pde(x, r2)) == pytest.approx(4.0 / 4, rel=1e-12)  # earlier slices solved: w_4 = 1
    assert obj._causal_min == pytest.approx(1.0)


def test_causal_needs_a_time_axis_and_a_positive_eps():
    with pytest.raises(PhysnnError, match="time coordinate named 't'"):
        PINNObjective(get_problem("poisson"), n_domain=8, causal=1.0)
    with pytest.raises(PhysnnError, match="causal"):
        PINNObjective(get_problem("heat"), n_domain=8, causal=-1.0)


def test_solve_with_causal_weighting_logs_the_last_slice_weight_and_learns():
    sol = solve(get_problem("heat"), hidden=[16, 16], adam_steps=400, lbfgs_steps=100, n_domain=300,
                n_boundary=50, causal=1.0, causal_bins=8, steps_per_epoch=100, seed=0)
    w = sol.histories["adam"]["causal_min_weight"]
    assert all(0.0 < v <= 1.0 for v in w)
    assert w[-1] > w[0]  # later slices come in as training proceeds
    # L-BFGS minimises the plain residual (changing weights would break its line search): it runs its iterations
    lb = sol.histories["lbfgs"]
    assert all(math.isnan(v) for v in lb["causal_min_weight"])
    assert lb.stop_reason.value == "completed" and min(lb["pinn_loss"]) < min(sol.histories["adam"]["pinn_loss"])
    assert sol.errors["l2_error"] < 0.05
