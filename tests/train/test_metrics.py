"""Metrics against scikit-learn on random data, ties, edge cases and shape errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

sk = pytest.importorskip("sklearn.metrics")

from physnn.errors import PhysnnError  # noqa: E402
from physnn.train.metrics import (  # noqa: E402
    CLASSIFICATION_METRICS,
    METRICS,
    REGRESSION_METRICS,
    accuracy,
    compute_metrics,
    default_metrics,
    f1,
    mae,
    metric_mode,
    mse,
    precision,
    r2,
    recall,
    rmse,
    roc_auc,
)

SEEDS = range(5)


def _binary(seed, n=200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    return y, p


def _multiclass(seed, n=300, k=4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, p


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_vs_sklearn(seed, threshold):
    y, p = _binary(seed)
    c = (p >= threshold).astype(int)
    assert accuracy(y, p, threshold=threshold) == pytest.approx(sk.accuracy_score(y, c), abs=1e-12)
    assert precision(y, p, threshold=threshold) == pytest.approx(sk.precision_score(y, c), abs=1e-12)
    assert recall(y, p, threshold=threshold) == pytest.approx(sk.recall_score(y, c), abs=1e-12)
    assert f1(y, p, threshold=threshold) == pytest.approx(sk.f1_score(y, c), abs=1e-12)
    assert roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p), abs=1e-12)
    # (n, 1) column and torch tensors give the same
    assert roc_auc(torch.tensor(y), torch.tensor(p[:, None])) == pytest.approx(sk.roc_auc_score(y, p))
    assert f1(y[:, None], p[:, None], threshold=threshold) == pytest.approx(sk.f1_score(y, c))


@pytest.mark.parametrize("seed", SEEDS)
def test_multiclass_macro_vs_sklearn(seed):
    y, p = _multiclass(seed)
    c = p.argmax(axis=1)
    assert accuracy(y, p) == pytest.approx(sk.accuracy_score(y, c), abs=1e-12)
    assert precision(y, p) == pytest.approx(sk.precision_score(y, c, average="macro"), abs=1e-12)
    assert recall(y, p) == pytest.approx(sk.recall_score(y, c, average="macro"), abs=1e-12)
    assert f1(y, p) == pytest.approx(sk.f1_score(y, c, average="macro"), abs=1e-12)


def test_macro_with_a_class_never_predicted_matches_sklearn():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.eye(3)[[0, 0, 1, 0, 1, 1]]  # class 2 never predicted
    c = p.argmax(axis=1)
    with pytest.warns(Warning):  # sklearn warns about the 0/0; we silently use 0
        ref = sk.precision_score(y, c, average="macro")
    assert precision(y, p) == pytest.approx(ref)
    assert f1(y, p) == pytest.approx(sk.f1_score(y, c, average="macro"))


def test_two_column_probabilities_binary_average():
    y, p1 = _binary(7)
    p = np.stack([1 - p1, p1], axis=1)
    c = p.argmax(axis=1)
    assert precision(y, p, average="binary") == pytest.approx(sk.precision_score(y, c))
    assert recall(y, p) == pytest.approx(sk.recall_score(y, c, average="macro"))
    assert roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p1))
    assert f1(y, p1, average="macro") == pytest.approx(sk.f1_score(y, (p1 >= 0.5).astype(int), average="macro"))


def test_precision_zero_when_nothing_predicted_positive():
    assert precision([0, 1, 1], [0.1, 0.2, 0.3]) == 0.0
    assert f1([0, 0, 0], [0.1, 0.2, 0.3]) == 0.0


def test_roc_auc_ties_count_half():
    # all scores tied: AUC = 0.5 exactly
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    # one positive tied with one negative, otherwise separated: (3 + 0.5) / 4
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.6, 0.6, 0.9])
    assert roc_auc(y, s) == pytest.approx(3.5 / 4)
    assert roc_auc(y, s) == pytest.approx(sk.roc_auc_score(y, s))
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    s = rng.integers(0, 5, 500).astype(float)  # heavy ties
    assert roc_auc(y, s) == pytest.approx(sk.roc_auc_score(y, s), abs=1e-12)


def test_roc_auc_perfect_and_inverted_and_logits():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert roc_auc(y, [-3.0, -1.0, 2.0, 5.0]) == 1.0


def test_roc_auc_errors():
    with pytest.raises(PhysnnError, match=r"holds only class 0 \(3 samples\).*needs both classes"):
        roc_auc([0, 0, 0], [0.1, 0.5, 0.9])
    with pytest.raises(PhysnnError, match="'y_pred' has 3 columns.*one-vs-rest"):
        roc_auc([0, 1, 2], np.eye(3))
    with pytest.raises(PhysnnError, match="must be 0/1 labels; found class 2"):
        roc_auc([0, 1, 2], [0.1, 0.5, 0.9])


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_vs_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=100)
    yh = y + rng.normal(scale=0.5, size=100)
    assert mse(y, yh) == pytest.approx(sk.mean_squared_error(y, yh), rel=1e-12)
    assert rmse(y, yh) == pytest.approx(np.sqrt(sk.mean_squared_error(y, yh)), rel=1e-12)
    assert mae(y, yh) == pytest.approx(sk.mean_absolute_error(y, yh), rel=1e-12)
    assert r2(y, yh) == pytest.approx(sk.r2_score(y, yh), rel=1e-12)
    # (n,) vs (n, 1) and tensors
    assert r2(torch.tensor(y[:, None]), yh) == pytest.approx(sk.r2_score(y, yh), rel=1e-12)


def test_multioutput_regression_vs_sklearn():
    rng = np.random.default_rng(11)
    y = rng.normal(size=(80, 3)) * [1.0, 10.0, 0.1]
    yh = y + rng.normal(size=(80, 3)) * 0.3
    assert mse(y, yh) == pytest.approx(sk.mean_squared_error(y, yh), rel=1e-12)
    assert mae(y, yh) == pytest.approx(sk.mean_absolute_error(y, yh), rel=1e-12)
    assert r2(y, yh) == pytest.approx(sk.r2_score(y, yh), rel=1e-12)
    assert rmse(y, yh) == pytest.approx(np.sqrt(mse(y, yh)), rel=1e-12)


def test_r2_perfect_mean_and_constant_target():
    rng = np.random.default_rng(1)
    y = rng.normal(size=50)
    assert r2(y, y) == 1.0
    assert r2(y, np.full(50, y.mean())) == pytest.approx(0.0, abs=1e-12)
    assert r2(y, np.full(50, y.mean() + 1.0)) < 0
    assert r2([2.0, 2.0], [2.0, 2.0]) == 1.0 == sk.r2_score([2.0, 2.0], [2.0, 2.0])
    assert r2([2.0, 2.0], [1.0, 2.0]) == 0.0 == sk.r2_score([2.0, 2.0], [1.0, 2.0])


def test_shape_and_value_errors():
    with pytest.raises(PhysnnError, match="'y_true' has 3 samples but 'y_pred' has 2"):
        accuracy([0, 1, 1], [0.1, 0.9])
    with pytest.raises(PhysnnError, match=r"shape \(3, 1\) but 'y_pred' has shape \(2, 1\)"):
        mse([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(PhysnnError, match=r"shape \(4, 2\).*one-hot.*argmax"):
        accuracy(np.eye(4)[:, :2], np.eye(4)[:, :2])
    with pytest.raises(PhysnnError, match="holds class 3 but 'y_pred' has 3 columns"):
        accuracy([0, 3], np.eye(3)[:2])
    with pytest.raises(PhysnnError, match="one column.*holds class 2"):
        precision([0, 2], [0.1, 0.9])
    with pytest.raises(PhysnnError, match="integer class labels; found 0.5"):
        recall([0.5, 1.0], [0.1, 0.9])
    with pytest.raises(PhysnnError, match="average='binary' needs two classes"):
        f1([0, 2, 1], np.eye(3), average="binary")
    with pytest.raises(PhysnnError, match="'average' must be one of"):
        f1([0, 1], [0.1, 0.9], average="micro")
    with pytest.raises(PhysnnError, match="NaN"):
        accuracy([0, 1], [0.1, float("nan")])
    with pytest.raises(PhysnnError, match="must be a 1-D or 2-D"):
        mae(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(PhysnnError, match="at least 1"):
        mse([], [])


def test_registry_and_compute_metrics():
    assert set(METRICS) == set(CLASSIFICATION_METRICS) | set(REGRESSION_METRICS)
    y, p = _binary(2)
    out = compute_metrics(CLASSIFICATION_METRICS, y, p, threshold=0.4)
    assert all(type(v) is float for v in out.values())
    assert out["accuracy"] == pytest.approx(sk.accuracy_score(y, (p >= 0.4).astype(int)))
    assert out["roc_auc"] == pytest.approx(sk.roc_auc_score(y, p))
    assert compute_metrics("MSE", [1.0, 2.0], [1.0, 4.0]) == {"mse": 2.0}
    with pytest.raises(PhysnnError, match="Did you mean 'roc_auc'"):
        compute_metrics(["accuracy", "rocauc"], y, p)


def test_default_metrics_and_mode():
    assert default_metrics("binary") == ("accuracy", "roc_auc")
    assert default_metrics("multiclass") == ("accuracy",)
    assert default_metrics("regression") == ("mse", "rmse", "mae", "r2")
    with pytest.raises(PhysnnError, match="'task' must be one of 'binary', 'multiclass', 'regression'"):
        default_metrics("classification")
    assert [metric_mode(m) for m in REGRESSION_METRICS] == ["min", "min", "min", "max"]
    assert all(metric_mode(m) == "max" for m in CLASSIFICATION_METRICS)
