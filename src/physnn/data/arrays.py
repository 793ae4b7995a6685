"""In-memory tabular data: features ``X``, targets ``y``, their names, splits and scaling.

The lecture's supervised learning needs three things from the data before any
network sees it:

* a **feature matrix** ``X`` of shape ``(n_samples, n_features)`` (rows are
  samples) and **targets** ``y`` — :class:`ArrayData` holds both with their
  column names;
* a held-out **validation** (and maybe **test**) set, so that overfitting shows
  up as a rising validation loss — :meth:`ArrayData.split`, optionally
  *stratified* to keep class proportions;
* features on a common scale, with the scale learned **on the training set
  only** (otherwise the validation set leaks into training) —
  :class:`Standardizer`, :func:`fit_standardizer`, :func:`standardize`.

Target conventions (what the losses in :mod:`physnn.train` expect):

============================  ======================  =============================
``y`` passed as                stored as               use with
============================  ======================  =============================
1-D integer class labels       ``int64``, ``(n,)``      cross-entropy (``C`` classes)
1-D floats (or bools)          ``float32``, ``(n, 1)``  MSE, or BCE for 0/1 labels
2-D numbers ``(n, k)``         ``float32``, ``(n, k)``  MSE with ``k`` outputs
============================  ======================  =============================

    >>> import numpy as np
    >>> data = ArrayData(np.arange(20.0).reshape(10, 2), np.arange(10) % 2 * 1.0)
    >>> data
    ArrayData('data', n_samples=10, features=['x0', 'x1'], targets=['y'])
    >>> parts = data.split(val=0.2, seed=0)
    >>> len(parts.train), len(parts.val), parts.test
    (8, 2, None)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from physnn.errors import PhysnnError, check_array, check_finite, check_int, check_range

__all__ = ["ArrayData", "Split", "Standardizer", "fit_standardizer", "standardize"]

# A column with at most this many distinct values may be stratified on.
_MAX_STRATIFY_CLASSES = 20


def _is_tensor(x: Any) -> bool:
    """True for a torch tensor, without importing torch when nobody has."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def check_names(
    given: Sequence[str] | None, count: int, default: list[str], what: str, owner: str
) -> list[str]:
    """``given`` as a list of ``count`` distinct non-empty names (``default`` when None); else a PhysnnError."""
    if given is None:
        return default
    if isinstance(given, str):
        given = [given]
    names = list(given)
    if len(names) != count:
        raise PhysnnError(
            f"{owner}: {what!r} has {len(names)} names but the data have {count} "
            f"columns; pass exactly one name per column (got {names[:10]!r})."
        )
    for n in names:
        if not isinstance(n, str) or not n:
            raise PhysnnError(
                f"{owner}: every name in {what!r} must be a non-empty string; got {n!r}."
            )
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise PhysnnError(
            f"{owner}: {what!r} must not repeat a name; {dup!r} appear more than once."
        )
    return names


def default_target_names(k: int) -> list[str]:
    """``["y"]`` for one target, else ``["y0", "y1", ...]``."""
    return ["y"] if k == 1 else [f"y{j}" for j in range(k)]


