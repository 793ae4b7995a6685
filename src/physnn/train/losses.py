r"""Loss functions by name, and the target checks that go with each.

A loss compares the model's output :math:`\hat y` with the target :math:`y`
over a batch of :math:`n` samples (every loss here takes the *mean* over the
batch and over output columns):

=====================  ==================================================================  =================
name                   formula                                                             model outputs
=====================  ==================================================================  =================
``"mse"``              :math:`\frac1n\sum_i (y_i-\hat y_i)^2`                              any real number
``"mae"``              :math:`\frac1n\sum_i |y_i-\hat y_i|`                                any real number
``"huber"``            :math:`\frac1n\sum_i h_\delta(y_i-\hat y_i)`,                       any real number
                       :math:`h_\delta(d)=\tfrac12 d^2` if :math:`|d|\le\delta`
                       else :math:`\delta(|d|-\tfrac12\delta)`
``"bce"``              :math:`-\frac1n\sum_i[y_i\log\hat y_i+(1-y_i)\log(1-\hat y_i)]`     probabilities
``"bce_with_logits"``  the same with :math:`\hat y_i=\sigma(z_i)=1/(1+e^{-z_i})`           logits :math:`z`
``"cross_entropy"``    :math:`-\frac1n\sum_i\log\operatorname{softmax}(z_i)_{y_i}`         logits, k columns
=====================  ==================================================================  =================

``bce_with_logits`` is the numerically safe form of ``bce`` (it never takes
``log 0``) and is what a binary classifier should use; ``bce`` expects the model
to end in a sigmoid already.

Targets: each loss wants a particular kind of ``y`` (see :func:`check_targets`
and :func:`prepare_targets`):

* regression (``mse``, ``mae``, ``huber``): finite floats, shape ``(n, m)``;
  a 1-D ``(n,)`` target becomes ``(n, 1)`` so it is never broadcast against an
  ``(n, 1)`` output into an ``(n, n)`` matrix;
* ``bce``/``bce_with_logits``: labels in ``[0, 1]`` (0/1, or soft labels),
  shape ``(n, 1)`` (or ``(n, m)`` for m independent yes/no outputs);
* ``cross_entropy``: integer class indices ``0 .. k-1``, shape ``(n,)``.

    >>> import torch
    >>> loss = get_loss("mse")
    >>> float(loss(torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [0.0]])))
    2.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_array, check_choice, check_range

__all__ = [
    "LOSSES",
    "REGRESSION_LOSSES",
    "get_loss",
    "loss_name",
    "check_targets",
    "prepare_targets",
    "output_kind",
    "loss_task",
    "predict_proba_fn",
    "default_loss_for",
]

LOSSES = ("mse", "mae", "huber", "bce", "bce_with_logits", "cross_entropy")
"""The loss names :func:`get_loss` knows."""

REGRESSION_LOSSES = ("mse", "mae", "huber")
"""Losses whose targets are real numbers."""

_CLASSES: dict[str, type[nn.Module]] = {
    "mse": nn.MSELoss,
    "mae": nn.L1Loss,
    "huber": nn.HuberLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "cross_entropy": nn.CrossEntropyLoss,
}

_KWARGS: dict[str, tuple[str, ...]] = {
    "mse": ("reduction",),
    "mae": ("reduction",),
    "huber": ("reduction", "delta"),
    "bce": ("reduction", "weight"),
    "bce_with_logits": ("reduction", "weight", "pos_weight"),
    "cross_entropy": ("reduction", "weight", "ignore_index", "label_smoothing"),
}


def _resolve(name: Any, owner: str) -> str:
    """Registry name of ``name`` (a string, or a loss module from :func:`get_loss`)."""
    if isinstance(name, str):
        return check_choice("loss", name, LOSSES, owner=owner)
    found = loss_name(name)
    if found is None:
        raise PhysnnError(
            f"{owner}: 'loss' must be one of "
            + ", ".join(repr(n) for n in LOSSES)
            + f" or a module made by get_loss; got {type(name).__name__}."
        )
    return found


def get_loss(name: str | nn.Module | Callable[..., torch.Tensor], **kwargs: Any) -> Any:
    r"""Return the loss module called ``name`` (see the table in the module docstring).

    ``name`` may also be a ready ``nn.Module`` or any callable
    ``loss(output, target) -> scalar tensor``: it is returned unchanged (and
    ``kwargs`` must then be empty).

    ``kwargs`` go to the torch class: ``reduction`` for all; ``delta``
    (:math:`\delta`, default 1) for ``huber``; ``weight`` and ``pos_weight``
    (weight of the positive class, e.g. ``n_neg/n_pos`` for imbalanced data)
    for the BCE losses; ``weight``, ``ignore_index`` and ``label_smoothing`` for
    ``cross_entropy``.

        >>> get_loss("huber", delta=0.5)
        HuberLoss()
        >>> get_loss("bce", delta=0.5)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: get_loss: 'bce' takes the keyword arguments 'reduction', 'weight'; got 'delta'.
    """
    if not isinstance(name, str):
        if isinstance(name, nn.Module) or callable(name):
            if kwargs:
                raise PhysnnError(
                    "get_loss: keyword arguments apply only to a loss given by name; "
                    f"got a ready {type(name).__name__} and {sorted(kwargs)}."
                )
            return name
        raise PhysnnError(
            "get_loss: 'loss' must be one of "
            + ", ".join(repr(n) for n in LOSSES)
            + f", an nn.Module or a callable; got {type(name).__name__}."
        )
    key = check_choice("loss", name, LOSSES, owner="get_loss")
    unknown = [k for k in kwargs if k not in _KWARGS[key]]
    if unknown:
        allowed = ", ".join(repr(k) for k in _KWARGS[key])
        raise PhysnnError(
            f"get_loss: {key!r} takes the keyword arguments {allowed}; "
            f"got {', '.join(repr(k) for k in unknown)}."
        )
    if "delta" in kwargs:
        kwargs["delta"] = check_range("delta", kwargs["delta"], low=0.0, low_inclusive=False, owner="get_loss")
    if "label_smoothing" in kwargs:
        kwargs["label_smoothing"] = check_range(
            "label_smoothing", kwargs["label_smoothing"], low=0.0, high=1.0, owner="get_loss"
        )
    if "reduction" in kwargs:
        kwargs["reduction"] = check_choice(
            "reduction", kwargs["reduction"], ("mean", "sum", "none"), owner="get_loss"
        )
    for k in ("weight", "pos_weight"):
        if k in kwargs and kwargs[k] is not None and not isinstance(kwargs[k], torch.Tensor):
            kwargs[k] = torch.as_tensor(kwargs[k], dtype=torch.get_default_dtype())
    try:
        return _CLASSES[key](**kwargs)
    except (ValueError, TypeError) as exc:
        raise PhysnnError(f"get_loss: bad keyword arguments for {key!r}: {exc}") from exc


def loss_name(loss: Any) -> str | None:
    """The registry name of a loss module, or ``None`` for a custom loss.

        >>> loss_name(get_loss("cross_entropy")), loss_name(lambda out, y: out.sum())
        ('cross_entropy', None)
    """
    if isinstance(loss, str):
        return check_choice("loss", loss, LOSSES, owner="loss_name")
    for key, cls in _CLASSES.items():
        if type(loss) is cls:
            return key
    return None


def _values(a: np.ndarray, mask: np.ndarray, limit: int = 5) -> str:
    """The distinct values of ``a[mask]`` in order of first appearance, as text."""
    bad = a[mask]
    _, first = np.unique(bad, return_index=True)
    shown = [bad[i] for i in sorted(first)]
    text = ", ".join(repr(float(v)) if np.issubdtype(a.dtype, np.floating) else repr(int(v))
                     for v in shown[:limit])
    if len(shown) > limit:
        text += f" (and {len(shown) - limit} more)"
    return text


def check_targets(
    name: Any,
    y: Any,
    *,
    n_outputs: int | None = None,
    owner: str | None = None,
) -> None:
    """Raise a :class:`PhysnnError` if ``y`` cannot be the target of loss ``name``.

    ``y`` is an array or tensor of targets, ``n_outputs`` the number of model
    output columns (``k`` classes for ``cross_entropy``). What each loss needs:

    * ``mse``/``mae``/``huber``: numbers, all finite; ``(n,)`` or ``(n, m)``
      with ``m == n_outputs`` (``(n,)`` counts as one column), or ``(n, ...)``
      fields and masks shaped like the model's output;
    * ``bce``/``bce_with_logits``: values in ``[0, 1]`` — 0/1 labels or soft
      labels (probabilities); columns as for regression;
    * ``cross_entropy``: integer class indices ``0 .. n_outputs-1`` in a 1-D
      array, or ``(n, H, W, ...)`` class maps for per-pixel classes (floats are
      accepted only if they hold whole numbers).

    A custom loss (not from :func:`get_loss`) gets only the generic checks
    (numeric, finite, 1-D to 5-D).

        >>> check_targets("bce", [0, 1, 1, 0])
        >>> check_targets("bce", [0.0, 2.0, 1.0, -1.0])
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: labels must lie in [0, 1] for 'bce'; found values 2.0, -1.0 — map classes to 0/1 or use 'cross_entropy' for more than two classes.
        >>> check_targets("cross_entropy", [0, 2, 3], n_outputs=3)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: class indices for 'cross_entropy' must lie in 0..2 (the model has n_outputs=3); found 3. Give the model one output per class, or relabel classes as 0..2.
    """
    pre = f"{owner}: " if owner else ""
    key = name if isinstance(name, str) else loss_name(name)
    if key is not None:
        key = check_choice("loss", key, LOSSES, owner=owner)
    a = check_array("y", y, ndim=(1, 2, 3, 4, 5), finite=True, owner=owner)
    if a.dtype == bool:
        a = a.astype(np.int64)

    if key == "cross_entropy":
        if a.ndim == 2:  # (n, H, ...) class maps (segmentation) are fine; (n, k) is one-hot
            if a.shape[1] == 1:
                raise PhysnnError(
                    f"{pre}targets for 'cross_entropy' must be 1-D class indices of shape (n,); "
                    f"got shape {a.shape}. Flatten them with y.reshape(-1)."
                )
            raise PhysnnError(
                f"{pre}targets for 'cross_entropy' must be 1-D class indices of shape (n,); "
                f"got shape {a.shape}. If y is one-hot, convert it with y.argmax(axis=1)."
            )
        if np.issubdtype(a.dtype, np.floating):
            frac = a != np.round(a)
            if frac.any():
                raise PhysnnError(
                    f"{pre}targets for 'cross_entropy' must be integer class indices; "
                    f"found non-integer values {_values(a, frac)}. For real-valued targets "
                    "use a regression loss such as 'mse'."
                )
        if n_outputs is not None:
            hi = int(n_outputs) - 1
            bad = (a < 0) | (a > hi)
            if bad.any():
                raise PhysnnError(
                    f"{pre}class indices for 'cross_entropy' must lie in 0..{hi} "
                    f"(the model has n_outputs={int(n_outputs)}); found {_values(a, bad)}. "
                    f"Give the model one output per class, or relabel classes as 0..{hi}."
                )
        else:
            bad = a < 0
            if bad.any():
                raise PhysnnError(
                    f"{pre}class indices for 'cross_entropy' must be >= 0; found "
                    f"{_values(a, bad)}. Relabel classes as 0..k-1 "
                    "(e.g. np.unique(y, return_inverse=True)[1])."
                )
        return

    if key in ("bce", "bce_with_logits"):
        bad = (a < 0) | (a > 1)
        if bad.any():
            raise PhysnnError(
                f"{pre}labels must lie in [0, 1] for {key!r}; found values "
                f"{_values(a, bad)} — map classes to 0/1 or use 'cross_entropy' "
                "for more than two classes."
            )

    if n_outputs is not None and key is not None and a.ndim <= 2:
        cols = 1 if a.ndim == 1 else a.shape[1]
        if cols != int(n_outputs):
            raise PhysnnError(
                f"{pre}targets for {key!r} have {cols} column(s) but the model has "
                f"n_outputs={int(n_outputs)}; they must match (one output per target column)."
            )


def prepare_targets(name: Any, y: Any, *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Return ``y`` as the tensor loss ``name`` wants (no validation; see :func:`check_targets`).

    * ``cross_entropy``: ``torch.long`` of shape ``(n,)`` (an ``(n, 1)`` input is flattened);
    * every other loss: floating point of shape ``(n, m)``; ``(n,)`` becomes ``(n, 1)``.
      The float dtype is ``dtype`` if given, else ``y``'s own float dtype, else
      ``torch.get_default_dtype()``.

    A custom loss gets ``y`` as a tensor, unchanged.

        >>> prepare_targets("mse", torch.tensor([1, 2])).shape, prepare_targets("mse", torch.tensor([1, 2])).dtype
        (torch.Size([2, 1]), torch.float32)
        >>> prepare_targets("cross_entropy", torch.tensor([[2.0], [0.0]]))
        tensor([2, 0])
    """
    t = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    key = name if isinstance(name, str) else loss_name(name)
    if key is None:
        return t
    key = check_choice("loss", key, LOSSES, owner="prepare_targets")
    if key == "cross_entropy":
        return t.reshape(-1).to(torch.long) if t.ndim == 2 and t.shape[1] == 1 else t.to(torch.long)
    if dtype is None:
        dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
    t = t.to(dtype)
    return t.reshape(-1, 1) if t.ndim == 1 else t


