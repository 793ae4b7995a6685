"""Activation registry: names, torch modules, init kinds, NumPy (f, df) against autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn import ACTIVATIONS, NUMPY_ACTIVATIONS, get_activation, init_gain_kind
from physnn.nn.activations import activation_name

EXPECTED_TYPES = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}

# grid avoiding the kink at 0 (for finite differences), plus large |z| for stability
Z = np.concatenate([np.linspace(-6.0, -0.05, 40), np.linspace(0.05, 6.0, 40), [-30.0, 30.0]])


def test_registry_names_and_types():
    assert ACTIVATIONS == tuple(EXPECTED_TYPES)
    for name, cls in EXPECTED_TYPES.items():
        m = get_activation(name)
        assert type(m) is cls
        assert get_activation(name) is not m  # a fresh module each call


def test_name_is_case_insensitive_and_passthrough():
    assert isinstance(get_activation(" ReLU "), nn.ReLU)
    inst = nn.LeakyReLU(0.2)
    assert get_activation(inst) is inst
    made = get_activation(nn.Tanh)
    assert isinstance(made, nn.Tanh)


def test_wrong_name_lists_valid_ones():
    with pytest.raises(PhysnnError) as info:
        get_activation("sigmod")
    msg = str(info.value)
    for name in ACTIVATIONS:
        assert repr(name) in msg
    assert "'sigmod'" in msg and "Did you mean 'sigmoid'?" in msg
    with pytest.raises(PhysnnError, match="must be one of"):
        get_activation(3)


def test_init_gain_kind():
    xavier = {"sigmoid", "tanh", "identity", "softplus"}
    for name in ACTIVATIONS:
        assert init_gain_kind(name) == ("xavier" if name in xavier else "kaiming"), name
    assert init_gain_kind(nn.ReLU()) == "kaiming"
    assert init_gain_kind(nn.Tanh) == "xavier"
    with pytest.raises(PhysnnError, match="init_gain_kind"):
        init_gain_kind("swish")


def test_activation_name():
    assert activation_name("GELU") == "gelu"
    assert activation_name(nn.ELU()) == "elu"
    assert activation_name(nn.ELU(alpha=0.5)) is None  # not the registry's ELU
    assert activation_name(nn.Hardtanh()) is None
    assert activation_name("nope") is None


def test_numpy_table_covers_registry():
    assert set(NUMPY_ACTIVATIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_numpy_f_matches_torch_module(name):
    f, _ = NUMPY_ACTIVATIONS[name]
    z = np.concatenate([Z, [0.0]])
    expected = get_activation(name)(torch.tensor(z, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(f(z), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_numpy_df_matches_autograd(name):
    _, df = NUMPY_ACTIVATIONS[name]
    z = np.concatenate([Z, [0.0]])  # includes the kink: df uses autograd's convention there
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    get_activation(name)(t).sum().backward()
    np.testing.assert_allclose(df(z), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_numpy_df_matches_finite_differences(name):
    f, df = NUMPY_ACTIVATIONS[name]
    h = 1e-6
    fd = (f(Z + h) - f(Z - h)) / (2 * h)
    rel = np.abs(fd - df(Z)) / np.maximum(1.0, np.abs(df(Z)))
    assert rel.max() < 1e-7, (name, rel.max())


def test_known_values():
    f, df = NUMPY_ACTIVATIONS["sigmoid"]
    assert f(0.0) == 0.5 and df(0.0) == 0.25
    assert f(-1000.0) == 0.0 and f(1000.0) == 1.0  # no overflow
    f, df = NUMPY_ACTIVATIONS["tanh"]
    assert df(0.0) == 1.0
    f, df = NUMPY_ACTIVATIONS["relu"]
    np.testing.assert_array_equal(f([-2.0, 0.0, 3.0]), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(df([-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0])
    f, df = NUMPY_ACTIVATIONS["leaky_relu"]
    np.testing.assert_allclose(f([-2.0, 3.0]), [-0.02, 3.0])
    f, _ = NUMPY_ACTIVATIONS["softplus"]
    assert f(0.0) == pytest.approx(np.log(2.0))
    assert f(800.0) == pytest.approx(800.0)  # no overflow
    f, df = NUMPY_ACTIVATIONS["gelu"]
    assert f(1.0) == pytest.approx(0.8413447460685429)  # 1 * Phi(1)
    f, df = NUMPY_ACTIVATIONS["identity"]
    z = np.array([1.0, 2.0])
    out = f(z)
    out[0] = 9.0
    assert z[0] == 1.0  # identity returns a copy, safe to modify in a backprop lesson


def test_numpy_functions_preserve_shape():
    z = np.random.default_rng(0).normal(size=(3, 4))
    for name, (f, df) in NUMPY_ACTIVATIONS.items():
        assert f(z).shape == (3, 4) and df(z).shape == (3, 4), name
        assert f(z).dtype == np.float64
