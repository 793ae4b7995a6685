"""Losses: values against the lecture's formulas in float64, target checks, conversions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train.losses import (
    LOSSES,
    check_targets,
    default_loss_for,
    get_loss,
    loss_name,
    loss_task,
    output_kind,
    predict_proba_fn,
    prepare_targets,
)

RNG = np.random.default_rng(0)


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# ------------------------------------------------------------ values


def test_mse_mae_equal_formulas():
    y = RNG.normal(size=(20, 3))
    yh = RNG.normal(size=(20, 3))
    assert float(get_loss("mse")(_t(yh), _t(y))) == pytest.approx(np.mean((y - yh) ** 2), rel=1e-12)
    assert float(get_loss("mae")(_t(yh), _t(y))) == pytest.approx(np.mean(np.abs(y - yh)), rel=1e-12)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_equals_formula(delta):
    y = RNG.normal(size=50) * 2
    yh = RNG.normal(size=50) * 2
    d = np.abs(y - yh)
    ref = np.mean(np.where(d <= delta, 0.5 * d**2, delta * (d - 0.5 * delta)))
    assert float(get_loss("huber", delta=delta)(_t(yh), _t(y))) == pytest.approx(ref, rel=1e-12)
    assert ((d <= delta).any() and (d > delta).any())  # both branches exercised


def test_bce_equals_formula_hard_and_soft_labels():
    p = RNG.uniform(0.05, 0.95, size=(30, 1))
    for y in (RNG.integers(0, 2, size=(30, 1)).astype(float), RNG.uniform(size=(30, 1))):
        ref = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        assert float(get_loss("bce")(_t(p), _t(y))) == pytest.approx(ref, rel=1e-12)


def test_bce_with_logits_is_bce_of_sigmoid():
    z = RNG.normal(size=(30, 1)) * 3
    y = RNG.integers(0, 2, size=(30, 1)).astype(float)
    p = 1 / (1 + np.exp(-z))
    ref = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert float(get_loss("bce_with_logits")(_t(z), _t(y))) == pytest.approx(ref, rel=1e-10)


def test_bce_with_logits_stable_for_large_logits():
    z = torch.tensor([[200.0], [-200.0]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    assert float(get_loss("bce_with_logits")(z, y)) == pytest.approx(200.0)


def test_cross_entropy_equals_formula():
    z = RNG.normal(size=(25, 4))
    y = RNG.integers(0, 4, size=25)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ref = -np.mean(logp[np.arange(25), y])
    got = get_loss("cross_entropy")(_t(z), torch.as_tensor(y))
    assert float(got) == pytest.approx(ref, rel=1e-12)


def test_pos_weight_list_is_converted():
    loss = get_loss("bce_with_logits", pos_weight=[3.0])
    z = torch.zeros(2, 1)
    y = torch.tensor([[1.0], [0.0]])
    assert float(loss(z, y)) == pytest.approx((3 + 1) * np.log(2) / 2, rel=1e-6)


# ------------------------------------------------------ registry


def test_every_name_builds_a_module_and_is_named_back():
    for name in LOSSES:
        m = get_loss(name)
        assert isinstance(m, nn.Module)
        assert loss_name(m) == name
    assert get_loss("MSE").__class__ is nn.MSELoss


def test_passthrough_of_module_and_callable():
    m = nn.SmoothL1Loss()
    assert get_loss(m) is m

    def f(out, y):
        return (out - y).abs().max()

    assert get_loss(f) is f
    assert loss_name(f) is None
    with pytest.raises(PhysnnError, match="keyword arguments apply only"):
        get_loss(m, delta=1.0)


def test_unknown_name_lists_choices_and_suggests():
    with pytest.raises(PhysnnError, match=r"'loss' must be one of 'mse'.*Did you mean 'cross_entropy'"):
        get_loss("crossentropy")
    with pytest.raises(PhysnnError, match="must be one of"):
        get_loss(3)


def test_unknown_kwarg_names_allowed_ones():
    with pytest.raises(PhysnnError, match=r"'mse' takes the keyword arguments 'reduction'; got 'delta'"):
        get_loss("mse", delta=1.0)


def test_kwarg_values_validated():
    with pytest.raises(PhysnnError, match=r"get_loss: 'delta' must be a number in \(0, inf\); got -1"):
        get_loss("huber", delta=-1)
    with pytest.raises(PhysnnError, match=r"'label_smoothing' must be a number in \[0, 1\]"):
        get_loss("cross_entropy", label_smoothing=2.0)
    with pytest.raises(PhysnnError, match="'reduction' must be one of 'mean', 'sum', 'none'"):
        get_loss("mse", reduction="avg")
    assert float(get_loss("mse", reduction="sum")(torch.ones(2, 1), torch.zeros(2, 1))) == 2.0


def test_output_kind_task_and_proba():
    assert [output_kind(n) for n in LOSSES] == [
        "regression", "regression", "regression", "probability", "logits", "logits"
    ]
    assert [loss_task(n) for n in LOSSES] == [
        "regression", "regression", "regression", "binary", "binary", "multiclass"
    ]
    z = torch.tensor([[0.3, -1.0, 2.0]], dtype=torch.float64)
    sm = predict_proba_fn("cross_entropy")(z).numpy()
    assert np.allclose(sm, np.exp(z.numpy()) / np.exp(z.numpy()).sum())
    assert np.allclose(predict_proba_fn("bce_with_logits")(z).numpy(), 1 / (1 + np.exp(-z.numpy())))
    assert predict_proba_fn("bce")(z) is z
    assert predict_proba_fn("mse")(z) is z
    assert output_kind(get_loss("bce")) == "probability"
    with pytest.raises(PhysnnError):
        output_kind(lambda o, y: o)


# ------------------------------------------------------ check_targets


def test_bce_labels_out_of_range_named():
    with pytest.raises(PhysnnError) as e:
        check_targets("bce", np.array([0.0, 2.0, 1.0, -1.0, 2.0]), owner="fit")
    msg = str(e.value)
    assert msg.startswith("fit: labels must lie in [0, 1] for 'bce'")
    assert "found values 2.0, -1.0 " in msg
    assert "'cross_entropy'" in msg
    with pytest.raises(PhysnnError, match="'bce_with_logits'; found values 3"):
        check_targets("bce_with_logits", np.array([0, 3, 1]))


def test_bce_accepts_hard_soft_and_bool_labels():
    check_targets("bce", [0, 1, 1])
    check_targets("bce_with_logits", np.array([[0.2], [0.9]]), n_outputs=1)
    check_targets("bce", torch.tensor([True, False]))


def test_cross_entropy_checks():
    check_targets("cross_entropy", np.array([0, 1, 2, 2]), n_outputs=3)
    check_targets("cross_entropy", np.array([0.0, 2.0]), n_outputs=3)  # whole-number floats are fine
    with pytest.raises(PhysnnError, match=r"must lie in 0..2 \(the model has n_outputs=3\); found 5"):
        check_targets("cross_entropy", np.array([0, 5, 1]), n_outputs=3)
    with pytest.raises(PhysnnError, match=r"shape \(3, 1\). Flatten them with y.reshape\(-1\)"):
        check_targets("cross_entropy", np.array([[0], [1], [2]]))
    with pytest.raises(PhysnnError, match="one-hot, convert it with y.argmax"):
        check_targets("cross_entropy", np.eye(3))
    with pytest.raises(PhysnnError, match="non-integer values 0.5"):
        check_targets("cross_entropy", np.array([0.0, 0.5, 1.0]))
    with pytest.raises(PhysnnError, match="must be >= 0; found -1"):
        check_targets("cross_entropy", np.array([0, -1]))


def test_regression_checks():
    check_targets("mse", RNG.normal(size=(5, 2)), n_outputs=2)
    check_targets("huber", np.arange(5))  # integer targets are numbers too
    with pytest.raises(PhysnnError, match="holds 1 NaN"):
        check_targets("mse", np.array([1.0, np.nan]))
    with pytest.raises(PhysnnError, match=r"2 column\(s\) but the model has n_outputs=1"):
        check_targets("mae", np.zeros((4, 2)), n_outputs=1)
    with pytest.raises(PhysnnError, match="must be numeric"):
        check_targets("mse", np.array(["a", "b"]))
    check_targets("mse", np.zeros((2, 2, 2)))  # fields and masks: (n, ...) is fine
    with pytest.raises(PhysnnError, match="must be a 1-D or 2-D"):
        check_targets("mse", np.zeros((1,) * 6))


def test_custom_loss_gets_generic_checks_only():
    check_targets(lambda o, y: o, np.array([5.0, -3.0]))
    with pytest.raises(PhysnnError, match="NaN"):
        check_targets(lambda o, y: o, np.array([np.nan]))


# ------------------------------------------------------ prepare_targets


def test_prepare_targets_shapes_and_dtypes():
    y = torch.tensor([0, 1, 1])
    for name in ("mse", "bce", "bce_with_logits"):
        t = prepare_targets(name, y)
        assert t.shape == (3, 1) and t.dtype == torch.get_default_dtype()
    t = prepare_targets("mse", torch.zeros(3, 2, dtype=torch.float64))
    assert t.shape == (3, 2) and t.dtype == torch.float64
    assert prepare_targets("mse", np.zeros(3), dtype=torch.float32).dtype == torch.float32
    ce = prepare_targets("cross_entropy", torch.tensor([[1.0], [2.0], [0.0]]))
    assert ce.dtype == torch.long and ce.tolist() == [1, 2, 0]
    assert prepare_targets("cross_entropy", np.array([2, 0])).shape == (2,)


def test_prepared_targets_avoid_broadcasting_trap():
    out = torch.tensor([[1.0], [2.0], [3.0]])
    y = torch.tensor([1.0, 2.0, 4.0])
    assert float(get_loss("mse")(out, prepare_targets("mse", y))) == pytest.approx(1 / 3)


def test_default_loss_for():
    assert default_loss_for(np.array([0, 1, 1, 0])) == "bce_with_logits"
    assert default_loss_for(np.array([True, False])) == "bce_with_logits"
    assert default_loss_for(np.array([0, 1, 2, 3])) == "cross_entropy"
    assert default_loss_for(np.array([0.5, 1.5])) == "mse"
    assert default_loss_for(np.array([-1, 2])) == "mse"