def output_kind(name: Any) -> str:
    """What the model's raw outputs mean for loss ``name``.

    ``"logits"`` (``bce_with_logits``, ``cross_entropy``: unbounded scores that a
    sigmoid/softmax turns into probabilities), ``"probability"`` (``bce``: the
    model ends in a sigmoid) or ``"regression"`` (``mse``, ``mae``, ``huber``).

        >>> [output_kind(n) for n in ("mse", "bce", "bce_with_logits")]
        ['regression', 'probability', 'logits']
    """
    key = _resolve(name, "output_kind")
    if key in REGRESSION_LOSSES:
        return "regression"
    return "probability" if key == "bce" else "logits"


def loss_task(name: Any) -> str:
    """The task a loss implies: ``"binary"``, ``"multiclass"`` or ``"regression"``.

    Feeds :func:`physnn.train.metrics.default_metrics`.

        >>> loss_task("bce_with_logits"), loss_task("cross_entropy"), loss_task("huber")
        ('binary', 'multiclass', 'regression')
    """
    key = _resolve(name, "loss_task")
    if key in REGRESSION_LOSSES:
        return "regression"
    return "multiclass" if key == "cross_entropy" else "binary"


def _identity(out: torch.Tensor) -> torch.Tensor:
    return out


def _softmax(out: torch.Tensor) -> torch.Tensor:
    return torch.softmax(out, dim=1 if out.ndim >= 2 else -1)


