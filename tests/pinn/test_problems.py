"""PINN problems, conditions and the objective: residuals vanish on exact solutions,
conditions measure what they claim, bad input is named, and solve() reaches the goals."""

import copy
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
from physnn.train.callbacks import Callback
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
    # the goal has a wide margin, so it does not hang on one machine's rounding: measured 1.0e-5, 7.1e-6,
    # 1.4e-5 on seeds 0-2 in float32 and 5.0e-6, 2.0e-5, 2.2e-6 in float64 (two different trajectories)
    sol = solve(get_problem("poisson"), hidden=[20, 20, 20], adam_steps=1000, lbfgs_steps=500, n_domain=64, seed=0)
    assert sol.errors["l2_error"] < 1e-4  # the goal for Poisson 1D
    h = sol.histories["lbfgs"]
    assert h.epochs_run >= 1 and h.message  # every stage says why it ended
    assert set(h.keys()) >= {"pinn_loss", "loss_pde", "loss_boundary", "l2_error"}
    assert min(h["pinn_loss"]) <= sol.histories["adam"]["pinn_loss"][-1]  # the stage starts from Adam's end


def test_inverse_problem_recovers_coefficient_quickly():
    # |C - 1| is bounded by the 1 % noise on the data, not by the optimizer's path: measured 1.5e-3,
    # 1.3e-3, 1.8e-3 on seeds 0-2 (float32), against the bound 1e-2
    problem = get_problem("inverse")
    assert problem.parameters["C"] == 2.0  # it starts far from the truth
    sol = solve(problem, hidden=[20, 20], adam_steps=1000, coefficient_lr=1e-2, lbfgs_steps=600, n_domain=500,
                seed=0)
    assert abs(sol.coefficients["C"] - 1.0) < 0.01
    assert sol.histories["adam"]["coef_C"][0] != sol.coefficients["C"]  # learned, not left where it was


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


def test_lbfgs_float64_always_and_bad_choice():
    rec = _Stages()
    sol = solve(get_problem("inverse"), hidden=[8], adam_steps=50, lbfgs_steps=20, n_domain=32,
                lbfgs_float64="always", callbacks=(rec,))
    # Adam stays float32, the whole L-BFGS stage runs in float64 (no third stage), and so do its points
    assert [(type(s["optimizer"]).__name__, s["dtype"]) for s in rec.stages] == [
        ("Adam", torch.float32), ("LBFGS", torch.float64)]
    assert set(sol.histories) == {"adam", "lbfgs"}
    assert next(sol.model.parameters()).dtype == torch.float64 and sol.objective.points["pde"].dtype == torch.float64
    assert set(sol.coefficients) == {"C"} and math.isfinite(sol.coefficients["C"])
    with pytest.raises(PhysnnError, match="lbfgs_float64"):
        solve(get_problem("poisson"), hidden=[8], adam_steps=1, lbfgs_steps=1, lbfgs_float64="sometimes")


@pytest.mark.parametrize("method, optimizer, self_scaling", [("bfgs", "BFGS", False), ("ssbfgs", "SSBFGS", True)])
def test_dense_bfgs_stages_use_the_method_asked_for_and_never_raise_the_loss(method, optimizer, self_scaling):
    # Which method wins is measured in benchmarks/pinn_burgers.py and physnn.train.bfgs (a trajectory);
    # tested here: solve() runs the method asked for, names its stage after it, and the stage ends no
    # higher than it started (line-search steps lower the loss; the best epoch is kept)
    rec = _Stages()
    sol = solve(get_problem("heat"), hidden=[8, 8], adam_steps=100, lbfgs_steps=60, n_domain=100, n_boundary=20,
                seed=0, lbfgs_iters_per_epoch=20, quasi_newton=method, lbfgs_float64="never", callbacks=(rec,))
    assert set(sol.histories) == {"adam", method}
    opt = rec.stages[1]["optimizer"]
    assert type(opt).__name__ == optimizer and opt.param_groups[0]["self_scaling"] is self_scaling
    assert ("last_scale" in opt.state[opt.param_groups[0]["params"][0]]) is self_scaling
    assert rec.stages[1]["H"] is not None and rec.stages[1]["H"].dtype == torch.float64
    start = sol.histories["adam"]["pinn_loss"][-1]
    assert min(sol.histories[method]["pinn_loss"]) <= start * (1 + 1e-6)


