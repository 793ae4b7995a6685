r"""A dense autoencoder built from a spec: :math:`\hat x = g_\psi(f_\theta(x))`.

The encoder :math:`f_\theta: \mathbb R^d \to \mathbb R^z` squeezes the input
through a *bottleneck* of ``z < d`` units, the decoder :math:`g_\psi` mirrors it
back.  Trained to minimise the reconstruction error

.. math:: L(x) = \frac{1}{d}\sum_{j=1}^{d} \big(\hat x_j - x_j\big)^2

on one kind of data (e.g. QCD jets only), it reconstructs that kind well and
unseen kinds (top jets) worse — the reconstruction error is an *anomaly
score* that needs no signal labels.

The spec ``"d-h1-...-z"`` gives the encoder's sizes; the decoder uses them in
reverse: ``"8-32-16-4"`` builds ``8→32→16→4→16→32→8``.  Hidden layers take the
activation, the bottleneck and the output are linear.

    >>> import torch
    >>> ae = DenseAutoencoder.from_spec("8-32-16-4", seed=0)
    >>> ae.spec, ae.latent
    ('8-32-16-4', 4)
    >>> x = torch.randn(5, 8)
    >>> ae(x).shape, ae.encode(x).shape, ae.reconstruction_error(x).shape
    (torch.Size([5, 8]), torch.Size([5, 4]), torch.Size([5]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_int
from physnn.nn.mlp import MLP, parse_spec

__all__ = ["DenseAutoencoder", "build_autoencoder"]


class DenseAutoencoder(nn.Module):
    """Encoder ``n_in → hidden → latent`` and the mirrored decoder ``latent → hidden[::-1] → n_in``.

    Args:
        n_in: input features ``d``.
        hidden: encoder hidden sizes (the decoder uses them reversed).
        latent: bottleneck size ``z`` (should be smaller than ``n_in``).
        activation: hidden-layer activation (a name of :data:`physnn.nn.ACTIVATIONS`).
        seed: initial weights from this seed.

    Shape: ``(N, n_in)`` → ``(N, n_in)``.
    """

    def __init__(self, n_in: int, hidden: Sequence[int] = (32, 16), latent: int = 4, *,
                 activation: str = "relu", seed: int | None = None) -> None:
        super().__init__()
        owner = "DenseAutoencoder"
        self.n_in = check_int("n_in", n_in, low=1, owner=owner)
        self.hidden = tuple(check_int(f"hidden[{i}]", h, low=1, owner=owner) for i, h in enumerate(hidden))
        self.latent = check_int("latent", latent, low=1, owner=owner)
        if self.latent >= self.n_in:
            raise PhysnnError(
                f"{owner}: 'latent' ({self.latent}) must be smaller than n_in ({self.n_in}); otherwise "
                "the network can learn the identity and the reconstruction error tells nothing."
            )
        self.activation = activation
        self.seed = seed
        self.encoder = MLP(self.n_in, list(self.hidden), self.latent, activation=activation, seed=seed)
        self.decoder = MLP(self.latent, list(self.hidden[::-1]), self.n_in, activation=activation,
                           seed=None if seed is None else seed + 1)

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> DenseAutoencoder:
        """``"d-h1-...-z"``: input, encoder hidden sizes, bottleneck (see module docs)."""
        sizes = parse_spec(spec)
        if len(sizes) < 2:  # pragma: no cover - parse_spec needs two sizes
            raise PhysnnError("DenseAutoencoder.from_spec: give at least 'n_in-latent'.")
        return cls(sizes[0], sizes[1:-1], sizes[-1], **kwargs)

    @property
    def spec(self) -> str:
        return "-".join(str(s) for s in (self.n_in, *self.hidden, self.latent))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The latent code ``(N, latent)``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise PhysnnError(
                f"DenseAutoencoder: input must have shape (N, {self.n_in}); got {tuple(x.shape)}."
            )
        return self.decoder(self.encoder(x))

    @torch.no_grad()
    def reconstruction_error(self, x: torch.Tensor) -> torch.Tensor:
        r"""Per-sample :math:`\frac1d\lVert \hat x - x\rVert^2`, shape ``(N,)`` (evaluation mode)."""
        was = self.training
        self.eval()
        try:
            return ((self(x) - x) ** 2).mean(dim=1)
        finally:
            self.train(was)

    def config(self) -> dict[str, Any]:
        return {"kind": "autoencoder", "n_in": self.n_in, "hidden": list(self.hidden),
                "latent": self.latent, "activation": self.activation, "seed": self.seed}


def build_autoencoder(config: Mapping[str, Any]) -> DenseAutoencoder:
    """Inverse of :meth:`DenseAutoencoder.config`.

        >>> build_autoencoder({"kind": "autoencoder", "n_in": 6, "hidden": [8], "latent": 2}).spec
        '6-8-2'
    """
    rest = {k: v for k, v in dict(config).items() if k != "kind"}
    try:
        return DenseAutoencoder(**rest)
    except TypeError as exc:
        raise PhysnnError(f"build_autoencoder: bad config {dict(config)!r} ({exc}).") from None