def predict_proba_fn(name: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    r"""The map from model outputs to what the metrics need, for loss ``name``.

    * ``bce_with_logits``: :math:`\sigma(z)=1/(1+e^{-z})` — probability of class 1;
    * ``cross_entropy``: :math:`\operatorname{softmax}(z)_j=e^{z_j}/\sum_l e^{z_l}`
      over the class axis (axis 1, torch's convention) — ``(n, k)`` class
      probabilities, or ``(n, k, H, W)`` per pixel;
    * ``bce`` (outputs are already probabilities) and regression losses: identity.

        >>> f = predict_proba_fn("bce_with_logits")
        >>> f(torch.tensor([0.0]))
        tensor([0.5000])
        >>> predict_proba_fn("cross_entropy")(torch.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """
    key = _resolve(name, "predict_proba_fn")
    if key == "bce_with_logits":
        return torch.sigmoid
    if key == "cross_entropy":
        return _softmax
    return _identity


def default_loss_for(y: Any) -> str:
    """A loss that suits targets ``y`` (a heuristic; pass the loss explicitly when it matters).

    * only the values 0 and 1 (any dtype) → ``"bce_with_logits"``;
    * an integer (or bool) 1-D array with more than two classes → ``"cross_entropy"``;
    * anything else → ``"mse"``.

        >>> default_loss_for([0, 1, 1]), default_loss_for([0, 2, 1]), default_loss_for([0.3, 1.2])
        ('bce_with_logits', 'cross_entropy', 'mse')
    """
    a = check_array("y", y, ndim=(1, 2), owner="default_loss_for")
    if a.dtype == bool or np.isin(a, (0, 1)).all():
        return "bce_with_logits"
    flat = a.reshape(-1) if (a.ndim == 2 and a.shape[1] == 1) else a
    if flat.ndim == 1 and np.issubdtype(flat.dtype, np.integer) and flat.min() >= 0:
        return "cross_entropy"
    return "mse"