class ArrayData:
    """Features ``X``, optional targets ``y`` and their names, validated once.

    Parameters
    ----------
    X : array-like or tensor, shape ``(n_samples, n_features)``
        Numeric and finite; stored as a ``float32`` NumPy array.
    y : array-like or tensor, optional
        Targets, ``n_samples`` rows.  1-D *integer* class labels (``0 .. C-1``)
        stay 1-D ``int64`` (for cross-entropy); any other 1-D target becomes a
        ``float32`` column ``(n, 1)``; 2-D targets are stored as ``float32``
        ``(n, k)``.  ``None`` for unlabelled data (prediction).
    feature_names, target_names : list of str, optional
        One name per column; defaults ``x0 .. x{d-1}`` and ``y`` (one target)
        or ``y0 .. y{k-1}``.
    name : str
        A label for the data set, shown in reprs, logs and reports.

    Examples
    --------
    >>> import numpy as np
    >>> d = ArrayData([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [0, 2, 1], name="toy")
    >>> d.X.dtype, d.y.dtype, d.y.shape, d.n_classes
    (dtype('float32'), dtype('int64'), (3,), 3)
    >>> ArrayData([[1.0], [2.0]], [0.5, 1.5]).y.shape
    (2, 1)
    >>> ArrayData([[1.0], [2.0]], [1.0, 2.0, 3.0])
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: ArrayData: X has 2 rows but y has 3; every sample needs exactly one target row.
    """

    __slots__ = ("X", "y", "feature_names", "target_names", "name")

    def __init__(
        self,
        X: Any,
        y: Any = None,
        *,
        feature_names: Sequence[str] | None = None,
        target_names: Sequence[str] | None = None,
        name: str = "data",
    ) -> None:
        owner = "ArrayData"
        if not isinstance(name, str) or not name:
            raise PhysnnError(f"{owner}: 'name' must be a non-empty string; got {name!r}.")
        X = check_array("X", X, ndim=2, min_rows=1, owner=owner)
        # float64 -> float32 may overflow to inf: check again after the cast.
        with np.errstate(over="ignore"):
            X = X.astype(np.float32)
        check_finite("X", X, owner=owner)
        self.X: np.ndarray = X
        self.name: str = name
        self.feature_names: list[str] = check_names(
            feature_names, X.shape[1], [f"x{j}" for j in range(X.shape[1])],
            "feature_names", owner,
        )
        if y is None:
            self.y: np.ndarray | None = None
            if target_names:
                raise PhysnnError(
                    f"{owner}: 'target_names' {list(target_names)!r} were given but y is None; "
                    "pass y or drop target_names."
                )
            self.target_names: list[str] = []
            return
        y = check_array("y", y, ndim=(1, 2), min_rows=0, owner=owner)
        if y.shape[0] != X.shape[0]:
            raise PhysnnError(
                f"{owner}: X has {X.shape[0]} rows but y has {y.shape[0]}; every sample "
                "needs exactly one target row."
            )
        if y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
            y = y.astype(np.int64)
            if y.min() < 0:
                raise PhysnnError(
                    f"{owner}: integer class labels in y must be 0, 1, ..., C-1; got the "
                    f"label {int(y.min())}. Remap them with "
                    "np.unique(y, return_inverse=True)[1]."
                )
        else:
            with np.errstate(over="ignore"):
                y = y.reshape(len(y), -1).astype(np.float32)
            check_finite("y", y, owner=owner)
        self.y = y
        k = 1 if y.ndim == 1 else y.shape[1]
        self.target_names = check_names(
            target_names, k, default_target_names(k), "target_names", owner
        )
        both = [t for t in self.target_names if t in self.feature_names]
        if both:
            raise PhysnnError(
                f"{owner}: {both!r} name both a feature and a target; every column needs "
                "its own name (pass feature_names or target_names)."
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_samples(self) -> int:
        """Number of rows (samples)."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns ``d`` (the network's input size)."""
        return int(self.X.shape[1])

    @property
    def n_targets(self) -> int:
        """Number of target columns: 0 without ``y``, 1 for class labels."""
        if self.y is None:
            return 0
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    @property
    def is_labels(self) -> bool:
        """True when ``y`` holds 1-D integer class labels (cross-entropy targets)."""
        return self.y is not None and self.y.ndim == 1

    @property
    def n_classes(self) -> int | None:
        """``max(label) + 1`` for integer class labels, else ``None``."""
        return int(self.y.max()) + 1 if self.is_labels else None

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        def short(names: list[str]) -> str:
            return repr(names) if len(names) <= 6 else f"[{names[0]!r}, ..., {names[-1]!r}] ({len(names)})"

        tgt = short(self.target_names)
        if self.is_labels:
            tgt += f" ({self.n_classes} classes)"
        return (
            f"ArrayData({self.name!r}, n_samples={self.n_samples}, "
            f"features={short(self.feature_names)}, targets={tgt})"
        )

    # --------------------------------------------------------------- slicing
    def _copy_with(self, X: np.ndarray, y: np.ndarray | None, name: str | None = None) -> "ArrayData":
        new = object.__new__(ArrayData)
        new.X, new.y = X, y
        new.feature_names = list(self.feature_names)
        new.target_names = list(self.target_names)
        new.name = self.name if name is None else name
        return new

    def subset(self, indices: Any, *, name: str | None = None) -> "ArrayData":
        """Return the rows ``indices`` (integer indices or a boolean mask) as new data.

        >>> import numpy as np
        >>> d = ArrayData(np.arange(8.0).reshape(4, 2), [0, 1, 1, 0])
        >>> d.subset([3, 0]).X.tolist(), d.subset([3, 0]).y.tolist()
        ([[6.0, 7.0], [0.0, 1.0]], [0, 0])
        """
        owner = "ArrayData.subset"
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (self.n_samples,):
                raise PhysnnError(
                    f"{owner}: a boolean mask must have shape ({self.n_samples},); "
                    f"got {idx.shape}."
                )
            idx = np.flatnonzero(idx)
        elif idx.size == 0:
            idx = idx.astype(np.int64)
        elif not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1:
            raise PhysnnError(
                f"{owner}: 'indices' must be a 1-D array of integer row indices or a "
                f"boolean mask; got dtype {idx.dtype} with shape {idx.shape}."
            )
        if idx.size and (idx.min() < -self.n_samples or idx.max() >= self.n_samples):
            raise PhysnnError(
                f"{owner}: row indices must lie in [0, {self.n_samples}); got values "
                f"from {int(idx.min())} to {int(idx.max())}."
            )
        if idx.size == 0:
            raise PhysnnError(f"{owner}: the selection is empty; an ArrayData needs at least one row.")
        return self._copy_with(self.X[idx], None if self.y is None else self.y[idx], name)

    # ------------------------------------------------------------------ split
    def _strata(self, owner: str) -> np.ndarray:
        if self.y is None:
            raise PhysnnError(
                f"{owner}: stratify=True needs class labels, but this data set has no y; "
                "use stratify=False."
            )
        if self.y.ndim == 2 and self.y.shape[1] != 1:
            raise PhysnnError(
                f"{owner}: stratify=True needs one column of class labels; y has "
                f"{self.y.shape[1]} columns. Use stratify=False."
            )
        labels = self.y.reshape(-1)
        values, inverse = np.unique(labels, return_inverse=True)
        if len(values) > _MAX_STRATIFY_CLASSES:
            raise PhysnnError(
                f"{owner}: stratify=True needs class labels, but y has {len(values)} "
                f"distinct values (at most {_MAX_STRATIFY_CLASSES} allowed), so it looks "
                "continuous; use stratify=False for regression targets."
            )
        return inverse

    def split(
        self,
        *,
        val: float = 0.2,
        test: float = 0.0,
        stratify: bool = False,
        seed: int = 0,
    ) -> "Split":
        """Split the rows at random into training, validation and test sets.

        The validation set is what early stopping watches; the test set is kept
        aside for one final, unbiased figure of merit.

        Parameters
        ----------
        val, test : float
            Fractions of the rows, each in ``[0, 1)`` with ``val + test < 1``.
            A part whose fraction is 0 is returned as ``None``.  Sizes are
            ``round(n * val)`` and ``round(n * test)``; training gets the rest.
        stratify : bool
            Keep the class proportions of ``y`` in every part (per-class
            rounding).  ``y`` must be class labels: integer labels or one column
            with at most 20 distinct values (e.g. 0/1).
        seed : int
            Seed of the NumPy generator; the same seed gives the same split.

        Examples
        --------
        >>> import numpy as np
        >>> d = ArrayData(np.zeros((100, 1)), np.r_[np.zeros(80), np.ones(20)])
        >>> s = d.split(val=0.25, test=0.25, stratify=True, seed=1)
        >>> [len(p) for p in s], [round(float(p.y.mean()), 3) for p in s]
        ([50, 25, 25], [0.2, 0.2, 0.2])
        """
        owner = "ArrayData.split"
        val = check_range("val", val, low=0, high=1, high_inclusive=False, owner=owner)
        test = check_range("test", test, low=0, high=1, high_inclusive=False, owner=owner)
        if val + test >= 1:
            raise PhysnnError(
                f"{owner}: val + test must be < 1 so that rows remain for training; "
                f"got val={val:g} + test={test:g} = {val + test:g}."
            )
        seed = check_int("seed", seed, low=0, owner=owner)
        rng = np.random.default_rng(seed)
        n = self.n_samples
        fractions = (val, test)

        if stratify:
            strata = self._strata(owner)
            parts: list[list[np.ndarray]] = [[], [], []]
            for c in range(int(strata.max()) + 1):
                members = rng.permutation(np.flatnonzero(strata == c))
                n_val, n_test = (int(round(len(members) * f)) for f in fractions)
                if n_val + n_test >= len(members) and len(members) > 0:
                    # a tiny class: keep at least one member for training
                    n_test = max(0, min(n_test, len(members) - 1 - n_val))
                    n_val = max(0, min(n_val, len(members) - 1))
                parts[1].append(members[:n_val])
                parts[2].append(members[n_val:n_val + n_test])
                parts[0].append(members[n_val + n_test:])
            idx = [rng.permutation(np.concatenate(p)) for p in parts]
        else:
            perm = rng.permutation(n)
            n_val, n_test = (int(round(n * f)) for f in fractions)
            idx = [perm[n_val + n_test:], perm[:n_val], perm[n_val:n_val + n_test]]

        out: list[ArrayData | None] = []
        for label, frac, rows in zip(("train", "val", "test"), (None, val, test), idx):
            if frac == 0:
                out.append(None)
                continue
            if len(rows) == 0:
                raise PhysnnError(
                    f"{owner}: the data set {self.name!r} is too small for the fractions "
                    f"val={val:g}, test={test:g}: the {label} part of {n} rows would be "
                    "empty. Use more data or larger fractions."
                )
            out.append(self.subset(rows, name=f"{self.name}/{label}"))
        return Split(*out)

    # --------------------------------------------------------------- scaling
    def transformed(
        self, standardizer: "Standardizer", *, target: "Standardizer | None" = None
    ) -> "ArrayData":
        """Return a copy with ``X`` (and, if given, float ``y``) standardized.

        >>> import numpy as np
        >>> d = ArrayData([[1.0], [3.0]], [0.0, 1.0])
        >>> d.transformed(fit_standardizer(d)).X.ravel().tolist()
        [-1.0, 1.0]
        """
        X = standardizer.transform(self.X).astype(np.float32, copy=False)
        y = self.y
        if target is not None:
            if y is None or self.is_labels:
                raise PhysnnError(
                    "ArrayData.transformed: a target standardizer needs real-valued y; "
                    f"{self.name!r} has {'no y' if y is None else 'integer class labels'}."
                )
            y = target.transform(y).astype(np.float32, copy=False)
        return self._copy_with(X, y)

    def to_tensors(self, *, device: Any = None) -> tuple[Any, Any]:
        """Return ``(X, y)`` as torch tensors (``y`` is ``None`` when absent).

        ``X`` is ``float32``; ``y`` is ``int64`` for class labels, else ``float32``.

        >>> X, y = ArrayData([[1.0, 2.0]], [0.5]).to_tensors()
        >>> tuple(X.shape), tuple(y.shape), y.dtype
        ((1, 2), (1, 1), torch.float32)
        """
        import torch

        X = torch.as_tensor(self.X, device=device)
        y = None if self.y is None else torch.as_tensor(self.y, device=device)
        return X, y


class Split(NamedTuple):
    """The parts made by :meth:`ArrayData.split`; ``val``/``test`` are ``None`` if unused."""

    train: ArrayData
    val: ArrayData | None
    test: ArrayData | None


class Standardizer:
    """Shift and scale each feature to mean 0 and standard deviation 1.

    ``z = (x - mean_) / scale_`` with ``mean_`` and ``scale_`` (the population
    standard deviation) learned by :meth:`fit` — on the **training set only**.
    A constant feature (zero, or round-off-small, standard deviation) gets
    ``scale_ = 1`` so it is shifted but not blown up.

    Works on NumPy arrays and torch tensors of shape ``(n, d)`` and returns the
    same type (a tensor stays on its device and keeps its floating dtype).

    Examples
    --------
    >>> import numpy as np
    >>> s = Standardizer().fit(np.array([[0.0, 5.0], [2.0, 5.0]]))
    >>> s.mean_.tolist(), s.scale_.tolist()
    ([1.0, 5.0], [1.0, 1.0])
    >>> s.transform(np.array([[4.0, 6.0]])).tolist()
    [[3.0, 1.0]]
    >>> Standardizer.from_dict(s.to_dict()).inverse_transform(np.array([[3.0, 1.0]])).tolist()
    [[4.0, 6.0]]
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    @property
    def n_features_in_(self) -> int | None:
        """Number of features seen by :meth:`fit` (``None`` before)."""
        return None if self.mean_ is None else int(self.mean_.shape[0])

    def __repr__(self) -> str:
        if self.mean_ is None:
            return "Standardizer(unfitted)"
        return f"Standardizer(n_features={self.n_features_in_})"

    def fit(self, X: Any) -> "Standardizer":
        """Learn ``mean_`` and ``scale_`` from ``X`` of shape ``(n, d)``; return ``self``."""
        a = check_array("X", X, ndim=2, min_rows=1, owner="Standardizer.fit").astype(np.float64)
        return self.set_moments(a.mean(axis=0), a.var(axis=0))

    def set_moments(self, mean: Any, var: Any) -> "Standardizer":
        """Set ``mean_`` and ``scale_ = sqrt(var)`` from moments computed elsewhere (e.g. streamed
        over chunks of a file larger than memory); a round-off-small scale becomes 1, as in :meth:`fit`.

        >>> Standardizer().set_moments([1.0, 5.0], [4.0, 0.0]).scale_.tolist()
        [2.0, 1.0]
        """
        mean = np.asarray(mean, dtype=np.float64).copy()
        scale = np.sqrt(np.maximum(np.asarray(var, dtype=np.float64), 0.0))
        tiny = 64 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
        scale[scale <= tiny] = 1.0
        self.mean_, self.scale_ = mean, scale
        return self

    def _check(self, X: Any, owner: str) -> None:
        if self.mean_ is None:
            raise PhysnnError(
                f"{owner}: this Standardizer is not fitted yet; call fit(train.X) first "
                "(on the training set only)."
            )
        d = self.n_features_in_
        if _is_tensor(X):
            if X.ndim == 2 and X.shape[1] == d:
                return
            X = X.detach().cpu()
        check_array("X", X, ndim=2, n_features=d, min_rows=0, finite=False, owner=owner)

    def _apply(self, X: Any, inverse: bool) -> Any:
        owner = "Standardizer." + ("inverse_transform" if inverse else "transform")
        self._check(X, owner)
        if _is_tensor(X):
            import torch

            dtype = X.dtype if X.is_floating_point() else torch.float32
            mean = torch.as_tensor(self.mean_, dtype=dtype, device=X.device)
            scale = torch.as_tensor(self.scale_, dtype=dtype, device=X.device)
            X = X.to(dtype)
            return X * scale + mean if inverse else (X - mean) / scale
        a = np.asarray(X)
        dtype = a.dtype if np.issubdtype(a.dtype, np.floating) else np.float32
        out = a * self.scale_ + self.mean_ if inverse else (a - self.mean_) / self.scale_
        return out.astype(dtype, copy=False)

    def transform(self, X: Any) -> Any:
        """Return ``(X - mean_) / scale_`` (array or tensor, same type as ``X``)."""
        return self._apply(X, inverse=False)

    def inverse_transform(self, Z: Any) -> Any:
        """Return ``Z * scale_ + mean_``: undo :meth:`transform` (e.g. on predictions)."""
        return self._apply(Z, inverse=True)

    def fit_transform(self, X: Any) -> Any:
        """:meth:`fit` on ``X``, then return ``transform(X)``."""
        return self.fit(X).transform(X)

    def to_dict(self) -> dict[str, list[float]]:
        """A JSON-able record ``{"mean": [...], "scale": [...]}`` of Python floats."""
        if self.mean_ is None:
            raise PhysnnError(
                "Standardizer.to_dict: this Standardizer is not fitted yet; call fit first."
            )
        return {"mean": [float(v) for v in self.mean_], "scale": [float(v) for v in self.scale_]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Standardizer":
        """Rebuild a fitted Standardizer from :meth:`to_dict`'s record."""
        owner = "Standardizer.from_dict"
        if not isinstance(d, dict) or set(d) != {"mean", "scale"}:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise PhysnnError(
                f"{owner}: expected a dict with exactly the keys 'mean' and 'scale'; got {got!r}."
            )
        mean = check_array("mean", np.asarray(d["mean"], dtype=float), ndim=1, owner=owner)
        scale = check_array("scale", np.asarray(d["scale"], dtype=float), ndim=1, owner=owner)
        if mean.shape != scale.shape:
            raise PhysnnError(
                f"{owner}: 'mean' has {mean.size} entries but 'scale' has {scale.size}; "
                "they must match."
            )
        if (scale <= 0).any():
            raise PhysnnError(f"{owner}: every 'scale' entry must be > 0; got {scale.tolist()!r}.")
        s = cls()
        s.mean_, s.scale_ = mean.astype(np.float64), scale.astype(np.float64)
        return s


def fit_standardizer(train: ArrayData, *, target: bool = False) -> Standardizer:
    """Fit a :class:`Standardizer` on the *training* features (or float targets).

    >>> import numpy as np
    >>> train = ArrayData([[0.0], [10.0]], [1.0, 3.0])
    >>> fit_standardizer(train).mean_.tolist(), fit_standardizer(train, target=True).mean_.tolist()
    ([5.0], [2.0])
    """
    if not isinstance(train, ArrayData):
        raise PhysnnError(
            f"fit_standardizer: 'train' must be an ArrayData; got {type(train).__name__}."
        )
    if target:
        if train.y is None or train.is_labels:
            raise PhysnnError(
                "fit_standardizer: target=True needs real-valued y; "
                f"{train.name!r} has {'no y' if train.y is None else 'integer class labels'}."
            )
        return Standardizer().fit(train.y)
    return Standardizer().fit(train.X)


def standardize(split: Split) -> tuple[Split, Standardizer]:
    """Fit a :class:`Standardizer` on ``split.train`` and apply it to every part.

    The scale comes from the training set only, so nothing of the validation
    or test set leaks into training.

    >>> import numpy as np
    >>> d = ArrayData(np.arange(40.0).reshape(20, 2) * [1.0, 100.0], np.zeros(20))
    >>> parts, scaler = standardize(d.split(val=0.25, seed=0))
    >>> np.allclose(parts.train.X.mean(0), 0, atol=1e-6), np.allclose(parts.train.X.std(0), 1)
    (True, True)
    """
    if not isinstance(split, Split):
        raise PhysnnError(
            f"standardize: 'split' must be the Split returned by ArrayData.split; "
            f"got {type(split).__name__}."
        )
    scaler = fit_standardizer(split.train)
    parts = Split(*(None if p is None else p.transformed(scaler) for p in split))
    return parts, scaler