def test_bad_stage_choices_fail_before_any_training(monkeypatch):
    import physnn.train

    def no_training(*a, **k):
        raise AssertionError("trained before checking the arguments")

    monkeypatch.setattr(physnn.train, "fit", no_training)
    with pytest.raises(PhysnnError, match="quasi_newton.*ssbfgs"):
        solve(get_problem("heat"), hidden=[8], adam_steps=100, lbfgs_steps=1, quasi_newton="newton")
    with pytest.raises(PhysnnError, match="lbfgs_float64"):
        solve(get_problem("heat"), hidden=[8], adam_steps=100, lbfgs_steps=1, lbfgs_float64="sometimes")


class _Stages(Callback):
    """Records, for each stage solve() runs, its optimizer, the weights' dtype and the
    weights it starts and ends with (after EarlyStopping restored the best ones)."""

    def __init__(self, stall_float32_after: int | None = None):
        self.stages: list[dict] = []
        self.stall_float32_after = stall_float32_after

    def on_fit_start(self, state):
        p = next(state.raw_model.parameters())
        self.stages.append({"optimizer": state.optimizer, "dtype": p.dtype,
                            "start": copy.deepcopy(state.raw_model.state_dict())})

    def on_epoch_end(self, state, logs):
        # an injected stall: the float32 quasi-Newton stage ends as the stall detector would end it
        quasi_newton = not isinstance(state.optimizer, torch.optim.Adam)
        if (self.stall_float32_after is not None and quasi_newton and self.stages[-1]["dtype"] == torch.float32
                and state.epoch + 1 >= self.stall_float32_after):
            state.request_stop("early_stopping", "injected stall (test)")

    def on_fit_end(self, state):
        st = self.stages[-1]
        st["end"] = copy.deepcopy(state.raw_model.state_dict())
        h = [s.get("H") for s in state.optimizer.state.values() if isinstance(s, dict)]
        st["H"] = h[0].clone() if h and h[0] is not None else None


def _loss_at(sol, state_dict):
    """The objective (now float64) at the given weights, on the solution's own points."""
    m = copy.deepcopy(sol.model)
    m.load_state_dict({k: v.to(torch.float64) if v.is_floating_point() else v for k, v in state_dict.items()})
    return float(sol.objective.loss(m, sol.objective.points).detach())


def float32_blind_poisson():
    """Poisson 1D (hard boundary condition) whose residual float32 cannot resolve, by construction.

    The residual is multiplied by ((1 + 2⁻³⁰) − 1)·2³⁰, computed in the points' dtype: exactly 1 in
    float64, exactly 0 in float32 (1 + 2⁻³⁰ rounds to 1) — a difference of nearly equal terms, as near
    a shock.  In float32 the loss and its gradient are then exactly 0: a quasi-Newton stage cannot take
    a single step, so the stall detector fires after exactly ``lbfgs_patience + 1`` epochs, on any machine;
    in float64 the problem is plain Poisson again.
    """
    base = get_problem("poisson", hard=True)

    def residual(x, u, d):
        one = torch.ones((), dtype=x.dtype)
        visible = ((one + 2.0**-30) - one) * 2.0**30  # 1 in float64, 0 in float32
        return base.residual(x, u, d) * visible

    return Problem(base.geometry, residual, [], name="poisson_float32_blind", transform=base.transform,
                   reference=base.reference)


def test_float32_lbfgs_that_stalls_continues_in_float64_and_says_so():
    patience, k, budget = 2, 20, 400
    rec = _Stages()
    kw = dict(hidden=[16, 16], adam_steps=0, lbfgs_steps=budget, lbfgs_iters_per_epoch=k, lbfgs_patience=patience,
              n_domain=64, seed=0)
    sol = solve(float32_blind_poisson(), callbacks=(rec,), **kw)
    h32 = sol.histories["lbfgs"]
    assert h32["pinn_loss"] == [0.0] * (patience + 1)  # the construction holds: float32 sees nothing to fit
    assert h32.stop_reason is StopReason.EARLY_STOPPING and h32.epochs_run == patience + 1
    left = budget - k * (patience + 1)
    assert "float64" in h32.message and f"{left} iterations" in h32.message and "lbfgs_float64" in sol.histories
    assert [s["dtype"] for s in rec.stages] == [torch.float32, torch.float64]
    assert next(sol.model.parameters()).dtype == torch.float64 and sol.objective.points["pde"].dtype == torch.float64
    # the float64 stage starts from the float32 stage's weights, exactly
    for name, v in rec.stages[0]["end"].items():
        assert torch.equal(rec.stages[1]["start"][name], v.to(rec.stages[1]["start"][name].dtype)), name
    # and fits what float32 could not see: the loss goes down (the best weights are kept: it never goes up)
    start, end = _loss_at(sol, rec.stages[1]["start"]), _loss_at(sol, sol.model.state_dict())
    assert end < 0.5 * start
    assert min(sol.histories["lbfgs_float64"]["pinn_loss"]) == pytest.approx(end, rel=1e-9)
    never = solve(float32_blind_poisson(), lbfgs_float64="never", **kw)
    assert set(never.histories) == {"lbfgs"} and never.histories["lbfgs"].epochs_run == patience + 1
    assert "float64" not in never.histories["lbfgs"].message
    assert next(never.model.parameters()).dtype == torch.float32


