"""gradcheck: correct gradients pass at ~1e-9, a wrong backward is caught, bad inputs are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn import MLP, SimpleNet
from physnn.train.gradcheck import GradcheckResult, gradcheck


def _x(n=6, d=3, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


class _WrongSquare(torch.autograd.Function):
    """Forward z², backward claims dz²/dz = z (the factor 2 forgotten)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z  # wrong: should be 2 z


class _RightSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * 2 * z


class _SquareNet(nn.Module):
    """Linear → custom square → Linear: any nn.Module, not an MLP."""

    def __init__(self, fn):
        super().__init__()
        torch.manual_seed(1)
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(4, 2)
        self.fn = fn

    def forward(self, x):
        return self.b(self.fn.apply(self.a(x)))


def test_correct_mlp_passes_tightly():
    model = MLP(3, [5, 4], 2, activation=["tanh", "sigmoid"], seed=0)
    res = gradcheck(model, _x(), _x(6, 2, seed=1))
    assert isinstance(res, GradcheckResult)
    assert res.passed() and res.max_rel_error < 1e-7
    assert [r.name for r in res.rows] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert res.n_checked == sum(p.numel() for p in model.parameters())
    assert all(r.grad_norm > 0 for r in res.rows)


def test_wrong_backward_is_caught():
    bad = gradcheck(_SquareNet(_WrongSquare), _x(), _x(6, 2, seed=1))
    good = gradcheck(_SquareNet(_RightSquare), _x(), _x(6, 2, seed=1))
    assert good.passed() and good.max_rel_error < 1e-7
    assert not bad.passed()
    assert bad.max_rel_error > 0.1
    # the layer after the wrong function is unaffected; the one before is wrong
    rows = {r.name: r for r in bad.rows}
    assert rows["b.weight"].rel_error < 1e-7 and rows["a.weight"].rel_error > 0.1
    assert "FAIL" in str(bad) and "FAIL" in bad.to_markdown()


def test_model_is_not_modified_and_dropout_off():
    model = MLP(3, [8], 1, dropout=0.5, seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    res = gradcheck(model, _x())
    assert res.passed(1e-7)  # dropout would make the loss random
    assert model.training and all(v.dtype == torch.float32 for v in model.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_subset_params_and_losses():
    model = SimpleNet()
    res = gradcheck(model, _x(16, 10), params=["layers.4.weight", "layers.0.bias"], max_per_param=5, seed=3)
    assert [r.name for r in res.rows] == ["layers.4.weight", "layers.0.bias"]
    assert [r.n_checked for r in res.rows] == [5, 5] and res.passed(1e-7)
    again = gradcheck(model, _x(16, 10), params=["layers.4.weight", "layers.0.bias"], max_per_param=5, seed=3)
    assert again.rows == res.rows  # seeded subset: identical
    ce = gradcheck(MLP(3, [4], 3, activation="tanh", seed=0), _x(), np.array([0, 2, 1, 1, 0, 2]), loss="cross_entropy")
    assert ce.passed(1e-7)
    bce = gradcheck(MLP(3, [4], 1, activation="tanh", seed=0), _x(), np.array([0, 1, 1, 0, 1, 0.0]), loss="bce_with_logits")
    assert bce.passed(1e-7)
    custom = gradcheck(nn.Linear(3, 2), _x(), loss=lambda out, y: (out ** 4).mean())
    assert custom.passed(1e-7)


def test_numpy_input_and_1d_target():
    res = gradcheck(MLP(2, [3], 1, activation="tanh", seed=0), np.random.default_rng(0).normal(size=(5, 2)),
                    np.linspace(0, 1, 5))
    assert res.passed(1e-7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(model="not a model"), "must be a torch.nn.Module"),
        (dict(y=torch.zeros(6, 1)), r"output has shape \(6, 2\) but y has shape \(6, 1\)"),
        (dict(x=torch.zeros(6, 4)), r"x of shape \(6, 4\) failed"),
        (dict(x=torch.tensor([[float("nan")] * 3])), "NaN"),
        (dict(eps=0.0), "'eps' must be a number in"),
        (dict(params=["0.wieght"]), "Did you mean '0.weight'"),
        (dict(max_per_param=0), "'max_per_param' must be an integer >= 1"),
        (dict(loss="mse2"), "'loss' must be one of"),
        (dict(loss=lambda out, y: out), "the loss must return a scalar"),
    ],
)
def test_bad_inputs(kwargs, match):
    args = dict(model=MLP(3, [4], 2, seed=0), x=_x(), y=None)
    args.update(kwargs)
    model, x, y = args.pop("model"), args.pop("x"), args.pop("y")
    with pytest.raises(PhysnnError, match=match):
        gradcheck(model, x, y, **args)


def test_no_parameters():
    with pytest.raises(PhysnnError, match="no parameters"):
        gradcheck(nn.Tanh(), _x())


def test_str_and_markdown():
    res = gradcheck(nn.Linear(3, 2), _x())
    text = str(res)
    assert "weight" in text and "PASS" in text
    md = res.to_markdown()
    assert md.startswith("| Parameter |") and md.count("\n| ") == 2  # weight, bias
    assert "max_rel_error" in repr(res)
