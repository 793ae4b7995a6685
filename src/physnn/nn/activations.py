r"""Activation functions by name, for PyTorch models and for NumPy lessons.

The lecture's non-linearities (and the modern ones) under one name each:

==============  ===========================================  ====================
name            :math:`f(z)`                                 initialisation
==============  ===========================================  ====================
``sigmoid``     :math:`\sigma(z) = 1 / (1 + e^{-z})`         Xavier (Glorot)
``tanh``        :math:`\tanh z`                              Xavier (Glorot)
``relu``        :math:`\max(0, z)`                           Kaiming (He)
``leaky_relu``  :math:`\max(0, z) + 0.01 \min(0, z)`         Kaiming (He)
``elu``         :math:`z` if :math:`z > 0` else :math:`e^z - 1`  Kaiming (He)
``gelu``        :math:`z\,\Phi(z)` (:math:`\Phi` normal CDF) Kaiming (He)
``silu``        :math:`z\,\sigma(z)` (a.k.a. swish)          Kaiming (He)
``softplus``    :math:`\log(1 + e^z)`                        Xavier (Glorot)
``identity``    :math:`z`                                    Xavier (Glorot)
==============  ===========================================  ====================

* :func:`get_activation` turns a name into a fresh ``torch.nn`` module;
* :func:`init_gain_kind` says which weight initialisation suits it;
* :data:`NUMPY_ACTIVATIONS` keeps each function *beside its derivative*
  ``(f, df)`` in NumPy, for the from-scratch backpropagation lesson.

    >>> get_activation("ReLU")
    ReLU()
    >>> f, df = NUMPY_ACTIVATIONS["sigmoid"]
    >>> float(f(0.0)), float(df(0.0))
    (0.5, 0.25)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from torch import nn

from physnn.errors import check_choice

__all__ = [
    "ACTIVATIONS",
    "NUMPY_ACTIVATIONS",
    "NumpyActivation",
    "activation_name",
    "get_activation",
    "init_gain_kind",
]

#: Negative slope of ``leaky_relu`` (PyTorch's default), the same in torch and NumPy.
LEAKY_SLOPE = 0.01
#: ``alpha`` of ``elu`` (PyTorch's default).
ELU_ALPHA = 1.0

# name -> torch.nn class (instantiated with its defaults)
_TORCH: dict[str, type[nn.Module]] = {
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

#: The activation names physnn knows, in the order of the table above.
ACTIVATIONS: tuple[str, ...] = tuple(_TORCH)

_KAIMING = frozenset({"relu", "leaky_relu", "elu", "gelu", "silu"})


def get_activation(name: Any) -> nn.Module:
    """Return a fresh ``torch.nn`` module for the activation ``name``.

    ``name`` is one of :data:`ACTIVATIONS` (case-insensitive); an
    ``nn.Module`` instance is returned as it is and an ``nn.Module`` class is
    instantiated with its defaults.  A wrong name lists the valid ones.

    Shape: any ``(*)`` in, the same ``(*)`` out (element-wise).

        >>> get_activation("tanh")
        Tanh()
        >>> get_activation(nn.LeakyReLU)
        LeakyReLU(negative_slope=0.01)
        >>> get_activation("relu6")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: get_activation: 'activation' must be one of 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'gelu', 'silu', 'softplus', 'identity'; got 'relu6'. Did you mean 'relu'?
    """
    if isinstance(name, nn.Module):
        return name
    if isinstance(name, type) and issubclass(name, nn.Module):
        return name()
    key = check_choice("activation", name, ACTIVATIONS, owner="get_activation")
    return _TORCH[key]()


def activation_name(activation: Any) -> str | None:
    """The registry name of ``activation`` (a name, module or class), or ``None``.

    A module counts as a name only when it equals that name's defaults, so
    ``nn.LeakyReLU(0.2)`` has no name (it could not be rebuilt from one).

        >>> activation_name("ReLU"), activation_name(nn.Tanh()), activation_name(nn.LeakyReLU(0.2))
        ('relu', 'tanh', None)
    """
    if isinstance(activation, str):
        key = activation.strip().lower()
        return key if key in _TORCH else None
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        for key, cls in _TORCH.items():
            if activation is cls:
                return key
        return None
    if isinstance(activation, nn.Module):
        for key, cls in _TORCH.items():
            if type(activation) is cls and repr(activation) == repr(cls()):
                return key
    return None


def init_gain_kind(name: Any) -> str:
    """Which weight initialisation suits the activation ``name``.

    Returns ``"xavier"`` (Glorot: keeps the variance of a symmetric, roughly
    linear-at-zero activation — sigmoid, tanh, softplus, identity) or
    ``"kaiming"`` (He: doubles the variance to make up for the half that the
    ReLU family switches off — relu, leaky_relu, elu, gelu, silu).  A module
    instance or class with a registry name is accepted too.

        >>> init_gain_kind("tanh"), init_gain_kind("gelu")
        ('xavier', 'kaiming')
    """
    key = activation_name(name)
    if key is None:
        key = check_choice("activation", name, ACTIVATIONS, owner="init_gain_kind")
    return "kaiming" if key in _KAIMING else "xavier"


# --------------------------------------------------------------------------
# NumPy: each function beside its derivative (df is d f / d z at the input z)
# --------------------------------------------------------------------------


class NumpyActivation(NamedTuple):
    """An activation ``f`` and its derivative ``df = df/dz``, both taking the input ``z``."""

    f: Callable[[Any], np.ndarray]
    df: Callable[[Any], np.ndarray]


def _z(z: Any) -> np.ndarray:
    return np.asarray(z, dtype=np.float64)


def _sigmoid(z: Any) -> np.ndarray:
    # 1 / (1 + e^-z) written through tanh: no overflow for large |z|
    return 0.5 * (1.0 + np.tanh(0.5 * _z(z)))


def _sigmoid_d(z: Any) -> np.ndarray:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _tanh(z: Any) -> np.ndarray:
    return np.tanh(_z(z))


def _tanh_d(z: Any) -> np.ndarray:
    return 1.0 - np.tanh(_z(z)) ** 2


def _relu(z: Any) -> np.ndarray:
    return np.maximum(_z(z), 0.0)


def _relu_d(z: Any) -> np.ndarray:
    # the kink at 0 gets slope 0, as torch.autograd does
    return (_z(z) > 0).astype(np.float64)


def _leaky_relu(z: Any) -> np.ndarray:
    z = _z(z)
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_relu_d(z: Any) -> np.ndarray:
    # the kink at 0 gets the negative slope, as torch.autograd does
    return np.where(_z(z) > 0, 1.0, LEAKY_SLOPE)


def _elu(z: Any) -> np.ndarray:
    z = _z(z)
    return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def _elu_d(z: Any) -> np.ndarray:
    z = _z(z)
    return np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0)))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def _gelu(z: Any) -> np.ndarray:
    z = _z(z)
    return z * _normal_cdf(z)


def _gelu_d(z: Any) -> np.ndarray:
    z = _z(z)
    return _normal_cdf(z) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _silu(z: Any) -> np.ndarray:
    z = _z(z)
    return z * _sigmoid(z)


def _silu_d(z: Any) -> np.ndarray:
    z = _z(z)
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _softplus(z: Any) -> np.ndarray:
    return np.logaddexp(0.0, _z(z))


def _identity(z: Any) -> np.ndarray:
    return _z(z).copy()


def _identity_d(z: Any) -> np.ndarray:
    return np.ones_like(_z(z))


#: ``name -> (f, df)`` in NumPy (float64), for every name in :data:`ACTIVATIONS`.
#: ``df`` is the derivative with respect to the *input* ``z`` (not the output),
#: so backpropagation through ``a = f(z)`` reads ``dL/dz = dL/da * df(z)``.
#: At the kinks ``df`` takes the value ``torch.autograd`` uses
#: (``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``, ``elu'(0) = 1``).
NUMPY_ACTIVATIONS: dict[str, NumpyActivation] = {
    "sigmoid": NumpyActivation(_sigmoid, _sigmoid_d),
    "tanh": NumpyActivation(_tanh, _tanh_d),
    "relu": NumpyActivation(_relu, _relu_d),
    "leaky_relu": NumpyActivation(_leaky_relu, _leaky_relu_d),
    "elu": NumpyActivation(_elu, _elu_d),
    "gelu": NumpyActivation(_gelu, _gelu_d),
    "silu": NumpyActivation(_silu, _silu_d),
    "softplus": NumpyActivation(_softplus, _sigmoid),  # d/dz log(1 + e^z) = sigmoid(z)
    "identity": NumpyActivation(_identity, _identity_d),
}

