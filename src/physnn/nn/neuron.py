r"""The artificial neuron and Rosenblatt's perceptron.

:class:`Neuron` is the lecture's abstraction as a ``torch.nn.Module``,

.. math:: y = f\Big(\sum_i w_i x_i + b\Big),

trained like any other model by gradient descent.  :class:`Perceptron` is the
1958 original: a step activation and a *mistake-driven* rule, no gradients at
all, with a scikit-learn style ``fit`` / ``predict``.  It learns AND and OR
and must fail on XOR, which is not linearly separable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_array, check_int, check_range
from physnn.nn.activations import activation_name, get_activation

__all__ = ["Neuron", "Perceptron"]


class Neuron(nn.Module):
    r"""One artificial neuron: :math:`y = f(\sum_i w_i x_i + b)`.

    Args:
        n_in: number of inputs :math:`x_i` (features).
        activation: the non-linearity :math:`f`, a name from
            :data:`~physnn.nn.activations.ACTIVATIONS` or an ``nn.Module``.
        bias: learn the bias :math:`b` (else :math:`b = 0`).

    Shape:
        input ``(N, n_in)``, output ``(N, 1)``.

    Parameters: ``linear.weight`` ``(1, n_in)`` and ``linear.bias`` ``(1,)``,
    ``n_in + 1`` in all, initialised as ``nn.Linear`` does,
    :math:`\mathcal{U}(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`.

        >>> neuron = Neuron(2, "sigmoid")
        >>> with torch.no_grad():
        ...     _ = neuron.linear.weight.copy_(torch.tensor([[1.0, 1.0]]))
        ...     _ = neuron.linear.bias.fill_(-1.0)
        >>> neuron(torch.tensor([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])).detach().squeeze(1)
        tensor([0.2689, 0.5000, 0.7311])
        >>> neuron(torch.zeros(4, 3))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: Neuron: 'x' has 3 features (columns) but 2 are expected; pass data with the same columns, in the same order, as the model was trained on.
    """

    def __init__(self, n_in: int, activation: Any = "sigmoid", *, bias: bool = True) -> None:
        super().__init__()
        n_in = check_int("n_in", n_in, low=1, owner="Neuron")
        self.n_in = n_in
        self.linear = nn.Linear(n_in, 1, bias=bool(bias))
        self.activation = get_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.n_in:
            # the validator writes the message (reshape hint, both feature counts)
            check_array("x", x, ndim=2, n_features=self.n_in, min_rows=0, finite=False, owner="Neuron")
        return self.activation(self.linear(x))

    def extra_repr(self) -> str:
        name = activation_name(self.activation)
        return f"n_in={self.n_in}" + (f", activation={name!r}" if name else "")


class Perceptron:
    r"""Rosenblatt's perceptron (1958): a step neuron learned from its mistakes.

    Prediction is a step of the weighted sum,

    .. math:: \hat y = H(w \cdot x + b), \qquad H(z) = 1 \text{ if } z > 0 \text{ else } 0,

    and learning visits the samples one by one (in a new random order each
    epoch when ``shuffle``) and corrects only the mistakes:

    .. math:: w \leftarrow w + \eta\,(y - \hat y)\,x, \qquad b \leftarrow b + \eta\,(y - \hat y).

    No gradients and no autograd: this is the rule itself, in NumPy.  The
    weights start at zero.  Training stops after the first epoch without a
    mistake (``converged_ = True``) or after ``max_epochs``.  By the
    perceptron convergence theorem it always converges on linearly separable
    data; on XOR it cannot, and at most 3 of the 4 points are right.

    Args (keyword-only, stored as given, as in scikit-learn):
        lr: learning rate :math:`\eta > 0`.
        max_epochs: the most passes over the data.
        shuffle: visit the samples in a new random order each epoch.
        seed: seed of that order; the same seed gives the same result.

    Attributes set by :meth:`fit` (names end in ``_``):
        weights_: ``(n_features,)`` float array :math:`w`.
        bias_: float :math:`b`.
        errors_: list of the number of mistakes in each epoch.
        n_epochs_: epochs run, ``len(errors_)``.
        converged_: ``True`` if an epoch had no mistakes.
        n_features_in_: the number of features seen by ``fit``.

    Inputs ``X`` are ``(N, n_features)`` NumPy arrays, tensors or nested
    lists; labels ``y`` are ``(N,)`` (or ``(N, 1)``) with values 0 and 1.

        >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
        >>> p = Perceptron(seed=0).fit(X, [0, 0, 0, 1])          # AND
        >>> p.predict(X), p.converged_
        (array([0, 0, 0, 1]), True)
        >>> Perceptron(max_epochs=50).fit(X, [0, 1, 1, 0]).score(X, [0, 1, 1, 0]) <= 0.75   # XOR
        True
    """

    def __init__(
        self,
        *,
        lr: float = 1.0,
        max_epochs: int = 100,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        self.lr = check_range("lr", lr, low=0.0, low_inclusive=False, owner="Perceptron")
        self.max_epochs = check_int("max_epochs", max_epochs, low=1, owner="Perceptron")
        self.shuffle = bool(shuffle)
        self.seed = check_int("seed", seed, low=0, owner="Perceptron")

    # -- scikit-learn conventions -------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, enough to rebuild: ``Perceptron(**p.get_params())``."""
        return {"lr": self.lr, "max_epochs": self.max_epochs, "shuffle": self.shuffle, "seed": self.seed}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"Perceptron({args})"

    # -- learning -----------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> Perceptron:
        """Learn ``weights_`` and ``bias_`` from ``X`` ``(N, n_features)`` and 0/1 labels ``y`` ``(N,)``; return ``self``."""
        X, y = self._validate_xy(X, y, owner="Perceptron.fit")
        n, d = X.shape
        rng = np.random.default_rng(self.seed)
        w = np.zeros(d, dtype=np.float64)
        b = 0.0
        errors: list[int] = []
        converged = False
        for _ in range(self.max_epochs):
            order = rng.permutation(n) if self.shuffle else range(n)
            mistakes = 0
            for i in order:
                y_hat = 1 if float(X[i] @ w) + b > 0.0 else 0
                delta = y[i] - y_hat
                if delta != 0:
                    w += self.lr * delta * X[i]
                    b += self.lr * delta
                    mistakes += 1
            errors.append(mistakes)
            if mistakes == 0:
                converged = True
                break
        self.weights_ = w
        self.bias_ = float(b)
        self.errors_ = errors
        self.n_epochs_ = len(errors)
        self.converged_ = converged
        self.n_features_in_ = d
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The weighted sum :math:`w \\cdot x + b` per sample, shape ``(N,)``; positive means class 1."""
        X = self._validate_x(X, owner="Perceptron.decision_function")
        return X @ self.weights_ + self.bias_

    def predict(self, X: Any) -> np.ndarray:
        """Class labels :math:`H(w \\cdot x + b)` as an int array of 0/1, shape ``(N,)``."""
        X = self._validate_x(X, owner="Perceptron.predict")
        return (X @ self.weights_ + self.bias_ > 0.0).astype(np.int64)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of samples in ``X`` whose label ``y`` is predicted right."""
        X, y = self._validate_xy(X, y, owner="Perceptron.score", fitted=True)
        return float(np.mean((X @ self.weights_ + self.bias_ > 0.0).astype(np.int64) == y))

    # -- validation ---------------------------------------------------------------
    def _check_fitted(self, owner: str) -> None:
        if not hasattr(self, "weights_"):
            raise PhysnnError(f"{owner}: this Perceptron is not fitted yet; call fit(X, y) first.")

    def _validate_x(self, X: Any, *, owner: str) -> np.ndarray:
        self._check_fitted(owner)
        X = check_array("X", X, ndim=2, n_features=self.n_features_in_, owner=owner)
        return X.astype(np.float64, copy=False)

    def _validate_xy(self, X: Any, y: Any, *, owner: str, fitted: bool = False) -> tuple[np.ndarray, np.ndarray]:
        if fitted:
            X = self._validate_x(X, owner=owner)
        else:
            X = check_array("X", X, ndim=2, owner=owner).astype(np.float64, copy=False)
        y = check_array("y", y, ndim=(1, 2), n_features=1, owner=owner).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise PhysnnError(
                f"{owner}: 'X' has {X.shape[0]} rows but 'y' has {y.shape[0]}; "
                "they must describe the same samples, one label per row of X."
            )
        bad = np.setdiff1d(np.unique(y), [0, 1])
        if bad.size:
            shown = ", ".join(f"{v:g}" for v in bad[:10].tolist()) + (", ..." if bad.size > 10 else "")
            raise PhysnnError(
                f"{owner}: 'y' must hold the class labels 0 and 1; got {shown}. "
                "Map the labels to 0/1 first, e.g. y = (y == positive_label).astype(int)."
            )
        return X, y.astype(np.int64)
