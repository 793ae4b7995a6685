"""ArrayData, Split and Standardizer: shapes, validation, splits, scaling."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from physnn.data import ArrayData, Split, Standardizer, fit_standardizer, standardize
from physnn.errors import PhysnnError


def rows_data(n: int = 100, labels: np.ndarray | None = None) -> ArrayData:
    """Data whose first feature is the row number, so rows can be traced."""
    X = np.c_[np.arange(n, dtype=float), np.random.default_rng(0).normal(size=n)]
    y = np.arange(n) % 2 * 1.0 if labels is None else labels
    return ArrayData(X, y, name="rows")


def row_ids(d: ArrayData) -> set[int]:
    return set(d.X[:, 0].astype(int).tolist())


# ------------------------------------------------------------- construction
def test_float_targets_become_a_column_and_X_float32():
    d = ArrayData(np.arange(6).reshape(3, 2), [0.5, 1.5, 2.5])
    assert d.X.dtype == np.float32 and d.X.shape == (3, 2)
    assert d.y.dtype == np.float32 and d.y.shape == (3, 1)
    assert d.feature_names == ["x0", "x1"] and d.target_names == ["y"]
    assert (d.n_samples, d.n_features, d.n_targets, len(d)) == (3, 2, 1, 3)
    assert not d.is_labels and d.n_classes is None


def test_integer_labels_stay_1d_int64():
    d = ArrayData(np.zeros((4, 1)), np.array([0, 2, 1, 2], dtype=np.int32))
    assert d.y.dtype == np.int64 and d.y.shape == (4,)
    assert d.is_labels and d.n_classes == 3 and d.n_targets == 1


def test_bool_targets_become_float_column():
    d = ArrayData(np.zeros((2, 1)), np.array([True, False]))
    assert d.y.dtype == np.float32 and d.y.tolist() == [[1.0], [0.0]]


def test_two_d_targets_and_default_names():
    d = ArrayData(np.zeros((5, 3)), np.ones((5, 2), dtype=np.int64))
    assert d.y.dtype == np.float32 and d.y.shape == (5, 2)
    assert d.target_names == ["y0", "y1"] and d.n_targets == 2


def test_tensors_are_accepted():
    d = ArrayData(torch.ones(3, 2, dtype=torch.float64), torch.tensor([0, 1, 1]))
    assert isinstance(d.X, np.ndarray) and d.X.dtype == np.float32
    assert d.y.dtype == np.int64


def test_unlabelled_data():
    d = ArrayData(np.zeros((3, 2)))
    assert d.y is None and d.n_targets == 0 and d.target_names == []


def test_row_mismatch_names_both_counts():
    with pytest.raises(PhysnnError, match="X has 3 rows but y has 4"):
        ArrayData(np.zeros((3, 2)), np.zeros(4))


def test_one_d_X_says_how_to_reshape():
    with pytest.raises(PhysnnError, match=r"reshape\(-1, 1\)"):
        ArrayData(np.zeros(3))


def test_nan_in_X_refused():
    with pytest.raises(PhysnnError, match="'X' holds 1 NaN"):
        ArrayData([[1.0, np.nan]])


def test_float64_overflow_to_float32_refused():
    with pytest.raises(PhysnnError, match="Inf"):
        ArrayData([[1e300]])


def test_negative_labels_refused_with_fix():
    with pytest.raises(PhysnnError, match="return_inverse"):
        ArrayData(np.zeros((2, 1)), np.array([-1, 1]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"feature_names": ["a"]}, "'feature_names' has 1 names but the data have 2"),
        ({"feature_names": ["a", "a"]}, "must not repeat"),
        ({"target_names": ["t", "u"]}, "'target_names' has 2 names"),
        ({"feature_names": ["a", "y"]}, "name both a feature and a target"),
        ({"name": ""}, "'name' must be a non-empty string"),
    ],
)
def test_name_validation(kwargs, match):
    with pytest.raises(PhysnnError, match=match):
        ArrayData(np.zeros((2, 2)), np.zeros(2), **kwargs)


def test_target_names_without_y_refused():
    with pytest.raises(PhysnnError, match="y is None"):
        ArrayData(np.zeros((2, 2)), target_names=["t"])


def test_repr_is_short():
    d = ArrayData(np.zeros((3, 20)), [0, 1, 2], name="jets")
    text = repr(d)
    assert text.startswith("ArrayData('jets', n_samples=3") and "(20)" in text
    assert "3 classes" in text and len(text) < 120


# ------------------------------------------------------------------- subset
def test_subset_by_indices_and_mask():
    d = rows_data(10)
    assert d.subset([4, 2]).X[:, 0].tolist() == [4.0, 2.0]
    mask = np.zeros(10, bool)
    mask[[1, 7]] = True
    s = d.subset(mask)
    assert s.X[:, 0].tolist() == [1.0, 7.0] and s.y.shape == (2, 1)
    assert s.feature_names == d.feature_names and s.name == d.name


@pytest.mark.parametrize(
    ("indices", "match"),
    [([10], r"\[0, 10\)"), ([], "empty"), (np.ones(3, bool), "shape \\(10,\\)"), ([0.5], "integer")],
)
def test_subset_errors(indices, match):
    with pytest.raises(PhysnnError, match=match):
        rows_data(10).subset(indices)


# -------------------------------------------------------------------- split
def test_split_sizes_disjoint_and_complete():
    d = rows_data(100)
    s = d.split(val=0.2, test=0.1, seed=3)
    assert isinstance(s, Split)
    assert (len(s.train), len(s.val), len(s.test)) == (70, 20, 10)
    parts = [row_ids(p) for p in s]
    assert set().union(*parts) == set(range(100))
    assert sum(len(p) for p in parts) == 100
    assert s.train.name == "rows/train" and s.val.name == "rows/val"


def test_split_zero_fractions_give_none():
    s = rows_data(10).split(val=0.3)
    assert s.test is None and len(s.val) == 3
    s = rows_data(10).split(val=0.0)
    assert s.val is None and s.test is None and len(s.train) == 10


def test_split_deterministic_by_seed():
    d = rows_data(50)
    a, b, c = d.split(seed=7), d.split(seed=7), d.split(seed=8)
    assert np.array_equal(a.val.X, b.val.X) and np.array_equal(a.train.X, b.train.X)
    assert row_ids(a.val) != row_ids(c.val)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"val": -0.1}, r"'val' must be a number in \[0, 1\)"),
        ({"val": 1.0}, r"'val' must be a number in \[0, 1\)"),
        ({"test": 1.5}, "'test'"),
        ({"val": 0.6, "test": 0.4}, "val \\+ test must be < 1"),
        ({"seed": -1}, "'seed'"),
    ],
)
def test_split_fraction_validation(kwargs, match):
    with pytest.raises(PhysnnError, match=match):
        rows_data(10).split(**kwargs)


def test_split_too_small():
    with pytest.raises(PhysnnError, match="too small for the fractions"):
        rows_data(3).split(val=0.1)


def test_stratified_binary_keeps_proportions():
    labels = np.r_[np.zeros(900), np.ones(100)]
    d = rows_data(1000, labels)
    for seed in range(3):
        s = d.split(val=0.2, test=0.2, stratify=True, seed=seed)
        for part, size in zip(s, (600, 200, 200)):
            assert len(part) == size
            assert part.y.mean() == pytest.approx(0.1)


def test_stratified_multiclass_int_labels():
    labels = np.repeat([0, 1, 2], [500, 300, 200])
    d = rows_data(1000, labels)
    s = d.split(val=0.3, stratify=True, seed=1)
    for part in (s.train, s.val):
        freq = np.bincount(part.y, minlength=3) / len(part)
        assert freq == pytest.approx([0.5, 0.3, 0.2])
    assert row_ids(s.train) | row_ids(s.val) == set(range(1000))


def test_unstratified_split_of_rare_class_can_drift():
    # the reason stratify exists: a plain split of 5 % positives in 40 rows
    labels = np.r_[np.zeros(38), np.ones(2)]
    d = rows_data(40, labels)
    fractions = {float(d.split(val=0.25, seed=s).val.y.mean()) for s in range(20)}
    assert len(fractions) > 1
    strat = {float(d.split(val=0.25, seed=s, stratify=True).val.y.mean()) for s in range(20)}
    assert len(strat) == 1


def test_stratify_errors():
    with pytest.raises(PhysnnError, match="no y"):
        ArrayData(np.zeros((10, 1))).split(stratify=True)
    continuous = ArrayData(np.zeros((100, 1)), np.linspace(0, 1, 100))
    with pytest.raises(PhysnnError, match="100 distinct values.*stratify=False"):
        continuous.split(stratify=True)
    with pytest.raises(PhysnnError, match="2 columns"):
        ArrayData(np.zeros((10, 1)), np.zeros((10, 2))).split(stratify=True)


# ------------------------------------------------------------- standardizer
def scaled_data(n: int = 400) -> ArrayData:
    rng = np.random.default_rng(1)
    X = rng.normal([5.0, -3.0, 100.0], [2.0, 0.1, 30.0], size=(n, 3))
    return ArrayData(X, X[:, :1] * 2.0)


def test_standardizer_fit_on_train_only():
    s = scaled_data().split(val=0.25, seed=0)
    scaler = fit_standardizer(s.train)
    z = scaler.transform(s.train.X)
    assert np.allclose(z.mean(0), 0, atol=1e-5) and np.allclose(z.std(0), 1, atol=1e-5)
    assert np.allclose(scaler.mean_, s.train.X.astype(np.float64).mean(0))
    # the validation set is transformed with the training statistics, so it is not exactly centred
    zv = scaler.transform(s.val.X)
    assert not np.allclose(zv.mean(0), 0, atol=1e-5)


def test_standardize_split_uses_train_statistics():
    split = scaled_data().split(val=0.2, test=0.2, seed=2)
    parts, scaler = standardize(split)
    assert np.allclose(scaler.mean_, split.train.X.mean(0), rtol=1e-5)
    assert np.allclose(parts.val.X, (split.val.X - scaler.mean_) / scaler.scale_, atol=1e-5)
    assert np.array_equal(parts.test.y, split.test.y)
    assert parts.train.X.dtype == np.float32


def test_standardizer_inverse_round_trip_numpy_and_torch():
    X = scaled_data().X
    scaler = Standardizer().fit(X)
    assert np.allclose(scaler.inverse_transform(scaler.transform(X)), X, rtol=1e-5)
    t = torch.as_tensor(X, dtype=torch.float64)
    zt = scaler.transform(t)
    assert isinstance(zt, torch.Tensor) and zt.dtype == torch.float64
    assert torch.allclose(scaler.inverse_transform(zt), t)
    assert np.allclose(zt.numpy(), scaler.transform(X), atol=1e-5)
    assert scaler.transform(X).dtype == np.float32


def test_standardizer_fit_transform_and_constant_column():
    X = np.c_[np.linspace(0, 1, 10), np.full(10, 0.1)]
    z = Standardizer().fit_transform(X)
    assert np.allclose(z[:, 1], 0) and np.isfinite(z).all()


def test_standardizer_errors():
    with pytest.raises(PhysnnError, match="not fitted yet"):
        Standardizer().transform(np.zeros((2, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(PhysnnError, match="has 3 features.*2 are expected"):
        scaler.transform(np.zeros((1, 3)))
    with pytest.raises(PhysnnError, match="has 3 features.*2 are expected"):
        scaler.inverse_transform(torch.zeros(1, 3))
    with pytest.raises(PhysnnError, match="not fitted yet"):
        Standardizer().to_dict()


def test_standardizer_dict_is_json_and_round_trips():
    scaler = Standardizer().fit(scaled_data().X)
    d = scaler.to_dict()
    assert all(type(v) is float for v in d["mean"] + d["scale"])
    again = Standardizer.from_dict(json.loads(json.dumps(d)))
    X = np.ones((2, 3))
    assert np.array_equal(again.transform(X), scaler.transform(X))
    with pytest.raises(PhysnnError, match="exactly the keys"):
        Standardizer.from_dict({"mean": [0.0]})
    with pytest.raises(PhysnnError, match="must be > 0"):
        Standardizer.from_dict({"mean": [0.0], "scale": [0.0]})
    with pytest.raises(PhysnnError, match="must match"):
        Standardizer.from_dict({"mean": [0.0], "scale": [1.0, 2.0]})


def test_target_standardizer():
    d = scaled_data()
    ys = fit_standardizer(d, target=True)
    t = d.transformed(fit_standardizer(d), target=ys)
    assert np.allclose(t.y.mean(), 0, atol=1e-5) and np.allclose(t.y.std(), 1, atol=1e-4)
    labels = ArrayData(np.zeros((3, 1)), [0, 1, 1])
    with pytest.raises(PhysnnError, match="integer class labels"):
        fit_standardizer(labels, target=True)
    with pytest.raises(PhysnnError, match="must be an ArrayData"):
        fit_standardizer(np.zeros((3, 1)))


def test_to_tensors():
    X, y = ArrayData(np.zeros((3, 2)), [0, 1, 1]).to_tensors()
    assert X.dtype == torch.float32 and y.dtype == torch.int64 and y.shape == (3,)
    X, y = ArrayData(np.zeros((3, 2))).to_tensors()
    assert y is None
