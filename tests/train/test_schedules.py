"""Schedules: learning rate after N epochs equals the closed form; plateau; state."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train.schedules import SCHEDULES, Schedule, closed_form_lr, make_schedule


def _opt(lr=0.1):
    return torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)


def _run(sched, n, metrics=None):
    lrs = []
    for i in range(n):
        sched.optimizer.step()  # as the loop does, before the schedule
        sched.step(None if metrics is None else metrics[i])
        lrs.append(sched.last_lr)
    return lrs


def test_none_keeps_lr():
    s = make_schedule("none", _opt(0.3), epochs=5)
    assert _run(s, 5) == [0.3] * 5
    assert s.scheduler is None and s.epochs_done == 5


@pytest.mark.parametrize(("epochs", "step_size", "gamma"), [(12, 4, 0.5), (10, None, 0.1), (2, None, 0.3)])
def test_step_closed_form(epochs, step_size, gamma):
    s = make_schedule("step", _opt(0.1), epochs=epochs, step_size=step_size, gamma=gamma)
    sz = step_size or max(1, epochs // 3)
    assert s.scheduler.step_size == sz
    for n, lr in enumerate(_run(s, epochs), start=1):
        assert lr == pytest.approx(0.1 * gamma ** (n // sz), rel=1e-12)
        assert lr == pytest.approx(closed_form_lr("step", 0.1, n, epochs=epochs, step_size=step_size, gamma=gamma))


@pytest.mark.parametrize("min_lr", [0.0, 1e-3])
def test_cosine_closed_form(min_lr):
    T, lr0 = 20, 0.1
    s = make_schedule("cosine", _opt(lr0), epochs=T, min_lr=min_lr)
    for n, lr in enumerate(_run(s, T), start=1):
        ref = min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * n / T)) / 2
        assert lr == pytest.approx(ref, rel=1e-9, abs=1e-15)
    assert s.last_lr == pytest.approx(min_lr, abs=1e-15)


@pytest.mark.parametrize("patience", [0, 2, 5])
def test_plateau_reduces_after_patience_plus_one_bad_epochs(patience):
    s = make_schedule("plateau", _opt(0.1), epochs=50, patience=patience, factor=0.5)
    metrics = [1.0] + [1.0] * (patience + 1) + [0.5]
    lrs = _run(s, len(metrics), metrics)
    # epoch 1 sets the best; epochs 2..patience+1 are tolerated; epoch patience+2 decays
    assert lrs[: patience + 1] == [0.1] * (patience + 1)
    assert lrs[patience + 1] == pytest.approx(0.05)
    assert lrs[-1] == pytest.approx(0.05)  # an improvement does not decay


def test_plateau_improving_never_decays_and_floor():
    s = make_schedule("plateau", _opt(0.1), epochs=10, patience=1, factor=0.1)
    assert _run(s, 5, [5, 4, 3, 2, 1]) == [0.1] * 5
    s = make_schedule("plateau", _opt(0.1), epochs=10, patience=0, factor=0.1, min_lr=0.005)
    lrs = _run(s, 4, [1.0, 1.0, 1.0, 1.0])
    assert lrs == pytest.approx([0.1, 0.01, 0.005, 0.005])


def test_plateau_none_or_nan_counts_as_no_improvement():
    s = make_schedule("plateau", _opt(0.1), epochs=10, patience=1, factor=0.5)
    lrs = _run(s, 3, [1.0, None, float("nan")])
    assert lrs == pytest.approx([0.1, 0.1, 0.05])
    s = make_schedule("plateau", _opt(0.1), epochs=10, patience=0, factor=0.5)
    _run(s, 1, [torch.tensor(1.0)])
    with pytest.raises(PhysnnError, match="'metric' must be a number or None"):
        s.step("low")


def test_plateau_mode_max():
    s = make_schedule("plateau", _opt(0.1), epochs=10, patience=0, factor=0.5, mode="max")
    assert _run(s, 3, [0.8, 0.9, 0.85]) == pytest.approx([0.1, 0.1, 0.05])


def test_other_schedules_ignore_metric():
    s = make_schedule("step", _opt(1.0), epochs=4, step_size=2, gamma=0.5)
    assert _run(s, 4, [1.0, 2.0, 3.0, 4.0]) == pytest.approx([1.0, 0.5, 0.5, 0.25])


@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_roundtrip(name):
    s1 = make_schedule(name, _opt(0.1), epochs=9, patience=1)
    _run(s1, 4, [1.0, 1.0, 1.0, 1.0])
    state = s1.state_dict()
    opt2 = _opt(0.1)
    opt2.load_state_dict(s1.optimizer.state_dict())
    s2 = make_schedule(name, opt2, epochs=9, patience=1)
    s2.load_state_dict(state)
    assert s2.epochs_done == 4 and s2.last_lr == s1.last_lr
    m = [0.9, 0.9, 0.9]
    assert _run(s2, 3, m) == pytest.approx(_run(s1, 3, m))


def test_load_state_dict_name_mismatch():
    s = make_schedule("step", _opt(), epochs=3)
    with pytest.raises(PhysnnError, match="saved schedule is 'cosine' but this one is 'step'"):
        s.load_state_dict(make_schedule("cosine", _opt(), epochs=3).state_dict())
    with pytest.raises(PhysnnError, match="expected a dict"):
        s.load_state_dict([1])


def test_multiple_param_groups():
    a, b = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([{"params": [a], "lr": 1.0}, {"params": [b], "lr": 0.1}])
    s = make_schedule("step", opt, epochs=2, step_size=1, gamma=0.5)
    _run(s, 1)
    assert s.lrs == pytest.approx([0.5, 0.05]) and s.last_lr == 0.5
    assert isinstance(s, Schedule) and "step" in repr(s)


def test_validation_errors():
    opt = _opt()
    with pytest.raises(PhysnnError, match=r"'schedule' must be one of 'none', 'step', 'cosine', 'plateau'.*'cosine'"):
        make_schedule("cosin", opt, epochs=3)
    with pytest.raises(PhysnnError, match="'epochs' must be an integer >= 1; got 0"):
        make_schedule("step", opt, epochs=0)
    with pytest.raises(PhysnnError, match="'step_size' must be an integer >= 1"):
        make_schedule("step", opt, epochs=3, step_size=0)
    with pytest.raises(PhysnnError, match=r"'gamma' must be a number in \(0, 1\]"):
        make_schedule("step", opt, epochs=3, gamma=1.5)
    with pytest.raises(PhysnnError, match=r"'factor' must be a number in \(0, 1\)"):
        make_schedule("plateau", opt, epochs=3, factor=1.0)
    with pytest.raises(PhysnnError, match="'patience' must be an integer >= 0"):
        make_schedule("plateau", opt, epochs=3, patience=-1)
    with pytest.raises(PhysnnError, match=r"'min_lr' must be a number in \[0, inf\)"):
        make_schedule("cosine", opt, epochs=3, min_lr=-1.0)
    with pytest.raises(PhysnnError, match="must be below the optimizer's lr"):
        make_schedule("cosine", opt, epochs=3, min_lr=1.0)
    with pytest.raises(PhysnnError, match="'mode' must be one of 'min', 'max'"):
        make_schedule("plateau", opt, epochs=3, mode="up")
    with pytest.raises(PhysnnError, match="'optimizer' must be a torch.optim.Optimizer"):
        make_schedule("step", "adam", epochs=3)
