"""physnn.surrogate: error metrics against hand-computed values, timing, speed-up."""

import time

import numpy as np
import pytest

from physnn.errors import PhysnnError
from physnn.surrogate import error_metrics, regression_report, speedup, time_per_sample


def test_error_metrics_known_values():
    y = np.array([[3.0, 4.0], [0.0, 1.0]])
    p = np.array([[3.0, 4.0 + 0.5], [0.0, 0.0]])
    m = error_metrics(y, p)
    assert m["mae"] == pytest.approx((0.5 + 1.0) / 4)
    # rel L2: sample 0: 0.5 / 5, sample 1: 1 / 1
    assert m["rel_l2"] == pytest.approx((0.1 + 1.0) / 2)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2)
    assert m["r2"] == pytest.approx(1 - 1.25 / ss_tot)


def test_fields_are_flattened_per_sample():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(5, 8, 8))
    m = error_metrics(u, 1.1 * u)
    assert m["rel_l2"] == pytest.approx(0.1)


def test_report_mean_baseline_uses_training_mean():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    rep = regression_report(y, y + 0.25, {"ridge": y + 0.5}, y_train=np.full(10, 10.0))
    assert rep["mae"] == pytest.approx(0.25)
    assert rep["baselines"]["ridge"]["mae"] == pytest.approx(0.5)
    assert rep["mean_baseline"]["mae"] == pytest.approx(np.mean(10.0 - y))
    assert rep["label_std"] == pytest.approx(np.std(y))
    assert rep["n"] == 4
    # without y_train: predicting the test mean has R² exactly 0
    assert regression_report(y, y)["mean_baseline"]["r2"] == pytest.approx(0.0)


def test_bad_inputs():
    with pytest.raises(PhysnnError, match="shape"):
        error_metrics([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(PhysnnError, match="NaN"):
        regression_report([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(PhysnnError, match="baseline 'b'"):
        regression_report([1.0, 2.0], [1.0, 2.0], {"b": [1.0]})
    with pytest.raises(PhysnnError, match="y_train"):
        regression_report(np.ones((3, 2)), np.ones((3, 2)), y_train=np.ones(3))
    with pytest.raises(PhysnnError, match="predict_seconds_per_sample"):
        speedup(1.0, 0.0)
    with pytest.raises(PhysnnError, match="clock"):
        time_per_sample(lambda: None, 1, clock="gpu")
    with pytest.raises(PhysnnError, match="'n'"):
        time_per_sample(lambda: None, 0)


def test_time_per_sample_measures_sleep():
    # sleeping costs wall time but (almost) no CPU time
    wall = time_per_sample(lambda: time.sleep(0.02), n=4, repeats=2, warmup=0)
    assert 0.02 / 4 <= wall < 0.5
    cpu = time_per_sample(lambda: time.sleep(0.02), n=4, repeats=2, warmup=0, clock="cpu")
    assert cpu < wall
    assert speedup(1.0, 0.004) == pytest.approx(250.0)
