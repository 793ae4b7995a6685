"""Optimizers: construction, validation, fused Adam, one step on a quadratic."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train.optimizers import OPTIMIZERS, make_optimizer, needs_closure

TARGET = torch.tensor([1.0, -2.0, 0.5])


def _quadratic():
    w = nn.Parameter(torch.zeros(3))

    def loss():
        return ((w - TARGET) ** 2).sum()

    return w, loss


def _fused_supported() -> bool:
    try:
        torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=1e-3, fused=True)
        return True
    except (RuntimeError, ValueError, TypeError):
        return False


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_name_builds(name):
    w = nn.Parameter(torch.zeros(2))
    opt = make_optimizer(name, [w], lr=0.01)
    assert isinstance(opt, torch.optim.Optimizer)
    assert opt.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_one_step_reduces_quadratic(name):
    w, loss = _quadratic()
    lr = 1.0 if name == "lbfgs" else 0.1
    opt = make_optimizer(name, [w], lr=lr)
    before = loss().item()

    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value

    if needs_closure(opt):
        opt.step(closure)
    else:
        closure()
        opt.step()
    after = loss().item()
    assert after < before
    if name == "sgd":  # closed form: w <- w - lr * 2 (w - t)
        assert torch.allclose(w.detach(), 0.2 * TARGET)
    if name == "lbfgs":  # quasi-Newton with line search solves a quadratic
        assert after < 1e-8


def test_sgd_momentum_and_nesterov_closed_form():
    # two steps on L = w^2 / 2 (gradient w), w0 = 1, lr = 0.1, mu = 0.9
    for nesterov, expected in ((False, (0.9, 0.9 - 0.1 * (0.9 * 1 + 0.9))), (True, None)):
        w = nn.Parameter(torch.tensor([1.0]))
        opt = make_optimizer("sgd", [w], lr=0.1, momentum=0.9, nesterov=nesterov)
        assert opt.defaults["momentum"] == 0.9 and opt.defaults["nesterov"] is nesterov
        vals = []
        v = 0.0
        wr = 1.0
        for _ in range(2):
            opt.zero_grad()
            (0.5 * w**2).sum().backward()
            opt.step()
            g = wr
            v = 0.9 * v + g
            wr = wr - 0.1 * ((g + 0.9 * v) if nesterov else v)
            vals.append(float(w.detach()))
        assert vals[-1] == pytest.approx(wr, rel=1e-6)
        if expected is not None:
            assert tuple(vals) == pytest.approx(expected, rel=1e-6)


def test_adam_fused_when_available():
    w = nn.Parameter(torch.zeros(3))
    opt = make_optimizer("adam", [w], lr=1e-3)
    assert opt.defaults.get("fused") is (True if _fused_supported() else None)
    opt = make_optimizer("adamw", [w], lr=1e-3, weight_decay=0.01)
    assert opt.defaults.get("fused") is (True if _fused_supported() else None)
    assert opt.defaults["weight_decay"] == 0.01
    assert not make_optimizer("adam", [w], lr=1e-3, fused=False).defaults.get("fused")


def test_adam_not_fused_for_non_real_parameters():
    # complex parameters: not "floating", so the fused kernel is not attempted
    w = nn.Parameter(torch.zeros(2, dtype=torch.complex64))
    opt = make_optimizer("adam", [w], lr=1e-3)
    assert not opt.defaults.get("fused")


def test_adam_betas_and_eps_passed():
    w = nn.Parameter(torch.zeros(1))
    opt = make_optimizer("adam", [w], lr=1e-3, betas=(0.8, 0.99), eps=1e-6)
    assert opt.defaults["betas"] == (0.8, 0.99) and opt.defaults["eps"] == 1e-6


def test_lbfgs_defaults_and_override():
    w = nn.Parameter(torch.zeros(1))
    opt = make_optimizer("lbfgs", [w], lr=1.0)
    d = opt.defaults
    assert (d["line_search_fn"], d["history_size"], d["max_iter"]) == ("strong_wolfe", 50, 20)
    opt = make_optimizer("lbfgs", [w], lr=1.0, history_size=10, line_search_fn=None)
    assert opt.defaults["history_size"] == 10 and opt.defaults["line_search_fn"] is None
    assert needs_closure(opt) and needs_closure("lbfgs") and not needs_closure("sgd")


def test_module_params_and_frozen():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    opt = make_optimizer("sgd", model, lr=0.1)
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == 4
    model.requires_grad_(False)
    with pytest.raises(PhysnnError, match="the model has no trainable parameters"):
        make_optimizer("adam", model, lr=0.1)
    with pytest.raises(PhysnnError, match="the model has no trainable parameters"):
        make_optimizer("adam", [], lr=0.1)


def test_param_groups_accepted():
    a, b = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    opt = make_optimizer("sgd", [{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), "0.1"])
def test_lr_must_be_positive(lr):
    w = nn.Parameter(torch.zeros(1))
    with pytest.raises(PhysnnError, match=r"make_optimizer: 'lr' must be a number in \(0, inf\)"):
        make_optimizer("adam", [w], lr=lr)


def test_hyperparameter_errors():
    w = [nn.Parameter(torch.zeros(1))]
    with pytest.raises(PhysnnError, match=r"'weight_decay' must be a number in \[0, inf\); got -0.1"):
        make_optimizer("sgd", w, lr=0.1, weight_decay=-0.1)
    with pytest.raises(PhysnnError, match=r"'momentum' must be a number in \[0, 1\); got 1.0"):
        make_optimizer("sgd", w, lr=0.1, momentum=1.0)
    with pytest.raises(PhysnnError, match="'nesterov=True' needs momentum > 0"):
        make_optimizer("sgd", w, lr=0.1, nesterov=True)
    with pytest.raises(PhysnnError, match="'nesterov' applies to 'sgd' only"):
        make_optimizer("rmsprop", w, lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(PhysnnError, match="'momentum' applies to 'sgd' and 'rmsprop' only.*betas"):
        make_optimizer("adam", w, lr=0.1, momentum=0.9)
    with pytest.raises(PhysnnError, match=r"'betas\[1\]' must be a number in \[0, 1\)"):
        make_optimizer("adam", w, lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(PhysnnError, match="'betas' applies to 'adam' and 'adamw' only"):
        make_optimizer("sgd", w, lr=0.1, betas=(0.5, 0.5))
    with pytest.raises(PhysnnError, match="'lbfgs' has no weight_decay"):
        make_optimizer("lbfgs", w, lr=1.0, weight_decay=1e-4)
    with pytest.raises(PhysnnError, match="'fused' applies to 'sgd', 'adam' and 'adamw' only"):
        make_optimizer("rmsprop", w, lr=0.1, fused=True)
    with pytest.raises(PhysnnError, match=r"'sgd' takes the keyword arguments .*got 'amsgrad'"):
        make_optimizer("sgd", w, lr=0.1, amsgrad=True)
    with pytest.raises(PhysnnError, match=r"'optimizer' must be one of .*Did you mean 'adam'"):
        make_optimizer("adma", w, lr=0.1)
    with pytest.raises(PhysnnError, match="'params' must be a model"):
        make_optimizer("sgd", 3, lr=0.1)


class _NoFusedAdam(torch.optim.Adam):
    """An Adam whose build has no fused kernel (as on some torch builds/devices)."""

    def __init__(self, params, *, fused=None, **kw):
        if fused:
            raise RuntimeError("fused=True requires CUDA/CPU float tensors")
        super().__init__(params, **kw)


def test_adam_falls_back_when_fused_kernel_fails(monkeypatch):
    import physnn.train.optimizers as O

    monkeypatch.setitem(O._CLASSES, "adam", _NoFusedAdam)
    w = nn.Parameter(torch.zeros(2))
    opt = make_optimizer("adam", [w], lr=1e-3)  # auto: tries fused, falls back silently
    assert isinstance(opt, _NoFusedAdam) and not opt.defaults.get("fused")
    with pytest.raises(PhysnnError, match="cannot build 'adam': fused=True requires"):
        make_optimizer("adam", [w], lr=1e-3, fused=True)  # asked for explicitly: say why not


@pytest.mark.parametrize("name,wd,schedule", [("adam", 0.0, None), ("adam", 1e-2, "step"), ("adamw", 1e-2, "cosine")])
def test_fused_adam_stepper_matches_optimizer_step_bit_for_bit(name, wd, schedule):
    from physnn.train.optimizers import FusedAdamStepper, fast_stepper
    from physnn.train.schedules import make_schedule

    def make():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g)
    results = []
    for use_fast in (False, True):
        m = make()
        opt = make_optimizer(name, m.parameters(), lr=1e-2, weight_decay=wd)
        sched = make_schedule(schedule, opt, epochs=10, step_size=3) if schedule else None
        fast = fast_stepper(opt) if use_fast else None
        if use_fast:
            if not FusedAdamStepper.applies(opt):
                pytest.skip("this torch build has no fused CPU Adam")
            assert fast is not None
        for _ in range(10):
            for i in range(0, 64, 16):
                (fast.zero_grad() if fast else opt.zero_grad(set_to_none=True))
                torch.nn.functional.mse_loss(m(X[i:i + 16]), y[i:i + 16]).backward()
                (fast.step() if fast else opt.step())
            if sched:
                sched.step()
        results.append((m.state_dict(), opt.state_dict()))
    (w0, s0), (w1, s1) = results
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    for k in s0["state"]:
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(s0["state"][k][key], s1["state"][k][key])


def test_fast_stepper_not_used_where_not_equivalent():
    from physnn.train.optimizers import fast_stepper

    m = torch.nn.Linear(2, 1)
    assert fast_stepper(make_optimizer("sgd", m.parameters(), lr=0.1)) is None
    assert fast_stepper(torch.optim.Adam(m.parameters(), lr=0.1, amsgrad=True)) is None
    assert fast_stepper(torch.optim.Adam(m.parameters(), lr=0.1, fused=False)) is None