def test_float32_ssbfgs_stall_continues_in_float64_from_the_same_hessian(monkeypatch):
    from physnn.train import bfgs

    starts = []
    init = bfgs.BFGS.__init__

    def spy(self, *a, initial_inverse_hessian=None, **k):
        starts.append(initial_inverse_hessian)
        init(self, *a, initial_inverse_hessian=initial_inverse_hessian, **k)

    monkeypatch.setattr(bfgs.BFGS, "__init__", spy)
    # the stall is injected after 2 epochs of the float32 stage (which build H): what is tested is what
    # solve() does with a stall, on any machine, not whether one machine's rounding produces one
    rec = _Stages(stall_float32_after=2)
    sol = solve(get_problem("poisson"), hidden=[16, 16], adam_steps=300, lbfgs_steps=200, quasi_newton="ssbfgs",
                lbfgs_iters_per_epoch=20, n_domain=64, seed=0, callbacks=(rec,))
    h32 = sol.histories["ssbfgs"]
    assert h32.stop_reason is StopReason.EARLY_STOPPING and h32.epochs_run == 2
    assert "float64" in h32.message and "ssbfgs_float64" in sol.histories
    assert sol.histories["ssbfgs_float64"].epochs_run >= 1
    assert next(sol.model.parameters()).dtype == torch.float64
    assert [s["dtype"] for s in rec.stages] == [torch.float32, torch.float32, torch.float64]
    assert starts[0] is None and starts[1] is not None and starts[1].dtype == torch.float64
    assert torch.equal(starts[1], rec.stages[1]["H"])  # the float32 stage's own H, not a fresh one
    for name, v in rec.stages[1]["end"].items():
        assert torch.equal(rec.stages[2]["start"][name], v.to(rec.stages[2]["start"][name].dtype)), name
    assert _loss_at(sol, sol.model.state_dict()) <= _loss_at(sol, rec.stages[2]["start"])


def test_slow_decrease_rule_stops_only_when_the_loss_falls_less_than_asked():
    from physnn.pinn.solve import _SlowDecrease

    def first_stop(values, min_decrease, window=3):
        rule = _SlowDecrease(min_decrease, window, iterations_per_epoch=25)
        return next((i for i, v in enumerate(values) if rule.update(v)), None)

    halving = [0.5**i for i in range(30)]
    assert first_stop(halving, 0.8) is None  # fell by 87.5 % every 3 epochs
    assert first_stop(halving, 0.9) == 3
    assert first_stop([1.0] * 10, 0.1) == 3  # a flat loss stops after the window
    assert first_stop([1.0] * 10, 0.0) is None  # 0: off
    assert first_stop([1.0, 0.8, 0.7, 0.6, 0.59, 0.58], 0.2) == 5  # 0.58 > 0.8 * 0.7 (0.59 < 0.8 * 0.8)


def test_slow_decrease_ends_the_stage_without_a_float64_stage_and_says_so():
    # float32 sees a flat loss (by construction, see float32_blind_poisson); with a long patience the
    # window rule ends the stage after exactly window + 1 epochs, and that is no stall: no float64 stage
    window = 3
    sol = solve(float32_blind_poisson(), hidden=[8], adam_steps=0, lbfgs_steps=400, lbfgs_iters_per_epoch=20,
                lbfgs_patience=50, lbfgs_min_decrease=0.1, lbfgs_window=window, n_domain=32, seed=0)
    h = sol.histories["lbfgs"]
    assert set(sol.histories) == {"lbfgs"} and h.epochs_run == window + 1
    assert h.stop_reason is StopReason.EARLY_STOPPING and "lbfgs_min_decrease=0.1" in h.message
    assert f"over the last {window} epochs ({window * 20} iterations)" in h.message
    assert next(sol.model.parameters()).dtype == torch.float32
    with pytest.raises(PhysnnError, match="lbfgs_min_decrease"):
        solve(get_problem("poisson"), hidden=[8], adam_steps=1, lbfgs_steps=1, lbfgs_min_decrease=1.5)
    with pytest.raises(PhysnnError, match="lbfgs_window"):
        solve(get_problem("poisson"), hidden=[8], adam_steps=1, lbfgs_steps=1, lbfgs_window=0)
