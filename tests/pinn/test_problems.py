"""PINN problems, conditions and the objective: residuals vanish on exact solutions,
conditions measure what they claim, bad input is named, and solve() reaches the goals."""

import math

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.pinn import (
    RAR, DirichletBC, Interval, NeumannBC, PeriodicBC, PINNModel, PINNObjective,
    PointData, Problem, Rectangle, RobinBC, solve,
)
from physnn.pinn.problems import get_problem
from physnn.train.history import StopReason

PI = math.pi


class Exact(nn.Module):
    """A 'network' that returns a closed-form solution (differentiable by autograd)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.fn(x) + 0 * self.dummy


def residual_of(problem, fn, n=400):
    model = PINNModel(Exact(fn), problem).double()
    model._transform = None  # evaluate the closed form itself, not a hard-constrained network
    obj = PINNObjective(problem, n_domain=n, n_boundary=100, dtype=torch.float64, reference_points=200)
    obj.setup(model, torch.device("cpu"))
    return obj._terms(model, obj.points), obj.errors(model)


@pytest.mark.parametrize("name, fn", [
    ("poisson", lambda x: torch.sin(PI * x)),
    ("heat", lambda x: torch.exp(-0.4 * PI**2 * x[:, 1:2]) * torch.sin(PI * x[:, 0:1])),
    ("inverse", lambda x: torch.exp(-x[:, 1:2]) * torch.sin(PI * x[:, 0:1])),
])
def test_exact_solutions_have_zero_residual(name, fn):
    problem = get_problem(name, **({"c_start": 1.0} if name == "inverse" else {}))
    terms, err = residual_of(problem, fn)
    assert float(terms["pde"].detach()) < 1e-20
    if name != "inverse":  # inverse: the data are noisy
        for t, v in terms.items():
            assert float(v.detach()) < 1e-20, t
    assert err["l2_error"] < 1e-12


def test_kovasznay_exact_flow_satisfies_navier_stokes_residual():
    problem = get_problem("kovasznay")
    lam = 10 - math.sqrt(100 + 4 * PI**2)

    def flow(x):
        X, Y = x[:, 0:1], x[:, 1:2]
        u = 1 - torch.exp(lam * X) * torch.cos(2 * PI * Y)
        v = lam / (2 * PI) * torch.exp(lam * X) * torch.sin(2 * PI * Y)
        p = 0.5 * (1 - torch.exp(2 * lam * X))
        return torch.cat([u, v, p], 1)

    terms, err = residual_of(problem, flow)
    for t, v in terms.items():
        assert float(v.detach()) < 1e-20, t
    assert err["l2_error"] < 1e-12 and err["l2_error_p"] < 1e-12


def test_burgers_hard_constraint_meets_initial_and_boundary_conditions():
    problem = get_problem("burgers")
    x = torch.tensor([[-1.0, 0.3], [1.0, 0.7], [0.25, 0.0], [-0.6, 0.0]], dtype=torch.float64)
    y = torch.randn(4, 1, dtype=torch.float64)
    u = problem.transform(x, y)
    assert torch.allclose(u[:2], torch.zeros(2, 1, dtype=torch.float64), atol=1e-15)
    assert torch.allclose(u[2:], -torch.sin(PI * x[2:, :1]))


def test_conditions_measure_what_they_claim():
    geom = Rectangle((0.0, 0.0), (1.0, 2.0))
    g = torch.Generator().manual_seed(0)
    # Neumann: u = x^2 + y  -> du/dn = 2 on x=1, -1 on y=0, +1 on y=2, 0 on x=0
    model = PINNModel(Exact(lambda x: x[:, :1] ** 2 + x[:, 1:2]), Problem(geom, lambda x, u, d: u)).double()
    from physnn.pinn import Derivatives

    cond = NeumannBC(lambda x: torch.where(torch.isclose(x[:, 0], torch.tensor(1.0, dtype=x.dtype)), 2.0, 0.0)
                     + torch.where(torch.isclose(x[:, 1], torch.tensor(0.0, dtype=x.dtype)), -1.0, 0.0)
                     + torch.where(torch.isclose(x[:, 1], torch.tensor(2.0, dtype=x.dtype)), 1.0, 0.0))
    cond.geometry = geom
    x = cond.sample(geom, 200, method="random", generator=g, dtype=torch.float64)
    corners = ((x[:, 0] % 1.0).abs() < 1e-9) & ((x[:, 1] % 2.0).abs() < 1e-9)
    x = x[~corners].requires_grad_(True)
    r = cond.residual(x, model(x), Derivatives(x, ("x", "y")), model)
    assert r.abs().max() < 1e-12
    # Robin a u + b du/dn with u = 1 constant: residual a*1 - g
    rb = RobinBC(2.0, 5.0, 2.0)
    rb.geometry = geom
    one = PINNModel(Exact(lambda x: torch.ones_like(x[:, :1])), Problem(geom, lambda x, u, d: u)).double()
    assert rb.residual(x, one(x), Derivatives(x, ("x", "y")), one).abs().max() < 1e-12
    # Periodic in x: sin(2πx) is periodic on [0, 1], x itself is not
    pb = PeriodicBC("x", derivatives=1)
    pb.geometry = geom
    xp = pb.sample(geom, 50, method="random", generator=g, dtype=torch.float64).requires_grad_(True)
    per = PINNModel(Exact(lambda x: torch.sin(2 * PI * x[:, :1]) * x[:, 1:2]), Problem(geom, lambda x, u, d: u)).double()
    assert pb.residual(xp, per(xp), Derivatives(xp, ("x", "y")), per).abs().max() < 1e-12
    lin = PINNModel(Exact(lambda x: x[:, :1]), Problem(geom, lambda x, u, d: u)).double()
    assert pb.residual(xp, lin(xp), Derivatives(xp, ("x", "y")), lin)[:, 0].abs().min() > 0.99


def test_bad_input_is_named():
    geom = Interval(0.0, 1.0)
    with pytest.raises(PhysnnError, match="residual takes 2 arguments"):
        Problem(geom, lambda x, u: u)
    bad = Problem(geom, lambda x, u, d: d.xx(u).mean(), [DirichletBC(0.0)])
    from physnn.pinn import make_model

    obj = PINNObjective(bad, n_domain=16, n_boundary=4)
    m = make_model(bad, hidden=[4])
    obj.setup(m, torch.device("cpu"))
    with pytest.raises(PhysnnError, match=r"shape \(\) for 16 points"):
        obj.loss(m, obj.points)
    with pytest.raises(PhysnnError, match="NaN"):
        PointData([[0.5], [float("nan")]], [1.0, 2.0])
    with pytest.raises(PhysnnError, match="outside"):
        PINNObjective(Problem(geom, lambda x, u, d: u, [PointData([[0.5], [1.5]], [1.0, 2.0])]), n_domain=8)
    with pytest.raises(PhysnnError, match="unknown coefficient 'mu'"):
        p = Problem(geom, lambda x, u, d, p: p.mu * u, parameters={"nu": 1.0})
        o = PINNObjective(p, n_domain=8)
        mm = make_model(p, hidden=[4])
        o.setup(mm, torch.device("cpu"))
        o.loss(mm, o.points)
    with pytest.raises(PhysnnError, match="n_out=1"):
        PINNObjective(bad, n_domain=8).setup(PINNModel(nn.Linear(1, 2), bad), torch.device("cpu"))
    with pytest.raises(PhysnnError, match="Did you mean 'sobol'"):
        PINNObjective(bad, method="sobl")
    with pytest.raises(PhysnnError, match="'problem' must be one of"):
        get_problem("navier")


def test_nan_residual_stops_with_best_weights():
    geom = Interval(0.0, 1.0)
    calls = {"n": 0}

    def residual(x, u, d):
        calls["n"] += 1
        r = d.xx(u) + 1.0
        return r * float("nan") if calls["n"] > 30 else r

    sol = solve(Problem(geom, residual, [DirichletBC(0.0)]), hidden=[8], adam_steps=100, lbfgs_steps=0,
                steps_per_epoch=5, n_domain=16)
    h = sol.histories["adam"]
    assert h.stop_reason is StopReason.NAN_LOSS and "restored the weights" in h.message
    assert all(torch.isfinite(p).all() for p in sol.model.parameters())


def test_poisson_reaches_goal_and_lbfgs_does_not_stop_silently():
    sol = solve(get_problem("poisson"), hidden=[20, 20, 20], adam_steps=1000, lbfgs_steps=500, n_domain=64, seed=0)
    assert sol.errors["l2_error"] < 1e-4  # the goal for Poisson 1D
    h = sol.histories["lbfgs"]
    assert h.epochs_run >= 1 and h.message  # every stage says why it ended
    assert set(h.keys()) >= {"pinn_loss", "loss_pde", "loss_boundary", "l2_error"}


def test_inverse_problem_recovers_coefficient_quickly():
    sol = solve(get_problem("inverse"), hidden=[20, 20], adam_steps=1000, coefficient_lr=1e-2, lbfgs_steps=600,
                n_domain=500, seed=0)
    assert abs(sol.coefficients["C"] - 1.0) < 0.01
    assert abs(sol.histories["adam"]["coef_C"][0] - 1.0) > 0.1  # it started from C = 2, far from the truth


def test_relobralo_weights_positive_and_sum_to_number_of_terms():
    sol = solve(get_problem("heat"), hidden=[16, 16], adam_steps=300, lbfgs_steps=0, n_domain=300,
                n_boundary=50, adaptive="relobralo", steps_per_epoch=50)
    lam = sol.objective.lambdas
    assert all(v > 0 for v in lam.values())
    assert sum(lam.values()) == pytest.approx(len(lam), rel=0.05)
    assert "lambda_pde" in sol.histories["adam"].keys()


def test_rar_adds_points_where_residual_is_largest():
    prob = get_problem("burgers")
    obj = PINNObjective(prob, n_domain=200, rar=RAR(every=1, add=20, candidates=2000), reference_points=100)
    from physnn.pinn import make_model

    m = make_model(prob, hidden=[8])
    obj.setup(m, torch.device("cpu"))
    res_before = obj.residual_norm(m, obj.points["pde"]).mean()
    obj.epoch = 1
    obj.evaluate(m)
    added = obj.points["pde"][200:]
    assert added.shape[0] == 20
    assert obj.residual_norm(m, added).mean() > 2 * res_before


def test_float32_lbfgs_that_stalls_continues_in_float64_and_says_so():
    # Poisson in float32 reaches round-off long before 600 L-BFGS iterations: the stall
    # ends the float32 stage, and the iterations left run in float64 as a third stage
    sol = solve(get_problem("poisson"), hidden=[16, 16], adam_steps=300, lbfgs_steps=600,
                lbfgs_iters_per_epoch=20, lbfgs_patience=3, n_domain=64, seed=0)
    h32 = sol.histories["lbfgs"]
    assert h32.stop_reason is StopReason.EARLY_STOPPING and h32.message
    assert "lbfgs_float64" in sol.histories
    assert next(sol.model.parameters()).dtype == torch.float64
    assert sol.objective.points["pde"].dtype == torch.float64
    best32 = min(h32["pinn_loss"])
    assert min(sol.histories["lbfgs_float64"]["pinn_loss"]) < best32  # float64 goes below the float32 floor
    sol_never = solve(get_problem("poisson"), hidden=[16, 16], adam_steps=300, lbfgs_steps=600,
                      lbfgs_iters_per_epoch=20, lbfgs_patience=3, n_domain=64, seed=0, lbfgs_float64="never")
    assert "lbfgs_float64" not in sol_never.histories
    assert next(sol_never.model.parameters()).dtype == torch.float32


def test_lbfgs_float64_always_and_bad_choice():
    sol = solve(get_problem("poisson"), hidden=[8], adam_steps=50, lbfgs_steps=20, n_domain=32,
                lbfgs_float64="always")
    assert next(sol.model.parameters()).dtype == torch.float64
    assert sol.coefficients == {} or all(isinstance(v, float) for v in sol.coefficients.values())
    with pytest.raises(PhysnnError, match="lbfgs_float64"):
        solve(get_problem("poisson"), hidden=[8], adam_steps=1, lbfgs_steps=1, lbfgs_float64="sometimes")


def test_self_scaled_bfgs_stage_beats_plain_bfgs_on_the_same_budget():
    # measured: heat, [16, 16], 400 iterations after the same Adam stage: BFGS loss 2.4e-5 and
    # error 5.2e-3, self-scaled BFGS 3.5e-7 and 4.5e-4 (Urbán, Stefanou & Pons 2025)
    kw = dict(hidden=[16, 16], adam_steps=300, lbfgs_steps=400, n_domain=200, n_boundary=50, seed=0,
              lbfgs_iters_per_epoch=20, lbfgs_patience=2)
    ss = solve(get_problem("heat"), quasi_newton="ssbfgs", **kw)
    plain = solve(get_problem("heat"), quasi_newton="bfgs", **kw)
    assert set(ss.histories) >= {"adam", "ssbfgs"} and "lbfgs" not in ss.histories
    assert min(ss.histories["ssbfgs"]["pinn_loss"]) < 0.1 * min(plain.histories["bfgs"]["pinn_loss"])
    assert ss.errors["l2_error"] < 1e-3 < plain.errors["l2_error"]  # the heat goal: met only by SSBFGS here


def test_bad_stage_choices_fail_before_any_training(monkeypatch):
    import physnn.train

    def no_training(*a, **k):
        raise AssertionError("trained before checking the arguments")

    monkeypatch.setattr(physnn.train, "fit", no_training)
    with pytest.raises(PhysnnError, match="quasi_newton.*ssbfgs"):
        solve(get_problem("heat"), hidden=[8], adam_steps=100, lbfgs_steps=1, quasi_newton="newton")
    with pytest.raises(PhysnnError, match="lbfgs_float64"):
        solve(get_problem("heat"), hidden=[8], adam_steps=100, lbfgs_steps=1, lbfgs_float64="sometimes")


def test_float32_ssbfgs_stall_continues_in_float64_from_the_same_hessian(monkeypatch):
    from physnn.train import bfgs

    starts = []
    init = bfgs.BFGS.__init__

    def spy(self, *a, initial_inverse_hessian=None, **k):
        starts.append(initial_inverse_hessian)
        init(self, *a, initial_inverse_hessian=initial_inverse_hessian, **k)

    monkeypatch.setattr(bfgs.BFGS, "__init__", spy)
    sol = solve(get_problem("poisson"), hidden=[16, 16], adam_steps=300, lbfgs_steps=600, quasi_newton="ssbfgs",
                lbfgs_iters_per_epoch=20, lbfgs_patience=2, n_domain=64, seed=0)
    h32 = sol.histories["ssbfgs"]
    assert h32.stop_reason is StopReason.EARLY_STOPPING and "ssbfgs_float64" in sol.histories
    assert next(sol.model.parameters()).dtype == torch.float64
    assert starts[0] is None and starts[1] is not None and starts[1].dtype == torch.float64
    assert min(sol.histories["ssbfgs_float64"]["pinn_loss"]) < min(h32["pinn_loss"])
