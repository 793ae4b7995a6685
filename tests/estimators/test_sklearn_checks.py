"""scikit-learn's own estimator checks on physnn's MLPClassifier / MLPRegressor: every check, no expected failures.

The quick instances (a small network, a larger learning rate, few epochs) keep the default suite fast; the
checks that train and score (``check_classifiers_train``, ``check_regressors_train``) still pass with them.
The default-parameter instances are checked too, under ``PHYSNN_SLOW=1``.
"""

from __future__ import annotations

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from physnn.estimators import MLPClassifier, MLPRegressor

QUICK = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=40)

#: No check is expected to fail (scikit-learn's ``expected_failed_checks`` mechanism stays empty).
EXPECTED_FAILED: dict[str, str] = {}


def _expected_failed(estimator):
    return EXPECTED_FAILED


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    # a quick instance stops at max_iter on purpose; the warning itself is tested in test_estimators.py
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@parametrize_with_checks(
    [MLPClassifier(**QUICK), MLPRegressor(**QUICK), MLPClassifier(**QUICK, early_stopping=True, dropout=0.1),
     MLPRegressor(**QUICK, early_stopping=True)],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_check(estimator, check):
    check(estimator)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_check_estimator_default_parameters(cls):
    results = check_estimator(cls(), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed
    assert len(results) > 50
