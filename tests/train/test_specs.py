"""fit's grouped settings: OptimizerSpec / ScheduleSpec / a factory give the same run as the flat keywords."""

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import OptimizerSpec, ScheduleSpec, fit


def _run(**kw):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 3, generator=g)
    y = X.sum(1, keepdim=True)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    h = fit(model, (X, y), epochs=5, batch_size=16, seed=0, progress=False, **kw)
    return model, h


def _same(a, b):
    return all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


def test_specs_equal_the_flat_keywords():
    flat, hf = _run(optimizer="sgd", lr=0.05, momentum=0.9, nesterov=True, schedule="step",
                    schedule_options={"step_size": 2, "gamma": 0.5})
    spec, hs = _run(optimizer=OptimizerSpec("sgd", lr=0.05, momentum=0.9, nesterov=True),
                    schedule=ScheduleSpec("step", {"step_size": 2, "gamma": 0.5}))
    assert _same(flat, spec) and hf["lr"] == hs["lr"] == [0.05, 0.05, 0.025, 0.025, 0.0125]
    fac, _ = _run(optimizer=lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
                  schedule=ScheduleSpec("step", {"step_size": 2, "gamma": 0.5}))
    assert _same(flat, fac)
    other, _ = _run(optimizer=OptimizerSpec("sgd", lr=0.05))
    assert not _same(flat, other)  # the comparison can tell runs apart


def test_conflicting_or_bad_settings_are_refused():
    with pytest.raises(PhysnnError, match="lr, momentum given beside optimizer=.*set them in the OptimizerSpec"):
        _run(optimizer=OptimizerSpec("sgd"), lr=0.1, momentum=0.5)
    with pytest.raises(PhysnnError, match="schedule_options given beside a ScheduleSpec"):
        _run(schedule=ScheduleSpec("cosine"), schedule_options={"min_lr": 0.0})
    with pytest.raises(PhysnnError, match="the optimizer factory returned list"):
        _run(optimizer=lambda params: list(params))
    with pytest.raises(PhysnnError, match="'optimizer' must be a name such as 'adam'.*got int"):
        _run(optimizer=3)
