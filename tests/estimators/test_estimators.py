"""physnn.estimators: scikit-learn's meta-tools, the learned state, stopping rules and bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physnn.errors import PhysnnError
from physnn.estimators import MLPClassifier, MLPRegressor, ToleranceStopping

QUICK = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=30, random_state=0)
#: the regressions need more steps: smaller batches
REG = dict(QUICK, batch_size=32)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=240, centers=3, n_features=4, cluster_std=1.0, random_state=0)
    return X, np.array(["a", "b", "c"])[y]


@pytest.fixture(scope="module")
def wave():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y


def test_classifier_learns_and_keeps_sklearn_state(blobs):
    X, y = blobs
    clf = MLPClassifier(**QUICK).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert list(clf.classes_) == ["a", "b", "c"]
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    assert clf.n_features_in_ == 4 and clf.n_iter_ == len(clf.loss_curve_) <= 30
    assert clf.best_loss_ == min(clf.loss_curve_) and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.t_ == clf.n_iter_ * 240 and clf.n_layers_ == 3 and clf.n_outputs_ == 3
    assert [c.shape for c in clf.coefs_] == [(4, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]
    assert clf.out_activation_ == "softmax" and clf.validation_scores_ is None
    assert clf.history_.epochs_run == clf.n_iter_
    # coefs_ are the network's weights: the first layer by hand reproduces the model's first layer
    h = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    logits = h @ clf.coefs_[1] + clf.intercepts_[1]
    np.testing.assert_array_equal(clf.classes_[logits.argmax(axis=1)], clf.predict(X))


def test_regressor_learns_single_and_multi_output(wave):
    X, y = wave
    reg = MLPRegressor(**REG).fit(X, y)
    assert reg.predict(X).shape == (300,) and reg.score(X, y) > 0.8
    assert not hasattr(reg, "predict_proba") and not hasattr(reg, "classes_")
    Y = np.column_stack([y, -2 * y])
    reg2 = MLPRegressor(**REG).fit(X, Y)
    assert reg2.predict(X).shape == (300, 2) and reg2.score(X, Y) > 0.8
    assert reg2.out_activation_ == "identity"


def test_sgd_solver_trains(wave):
    X, y = wave
    reg = MLPRegressor(**dict(REG, max_iter=100), solver="sgd", momentum=0.9).fit(X, y)
    assert reg.score(X, y) > 0.8


def test_pipeline_gridsearch_cross_val(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**QUICK))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(2,), (16,)],
                               "mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] in [(2,), (16,)]
    assert grid.best_estimator_.score(X, y) > 0.9 and len(grid.cv_results_["params"]) == 4


def test_clone_of_a_fitted_estimator_is_unfitted(blobs):
    X, y = blobs
    clf = MLPClassifier(**QUICK).fit(X, y)
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "model_") and not hasattr(fresh, "classes_")
    with pytest.raises(NotFittedError):
        fresh.predict(X)


def test_same_random_state_same_model_and_global_rng_untouched(blobs):
    X, y = blobs
    before = torch.get_rng_state()
    a = MLPClassifier(**QUICK, dropout=0.2).fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), before)
    b = MLPClassifier(**QUICK, dropout=0.2).fit(X, y).predict_proba(X)
    c = MLPClassifier(**dict(QUICK, random_state=1), dropout=0.2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_dropout_is_in_the_network_and_off_at_prediction(blobs):
    X, y = blobs
    clf = MLPClassifier(**QUICK, dropout=0.5).fit(X, y)
    assert any(isinstance(m, torch.nn.Dropout) for m in clf.model_)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_alpha_is_a_weight_penalty(wave):
    X, y = wave
    norm = {a: sum(float((c ** 2).sum()) for c in MLPRegressor(**QUICK, alpha=a).fit(X, y).coefs_)
            for a in (0.0, 50.0)}
    assert norm[50.0] < 0.5 * norm[0.0]


def test_tol_stops_after_more_than_n_iter_no_change(wave):
    X, y = wave
    # tol larger than any loss: only the first epoch improves; scikit-learn stops when the count of epochs
    # without improvement exceeds n_iter_no_change, i.e. after 1 + (3 + 1) epochs
    reg = MLPRegressor(**dict(QUICK, max_iter=50), tol=1e3, n_iter_no_change=3).fit(X, y)
    assert reg.n_iter_ == 5 and reg.history_.stop_reason.value == "early_stopping"


def test_tolerance_rule_is_sklearns_running_best():
    # a loss creeping down by less than tol each epoch never counts as an improvement (sklearn's best_loss_
    # follows every decrease), though over several epochs it falls by more than tol
    cb = ToleranceStopping("loss", mode="min", tol=1.0, n_iter_no_change=3)
    stops = [cb.update(10.0 - 0.6 * i) for i in range(6)]
    assert stops == [False] * 4 + [True, True]
    assert cb.best == pytest.approx(10.0 - 0.6 * 5)
    up = ToleranceStopping("val_accuracy", mode="max", tol=0.01, n_iter_no_change=1)
    assert [up.update(v) for v in (0.5, 0.9, 0.905, 0.905)] == [False, False, False, True]


def test_max_iter_reached_warns(wave):
    X, y = wave
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        MLPRegressor(**dict(QUICK, max_iter=3), tol=0.0).fit(X, y)


def test_early_stopping_restores_the_best_validation_epoch(blobs):
    X, y = blobs
    clf = MLPClassifier(**dict(QUICK, max_iter=200), early_stopping=True, validation_fraction=0.2,
                        n_iter_no_change=3).fit(X, y)
    assert clf.n_iter_ < 200 and clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    assert clf.history_.stop_reason.value == "early_stopping"


def test_sparse_input_and_pickle_roundtrip(blobs):
    X, y = blobs
    dense = MLPClassifier(**QUICK).fit(X, y)
    sp = MLPClassifier(**QUICK).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sp.predict_proba(sparse.csr_matrix(X)), dense.predict_proba(X), rtol=1e-6)
    back = pickle.loads(pickle.dumps(dense))
    np.testing.assert_array_equal(back.predict_proba(X), dense.predict_proba(X))


def test_feature_names_from_a_dataframe(wave):
    pd = pytest.importorskip("pandas")
    X, y = wave
    df = pd.DataFrame(X, columns=["mass", "pt", "eta"])
    reg = MLPRegressor(**QUICK).fit(df, y)
    assert list(reg.feature_names_in_) == ["mass", "pt", "eta"]
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(df[["pt", "mass", "eta"]])


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_X_or_y(wave, bad):
    X, y = wave
    Xb = X.copy()
    Xb[5, 1] = bad
    with pytest.raises(ValueError, match="Input X contains"):
        MLPRegressor(**QUICK).fit(Xb, y)
    yb = y.copy()
    yb[7] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        MLPRegressor(**QUICK).fit(X, yb)
    reg = MLPRegressor(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match="Input X contains"):
        reg.predict(Xb)


def test_wrong_shapes(wave, blobs):
    X, y = wave
    with pytest.raises(ValueError, match="Expected 2D array"):
        MLPRegressor(**QUICK).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPRegressor(**QUICK).fit(X, y[:-1])
    reg = MLPRegressor(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but MLPRegressor is expecting 3"):
        reg.predict(X[:, :2])
    Xc, yc = blobs
    with pytest.raises(ValueError, match="only one class"):
        MLPClassifier(**QUICK).fit(Xc, np.full(len(yc), "a"))
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier(**QUICK).fit(X, y)


@pytest.mark.parametrize("param, value, message", [
    ("activation", "rleu", "'activation' must be one of .*got 'rleu'. Did you mean 'relu'"),
    ("solver", "lbfgs", "'solver' must be one of 'adam', 'sgd'; got 'lbfgs'"),
    ("learning_rate_init", -0.1, "'learning_rate_init' must be a number in \\(0, inf\\); got -0.1"),
    ("max_iter", 0, "'max_iter'"),
    ("alpha", -1.0, "'alpha'"),
    ("batch_size", 0, "'batch_size'"),
    ("batch_size", "big", "'batch_size' must be one of 'auto'"),
    ("hidden_layer_sizes", (10, 0), "'hidden_layer_sizes\\[1\\]'"),
    ("hidden_layer_sizes", "10", "'hidden_layer_sizes' must be a tuple"),
    ("validation_fraction", 1.0, "'validation_fraction'"),
    ("n_iter_no_change", 0, "'n_iter_no_change'"),
    ("dropout", 1.0, "'dropout'"),
    ("beta_1", 1.0, "'beta_1'"),
    ("early_stopping", "yes", "'early_stopping' must be True or False"),
    ("device", "tpu", "'device' must be 'cpu', 'cuda'"),
])
def test_bad_parameters_fail_at_fit_not_init(wave, param, value, message):
    X, y = wave
    est = MLPRegressor(**{**QUICK, param: value})  # no error here: scikit-learn validates in fit
    assert est.get_params()[param] == value
    with pytest.raises(PhysnnError, match=f"MLPRegressor: {message}"):
        est.fit(X, y)
    assert issubclass(PhysnnError, ValueError)


def test_logistic_is_sklearns_name_for_sigmoid(blobs):
    X, y = blobs
    clf = MLPClassifier(**QUICK, activation="logistic").fit(X, y)
    assert isinstance(clf.model_[1], torch.nn.Sigmoid)


def test_diverging_training_is_a_clear_error(wave):
    X, y = wave
    with pytest.raises(PhysnnError, match="diverged.*learning_rate_init"):
        MLPRegressor(**dict(QUICK, learning_rate_init=1e6), solver="sgd").fit(X * 1e3, y * 1e3)
