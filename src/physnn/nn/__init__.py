"""Models as plain ``torch.nn.Module`` s: the neuron, the perceptron, MLPs, and a summary table.

    >>> from physnn.nn import MLP, SimpleNet, summary
    >>> summary(MLP.from_spec("10-64-32-1"), 10).total_params == summary(SimpleNet(), 10).total_params == 2817
    True

* :class:`Neuron` — :math:`y = f(\\sum_i w_i x_i + b)`; :class:`Perceptron` — Rosenblatt's rule, no autograd.
* :class:`MLP` — a network from its layer sizes (``MLP.from_spec("10-64-32-1")``); :class:`SimpleNet` — the lecture's.
* :func:`summary` — per-layer output shapes and parameter counts.
* :func:`get_activation`, :data:`ACTIVATIONS`, :data:`NUMPY_ACTIVATIONS` — activations by name.
* :func:`model_config` / :func:`build_model` — a model as a JSON-able dict and back.
* :class:`ParticleFlowNetwork`, :class:`ParticleNetLite` — permutation-invariant networks over particle sets; :class:`DenseAutoencoder`.
* :class:`ConvNet` — conv–norm–activation–pool blocks and a linear head; :class:`UNet` — encoder–decoder with skip connections, per-pixel outputs.
* :class:`FNO1d`, :class:`FNO2d` — Fourier neural operators from :class:`SpectralConv1d` / :class:`SpectralConv2d`.
"""

from physnn.nn.activations import (
    ACTIVATIONS,
    NUMPY_ACTIVATIONS,
    get_activation,
    init_gain_kind,
)
from physnn.nn.autoencoder import DenseAutoencoder, build_autoencoder
from physnn.nn.conv import ConvNet, UNet
from physnn.nn.mlp import MLP, SimpleNet, build_model, model_config, parse_spec
from physnn.nn.neuron import Neuron, Perceptron
from physnn.nn.sets import (
    EdgeConv,
    ParticleFlowNetwork,
    ParticleNetLite,
    build_set_model,
    masked_pool,
    padding_mask,
)
from physnn.nn.spectral import FNO1d, FNO2d, Pointwise, SpectralConv1d, SpectralConv2d
from physnn.nn.stacked import StackedMLP
from physnn.nn.summary import LayerRow, ModelSummary, summary

__all__ = [
    "DenseAutoencoder",
    "build_autoencoder",
    "ParticleFlowNetwork",
    "ParticleNetLite",
    "EdgeConv",
    "masked_pool",
    "padding_mask",
    "build_set_model",
    "ConvNet",
    "UNet",
    "SpectralConv1d",
    "SpectralConv2d",
    "Pointwise",
    "FNO1d",
    "FNO2d",
    "Neuron",
    "Perceptron",
    "MLP",
    "SimpleNet",
    "StackedMLP",
    "summary",
    "ModelSummary",
    "LayerRow",
    "get_activation",
    "init_gain_kind",
    "ACTIVATIONS",
    "NUMPY_ACTIVATIONS",
    "parse_spec",
    "build_model",
    "model_config",
]
