"""scikit-learn estimators trained by physnn: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in for :mod:`sklearn.neural_network`'s classes of the same names (same
core parameters), so they work in ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``::

    >>> from physnn.estimators import MLPClassifier, MLPRegressor
    >>> MLPClassifier(hidden_layer_sizes=(64, 32), early_stopping=True).get_params()["hidden_layer_sizes"]
    (64, 32)
"""

from __future__ import annotations

from physnn.estimators.mlp import (ESTIMATOR_ACTIVATIONS, SOLVERS, BaseMLPEstimator, MLPClassifier, MLPRegressor,
                                   ToleranceStopping)

__all__ = ["MLPClassifier", "MLPRegressor", "BaseMLPEstimator", "ToleranceStopping", "ESTIMATOR_ACTIVATIONS",
           "SOLVERS"]
