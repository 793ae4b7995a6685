r"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, trained by physnn's :func:`~physnn.train.fit`.

The same names and core parameters as :mod:`sklearn.neural_network`, so that
swapping is one import; the network is a :class:`physnn.nn.MLP` and training
runs through physnn's one loop (Adam or SGD, mini-batches, early stopping).

What is minimised, per mini-batch :math:`B` (:math:`|B|` = ``batch_size``):

.. math::

    L_B = \ell_B(\theta) + \frac{\alpha}{2|B|}\,\lVert\theta\rVert^2

with :math:`\ell_B` the mean cross-entropy of the softmax outputs
(classifier) or the mean squared error (regressor; scikit-learn minimises
half of it, so the penalty is doubled there to keep the same optimum).  The
penalty is applied as the optimizer's ``weight_decay`` (one parameter group,
which keeps physnn's fused Adam step): unlike scikit-learn it also acts on
the biases — a difference of order :math:`\alpha/|B|` (5·10⁻⁷ by default).

Stopping follows scikit-learn (:class:`ToleranceStopping`): without
``early_stopping`` training stops when the training loss has not decreased
below its best so far by more than ``tol`` (the regressor: ``2·tol``
on the mean squared error, i.e. ``tol`` on scikit-learn's half of it) for
more than ``n_iter_no_change`` epochs; with it, ``ceil(validation_fraction · n_samples)``
rows are held out (stratified for the classifier when every class has at least
two samples and each fits on both sides; a plain random split otherwise), training stops when the
validation score (accuracy, R²) has not risen above its best by more than
``tol`` for more than ``n_iter_no_change`` epochs, and the weights of the best epoch are restored.
Reaching ``max_iter`` first gives a ``ConvergenceWarning``.

The initial weights and biases are drawn as scikit-learn draws them,
:math:`\mathcal U(\pm\sqrt{6/(n_{in}+n_{out})})` per layer
(:math:`\sqrt{2/(n_{in}+n_{out})}` for logistic units).

Predictions are computed in float64 (training runs in float32), so they do not
depend on how the rows are split into batches.

    >>> from sklearn.datasets import make_classification
    >>> from physnn.estimators import MLPClassifier
    >>> X, y = make_classification(n_samples=400, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9, clf.predict_proba(X[:2]).shape
    (True, (2, 2))
"""

from __future__ import annotations

import copy
import numbers
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

try:
    from sklearn.utils.validation import validate_data
except ImportError as exc:  # scikit-learn < 1.6
    import sklearn

    raise ImportError(f"physnn.estimators needs scikit-learn >= 1.6 (validate_data and estimator tags); this is "
                      f"{sklearn.__version__}: pip install -U 'scikit-learn>=1.6'.") from exc

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.train.callbacks import Callback

__all__ = ["BaseMLPEstimator", "MLPClassifier", "MLPRegressor", "ToleranceStopping", "ESTIMATOR_ACTIVATIONS",
           "SOLVERS"]

#: scikit-learn's activation names, mapped to physnn's (``logistic`` is ``sigmoid``).
_SKLEARN_NAMES = {"logistic": "sigmoid"}
#: Activations accepted: scikit-learn's four, then the rest of physnn's.
ESTIMATOR_ACTIVATIONS: tuple[str, ...] = ("identity", "logistic", "tanh", "relu", "sigmoid", "leaky_relu", "elu",
                                          "gelu", "silu", "softplus")
#: The solvers supported (scikit-learn's ``lbfgs`` is not).
SOLVERS: tuple[str, ...] = ("adam", "sgd")


def _check_bool(name: str, value: Any, owner: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise PhysnnError(f"{owner}: {name!r} must be True or False; got {value!r}.")
    return bool(value)


class BaseMLPEstimator(BaseEstimator):
    """What :class:`MLPClassifier` and :class:`MLPRegressor` share: parameters, checks, the fit.

    Not for direct use; the two subclasses say what the loss, targets and
    outputs are.
    """

    _task = "regression"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        device: str = "cpu",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.device = device

    # ----------------------------------------------------------------- checks
    def _checked_params(self) -> dict[str, Any]:
        """Every parameter, validated (scikit-learn validates in ``fit``, not in ``__init__``)."""
        owner = type(self).__name__
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = [hidden]
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise PhysnnError(f"{owner}: 'hidden_layer_sizes' must be a tuple of positive layer sizes such as "
                              f"(100,) or (64, 32); got {self.hidden_layer_sizes!r}.")
        hidden = [check_int(f"hidden_layer_sizes[{i}]", h, low=1, owner=owner) for i, h in enumerate(hidden)]
        act = check_choice("activation", self.activation, ESTIMATOR_ACTIVATIONS, owner=owner)
        p: dict[str, Any] = {
            "hidden": hidden,
            "activation": _SKLEARN_NAMES.get(act, act),
            "solver": check_choice("solver", self.solver, SOLVERS, owner=owner),
            "alpha": check_range("alpha", self.alpha, low=0.0, owner=owner),
            "lr": check_range("learning_rate_init", self.learning_rate_init, low=0.0, low_inclusive=False,
                              owner=owner),
            "max_iter": check_int("max_iter", self.max_iter, low=1, owner=owner),
            "tol": check_range("tol", self.tol, low=0.0, owner=owner),
            "verbose": _check_bool("verbose", self.verbose, owner),
            "momentum": check_range("momentum", self.momentum, low=0.0, high=1.0, owner=owner),
            "nesterov": _check_bool("nesterovs_momentum", self.nesterovs_momentum, owner),
            "early_stopping": _check_bool("early_stopping", self.early_stopping, owner),
            "validation_fraction": check_range("validation_fraction", self.validation_fraction, low=0.0, high=1.0,
                                               low_inclusive=False, high_inclusive=False, owner=owner),
            "beta_1": check_range("beta_1", self.beta_1, low=0.0, high=1.0, high_inclusive=False, owner=owner),
            "beta_2": check_range("beta_2", self.beta_2, low=0.0, high=1.0, high_inclusive=False, owner=owner),
            "epsilon": check_range("epsilon", self.epsilon, low=0.0, low_inclusive=False, owner=owner),
            "n_iter_no_change": check_int("n_iter_no_change", self.n_iter_no_change, low=1, owner=owner),
            "dropout": check_range("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False, owner=owner),
        }
        bs = self.batch_size
        if isinstance(bs, str):
            check_choice("batch_size", bs, ["auto"], owner=owner)
            p["batch_size"] = None
        else:
            p["batch_size"] = check_int("batch_size", bs, low=1, owner=owner)
        from physnn.train import resolve_device

        p["device"] = resolve_device(self.device, owner=owner)
        return p

    def _validate_X(self, X: Any, *, reset: bool) -> np.ndarray:
        X = validate_data(self, X, reset=reset, accept_sparse=["csr", "csc", "coo"],
                          dtype=(np.float64, np.float32))
        return _dense(X)

    # -------------------------------------------------------------------- fit
    def _fit(self, X: np.ndarray, y_enc: np.ndarray, n_out: int, stratify: np.ndarray | None) -> None:
        from physnn.nn import MLP
        from physnn.train import OptimizerSpec, fit

        p = self._checked_params()
        owner = type(self).__name__
        rng = check_random_state(self.random_state)
        init_seed, fit_seed = (int(s) for s in rng.randint(0, np.iinfo(np.int32).max, size=2))
        n = X.shape[0]
        Xv = yv = None
        if p["early_stopping"]:
            n_val = int(np.ceil(p["validation_fraction"] * n)) if n > 1 else 0
            if n_val < 1 or n - n_val < 1:
                raise PhysnnError(f"{owner}: early_stopping needs at least 2 samples to hold out "
                                  f"validation_fraction={p['validation_fraction']:g} of them; got {n} sample(s). "
                                  "Set early_stopping=False or pass more data.")
            if stratify is not None and not _can_stratify(stratify, n_val):
                stratify = None  # too few samples of some class to keep the proportions: a plain random split
            X, Xv, y_enc, yv = train_test_split(X, y_enc, test_size=n_val,
                                                random_state=rng.randint(0, np.iinfo(np.int32).max),
                                                stratify=stratify)
        n_train = X.shape[0]
        bs = min(200, n_train) if p["batch_size"] is None else min(p["batch_size"], n_train)

        # data loss + alpha/(2|B|) ||theta||^2: gradient alpha/|B| theta; the regressor's mse is twice
        # scikit-learn's squared_error/2, so its penalty is doubled to keep the same minimum.
        decay = p["alpha"] / bs * (2.0 if self._task == "regression" else 1.0)
        if p["solver"] == "adam":
            spec = OptimizerSpec("adam", lr=p["lr"], weight_decay=decay,
                                 options={"betas": (p["beta_1"], p["beta_2"]), "eps": p["epsilon"]})
        else:
            spec = OptimizerSpec("sgd", lr=p["lr"], weight_decay=decay, momentum=p["momentum"],
                                 nesterov=p["nesterov"] and p["momentum"] > 0)

        if p["early_stopping"]:
            metric = "accuracy" if self._task == "classification" else "r2"
            monitor, mode = f"val_{metric}", "max"
            metrics: list[str] = [metric]
        else:
            monitor, mode, metrics = "loss", "min", []
        # scikit-learn compares tol with its loss, half the mean squared error for the regressor
        tol = 2.0 * p["tol"] if (self._task == "regression" and not p["early_stopping"]) else p["tol"]
        stopper = ToleranceStopping(monitor, mode=mode, tol=tol, n_iter_no_change=p["n_iter_no_change"],
                                    restore_best=p["early_stopping"])

        model = MLP(X.shape[1], p["hidden"], n_out, activation=p["activation"], dropout=p["dropout"],
                    init="torch", seed=init_seed)
        _glorot_init(model, init_seed, gain=2.0 if p["activation"] == "sigmoid" else 6.0)
        loss = "cross_entropy" if self._task == "classification" else "mse"
        data = (torch.from_numpy(_f32(X)), torch.from_numpy(y_enc))
        val = None if Xv is None else (torch.from_numpy(_f32(Xv)), torch.from_numpy(yv))
        # fit seeds torch's global generator (dropout); keep the caller's random state as it was
        with torch.random.fork_rng(devices=[]):
            try:
                result = fit(model, data, val=val, loss=loss, optimizer=spec, epochs=p["max_iter"], batch_size=bs,
                             metrics=metrics, callbacks=[stopper], monitor=monitor, mode=mode, seed=fit_seed,
                             log_every=1 if p["verbose"] else None, progress=False, device=p["device"])
            except PhysnnError as exc:
                if "y_pred" not in str(exc):
                    raise
                # the validation metric met infinite predictions before the training loss became NaN
                raise PhysnnError(f"{owner}: training diverged: the predictions on the validation set became "
                                  f"infinite (learning_rate_init={p['lr']:g}); lower learning_rate_init or scale "
                                  "the inputs, e.g. with sklearn.preprocessing.StandardScaler in a Pipeline.") from None
        if result.stop_reason.value == "nan_loss":
            raise PhysnnError(f"{owner}: {result.message} (learning_rate_init={p['lr']:g}); scale the inputs, "
                              "e.g. with sklearn.preprocessing.StandardScaler in a Pipeline.")
        model.eval()
        self.model_ = model
        self.history_ = _plain_history(result)
        self.loss_curve_ = [float(v) for v in result["loss"]]
        self.n_iter_ = int(result.epochs_run)
        self.t_ = int(self.n_iter_ * n_train)
        self.n_layers_ = len(p["hidden"]) + 2
        self.n_outputs_ = n_out
        self.batch_size_ = bs
        if p["early_stopping"]:
            self.validation_scores_ = [float(v) for v in result[monitor]]
            self.best_validation_score_ = float(max(self.validation_scores_))
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = float(min(self.loss_curve_))
        if not stopper.stopped:
            warnings.warn(f"{owner}: max_iter={p['max_iter']} epochs reached and the optimization has not "
                          "converged yet; raise max_iter.", ConvergenceWarning, stacklevel=3)

    # ------------------------------------------------------------- learned state
    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices, ``coefs_[i]`` of shape (n_in_i, n_out_i) as in scikit-learn (float64 copies)."""
        check_is_fitted(self, "model_")
        return [m.weight.detach().cpu().double().numpy().T.copy() for m in self.model_
                if isinstance(m, torch.nn.Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, ``intercepts_[i]`` of shape (n_out_i,) (float64 copies)."""
        check_is_fitted(self, "model_")
        return [m.bias.detach().cpu().double().numpy().copy() for m in self.model_
                if isinstance(m, torch.nn.Linear)]

    def _forward(self, X: Any) -> np.ndarray:
        """The network's raw outputs (logits or values) for ``X``, (n_samples, n_outputs_), in float64."""
        check_is_fitted(self, "model_")
        X = self._validate_X(X, reset=False)
        dev = next(self.model_.parameters()).device
        if dev.type == "mps":  # no float64 there
            dev = torch.device("cpu")
        net = copy.deepcopy(self.model_).to(dev).double().eval()
        with torch.no_grad():
            xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64)).to(dev)
            out = [net(xt[i: i + 65536]) for i in range(0, xt.shape[0], 65536)]
            return torch.cat(out).cpu().numpy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        return tags


class ToleranceStopping(Callback):
    """scikit-learn's stopping rule for its MLPs, as a physnn callback.

    After each epoch the monitored value ``v`` (the training loss, ``mode="min"``,
    or a validation score, ``mode="max"``) counts as *no improvement* when
    ``v > best - tol`` (min) or ``v < best + tol`` (max), where ``best`` is the
    best value so far — updated by *any* improvement, however small (unlike
    :class:`~physnn.train.EarlyStopping`, whose best moves only by more than
    ``min_delta``).  Training stops once more than ``n_iter_no_change``
    consecutive epochs show no improvement; with ``restore_best`` the weights of
    the best epoch (the loop's own record of ``monitor``) are loaded at the end.

        >>> cb = ToleranceStopping("loss", mode="min", tol=0.1, n_iter_no_change=2)
        >>> [cb.update(v) for v in [1.0, 0.95, 0.91, 0.88, 0.5]]
        [False, False, False, True, False]
    """

    def __init__(self, monitor: str, *, mode: str, tol: float, n_iter_no_change: int,
                 restore_best: bool = False) -> None:
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ["min", "max"], owner="ToleranceStopping")
        self.tol = check_range("tol", tol, low=0.0, owner="ToleranceStopping")
        self.n_iter_no_change = check_int("n_iter_no_change", n_iter_no_change, low=1, owner="ToleranceStopping")
        self.restore_best = bool(restore_best)
        self.best = float("inf") if self.mode == "min" else float("-inf")
        self.count = 0
        self.stopped = False

    def update(self, value: float) -> bool:
        """Feed one epoch's value; True when training should stop."""
        if self.mode == "min":
            worse, better = value > self.best - self.tol, value < self.best
        else:
            worse, better = value < self.best + self.tol, value > self.best
        self.count = self.count + 1 if worse else 0
        if better:
            self.best = value
        return self.count > self.n_iter_no_change

    def on_fit_start(self, state: Any) -> None:
        self.best = float("inf") if self.mode == "min" else float("-inf")
        self.count = 0
        self.stopped = False

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        if self.update(float(logs[self.monitor])):
            self.stopped = True
            what = "validation score" if self.mode == "max" else "training loss"
            state.request_stop("early_stopping", f"The {what} ({self.monitor}) did not improve by more than "
                               f"tol={self.tol:g} for {self.n_iter_no_change} consecutive epochs.")

    def on_fit_end(self, state: Any) -> None:
        if self.restore_best and state.best.weights is not None and state.stop_reason.value != "nan_loss":
            state.raw_model.load_state_dict(state.best.weights)
            state.restored_epoch = state.best.epoch


def _glorot_init(model: torch.nn.Module, seed: int, *, gain: float) -> None:
    r"""scikit-learn's initialisation: every weight and bias of each Linear layer drawn from
    :math:`\mathcal U(\pm\sqrt{g/(n_{in}+n_{out})})`, ``g`` = 2 for logistic units, else 6."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                bound = (gain / (m.in_features + m.out_features)) ** 0.5
                for t in (m.weight, m.bias):
                    t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * (2 * bound) - bound)


def _can_stratify(labels: np.ndarray, n_val: int) -> bool:
    """Whether a stratified split can hold ``n_val`` samples out: every class twice, room for each class."""
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    return bool(counts.min() >= 2 and len(counts) <= n_val <= len(labels) - len(counts))


def _plain_history(result: Any) -> Any:
    """fit's record as a plain :class:`~physnn.train.History` that pickles (a FitResult holds the optimizer
    and end-of-fit metrics computed on first read, through a closure)."""
    from physnn.train import History

    h = History(monitor=result.monitor, mode=result.mode)
    h.records = [dict(r) for r in result.records]
    h.stop_reason = result.stop_reason
    h.message = result.message
    h.wall_time = float(result.wall_time)
    return h


def _dense(X: Any) -> np.ndarray:
    return X.toarray() if hasattr(X, "toarray") else X


def _f32(X: np.ndarray) -> np.ndarray:
    """A writable, C-contiguous float32 copy or view (``torch.from_numpy`` warns on read-only arrays)."""
    out = np.ascontiguousarray(X, dtype=np.float32)
    return out if out.flags.writeable else out.copy()


class MLPClassifier(ClassifierMixin, BaseMLPEstimator):
    """scikit-learn's ``MLPClassifier``, trained by physnn: softmax outputs and cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        The sizes of the hidden layers; ``()`` gives multinomial logistic regression.
    activation : {'relu', 'tanh', 'logistic', 'identity', ...}, default 'relu'
        scikit-learn's four names (``logistic`` = sigmoid) or any of physnn's
        (``leaky_relu``, ``elu``, ``gelu``, ``silu``, ``softplus``).
    solver : {'adam', 'sgd'}, default 'adam'
    alpha : float >= 0, default 1e-4
        L2 penalty :math:`\\alpha/(2|B|)\\lVert\\theta\\rVert^2` per mini-batch (see the module notes).
    batch_size : int or 'auto', default 'auto'
        ``'auto'`` is ``min(200, n_samples)``.
    learning_rate_init : float > 0, default 1e-3
    max_iter : int >= 1, default 200
        The most epochs.
    random_state : None, int or RandomState
        Seeds the initial weights, the batch order, dropout and the validation split.
    tol, n_iter_no_change : stopping (see the module notes).
    verbose : bool
        Print the loss of every epoch.
    momentum, nesterovs_momentum : for ``solver='sgd'``.
    early_stopping : bool, default False
    validation_fraction : float in (0, 1), default 0.1
    beta_1, beta_2, epsilon : for ``solver='adam'``.
    dropout : float in [0, 1), default 0
        Dropout after every hidden activation (physnn's; not in scikit-learn).
    device : str, default 'cpu'
        ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'`` or ``'auto'``.

    Attributes
    ----------
    classes_ : (n_classes,) array
    n_features_in_, feature_names_in_ : as in scikit-learn
    model_ : physnn.nn.MLP
        The trained network (logits out), on ``device``.
    history_ : physnn.train.History
        physnn's record of the fit (per-epoch loss, validation, time, stop reason and message).
    loss_curve_ : list of float
        The mean training cross-entropy of each epoch (without the penalty).
    best_loss_ : float or None
        ``min(loss_curve_)``; ``None`` with ``early_stopping``.
    validation_scores_, best_validation_score_ : validation accuracies with ``early_stopping``, else None.
    n_iter_, t_ : epochs run, training samples seen.
    n_layers_, n_outputs_, out_activation_, coefs_, intercepts_ : as in scikit-learn.

    Not supported (scikit-learn has them): ``solver='lbfgs'``, ``learning_rate`` schedules,
    ``shuffle=False``, ``warm_start``, ``partial_fit``, ``sample_weight``, multilabel targets.

    Example
    -------
        >>> from sklearn.datasets import make_blobs
        >>> X, y = make_blobs(n_samples=300, centers=3, random_state=0)
        >>> clf = MLPClassifier((16,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, y)
        >>> clf.classes_, clf.predict_proba(X).shape, clf.score(X, y) > 0.85
        (array([0, 1, 2]), (300, 3), True)
    """

    _task = "classification"

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X`` (n_samples, n_features) and class labels ``y`` (n_samples,); return ``self``."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc", "coo"], dtype=(np.float64, np.float32))
        X = _dense(X)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise PhysnnError(f"{type(self).__name__}: the training data hold only one class ({classes[0]!r}); "
                              "a classifier needs samples of at least 2 classes.")
        self.classes_ = classes
        self._fit(X, y_enc.astype(np.int64), len(classes), stratify=y_enc)
        self.out_activation_ = "softmax"
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax of the logits), shape (n_samples, n_classes), columns in ``classes_`` order."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``, computed stably."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, shape (n_samples,)."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self._forward(X), axis=1)]


class MLPRegressor(RegressorMixin, BaseMLPEstimator):
    """scikit-learn's ``MLPRegressor``, trained by physnn: linear outputs and mean squared error.

    The parameters are :class:`MLPClassifier`'s (see there); ``early_stopping``
    monitors the validation R².  ``y`` may be (n_samples,) or
    (n_samples, n_targets); predictions have the same number of dimensions.
    Targets are not rescaled (as in scikit-learn): for targets far from unit
    scale use ``sklearn.compose.TransformedTargetRegressor``.

    Attributes are :class:`MLPClassifier`'s without ``classes_``;
    ``loss_curve_`` holds the mean squared error of each epoch (scikit-learn
    records half of it plus the penalty).

    Example
    -------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.uniform(-1, 1, size=(400, 2)); y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
        >>> reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=200, random_state=0).fit(X, y)
        >>> reg.predict(X).shape, reg.score(X, y) > 0.9
        ((400,), True)
    """

    _task = "regression"

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``X`` (n_samples, n_features) and targets ``y`` ((n_samples,) or (n_samples, n_targets))."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc", "coo"], dtype=(np.float64, np.float32),
                             multi_output=True, y_numeric=True)
        X = _dense(X)
        self._y_1d = y.ndim == 1
        y2 = np.ascontiguousarray(y.reshape(len(y), -1), dtype=np.float32)
        self._fit(X, y2, y2.shape[1], stratify=None)
        self.out_activation_ = "identity"
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) when fitted on a 1-D ``y``, else (n_samples, n_targets)."""
        out = self._forward(X)
        return out.ravel() if self._y_1d else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
