"""One best-epoch tracker: the loop, EarlyStopping and Checkpoint agree; fit returns the best weights."""

import math

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import BestTracker, EarlyStopping, FitResult, StopReason, fit
from physnn.train.callbacks import Callback


def test_tracker_rule_min_max_and_min_delta():
    t = BestTracker("val_loss")
    assert [t.update(v, i) for i, v in enumerate([1.0, 1.0, math.inf, 0.5, math.nan, 0.5])] == \
        [True, False, False, True, False, False]
    assert (t.epoch, t.value) == (3, 0.5)  # ties keep the first epoch
    t = BestTracker("val_accuracy", mode="max", min_delta=0.1)
    assert [t.update(v, i) for i, v in enumerate([0.5, 0.55, 0.61, 0.7])] == [True, False, True, False]
    assert (t.epoch, t.value) == (2, 0.61)
    with pytest.raises(PhysnnError, match="'mode' must be one of 'min', 'max'"):
        BestTracker("loss", mode="lowest")


def test_tracker_keeps_a_copy_of_the_weights():
    m = nn.Linear(2, 1)
    t = BestTracker("loss")
    t.update(1.0, 0, m)
    before = m.weight.detach().clone()
    with torch.no_grad():
        m.weight.add_(1.0)
    assert torch.equal(t.weights["weight"], before)  # a copy, not a view of the live weights
    t.update(2.0, 1, m)  # not better: the copy stays
    assert torch.equal(t.weights["weight"], before)


class _Record(Callback):
    """The weights after every epoch, to compare with what fit returns."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, state, logs):
        self.weights.append({k: v.detach().clone() for k, v in state.raw_model.state_dict().items()})


def _data():
    """Few, noisy training samples for a wide network: it overfits, so val_loss turns up."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(16, 3, generator=g)
    y = X[:, :1] + 0.5 * torch.randn(16, 1, generator=g)
    Xv = torch.randn(64, 3, generator=g)
    return (X, y), (Xv, Xv[:, :1] + 0.5 * torch.randn(64, 1, generator=g))


def test_fit_returns_best_weights_and_optimizer():
    train, val = _data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 1))
    rec = _Record()
    res = fit(model, train, val=val, optimizer="adam", lr=0.01, epochs=150, batch_size=8, seed=0, progress=False,
              callbacks=[rec])
    assert res.best_epoch < 100  # overfitting: the best epoch is well before the last
    assert isinstance(res, FitResult) and res.stop_reason is StopReason.COMPLETED
    assert res.best_epoch == min(range(150), key=lambda e: (res["val_loss"][e], e))
    for k, v in rec.weights[res.best_epoch].items():
        assert torch.equal(res.best_weights[k], v), k
    for k, v in model.state_dict().items():  # no early stopping: the model keeps the last epoch's weights
        assert torch.equal(v, rec.weights[-1][k]), k
    assert res.optimizer is not None and res.optimizer.param_groups[0]["lr"] == 0.01
    assert res.optimizer.state  # with its moments, to continue from
    assert repr(res).startswith("History(") and res.as_dict()["best_epoch"] == res.best_epoch


def test_early_stopping_restores_the_loops_best_and_stops_by_its_own_min_delta():
    train, val = _data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 1))
    rec = _Record()
    es = EarlyStopping(patience=3, min_delta=1e-2)
    res = fit(model, train, val=val, optimizer="adam", lr=0.01, epochs=300, batch_size=8, seed=0, progress=False,
              callbacks=[es, rec])
    assert res.stop_reason is StopReason.EARLY_STOPPING
    vals = res["val_loss"]
    best = min(range(len(vals)), key=lambda e: (vals[e], e))
    assert res.best_epoch == best
    for k, v in model.state_dict().items():  # the model ends with the true best epoch's weights
        assert torch.equal(v, rec.weights[best][k]), k
    # patience counted improvements of more than min_delta: the last such one was 3 epochs before the end
    assert es.stopped_epoch - es.best_epoch == 3
    assert f"at epoch {best})" in res.message


def test_final_metrics_are_computed_when_read_with_the_weights_fit_ended_with():
    from physnn.train import LazyMetrics  # noqa: F401 - public name
    from physnn.train.history import LazyMetrics as LM

    train, val = _data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    res = fit(model, train, val=val, epochs=5, batch_size=8, seed=0, progress=False)
    assert isinstance(res.final, LM) and repr(res.final) == "LazyMetrics(<not computed yet>)"
    expected = float(nn.functional.mse_loss(model(val[0]), val[1]))
    ended = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():  # change the model after the fit: final still describes the fit's end
        for p in model.parameters():
            p.add_(1.0)
    assert res.final["val_loss"] == pytest.approx(expected, rel=1e-6)
    assert set(res.final) >= {"train_loss", "val_loss"}
    assert not all(torch.equal(v, ended[k]) for k, v in model.state_dict().items())  # the change is kept
