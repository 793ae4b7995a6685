r"""A per-atom network: a structure's property as the mean of atomic contributions.

Behler–Parrinello's idea, which EMT itself follows (its energy is a sum of
per-atom terms, each a function of the atom's neighbourhood): one shared
network :math:`f_\theta` maps each atom's environment descriptor
:math:`d_i` (SOAP ‖ one-hot species, :func:`physnn.materials.features.per_atom`)
to a contribution, and the structure's (standardised) property is their mean,
optionally plus a linear term in global features :math:`g` of the whole
structure (the regular-solution terms :math:`x_i, x_i x_j`):

.. math:: \hat y = \mu_y + \sigma_y \Big[ W \tilde g + b + \frac1N \sum_{i=1}^{N} f_\theta\big((d_i - \mu_d)/\sigma_d\big) \Big]

— invariant to the order of atoms and, per atom, to rotations (SOAP is).
The linear branch can start at a ridge fit (:meth:`PerAtomNet.init_global`) and
the per-atom network's last layer starts at zero, so training begins exactly at
the regular-solution model and the network learns what it misses (all weights
are trained together).  Standardisation constants are buffers, so the saved
model takes raw descriptors.

    >>> import torch
    >>> net = PerAtomNet(5, [8], 2)
    >>> x = torch.randn(3, 4, 5)
    >>> net(x).shape, torch.allclose(net(x), net(x[:, torch.randperm(4)]), atol=1e-6)
    (torch.Size([3, 2]), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_int
from physnn.nn import MLP

__all__ = ["NetEnsemble", "PerAtomNet", "build_peratom"]


class PerAtomNet(nn.Module):
    r"""Mean of a shared per-atom MLP over the atoms of each structure.

    Args:
        n_features: descriptor length *d* per atom.
        hidden: hidden sizes of the per-atom MLP, e.g. ``[64, 64]``.
        n_out: properties predicted per structure.
        activation: hidden activation (smooth ``silu`` by default: energies are smooth).
        n_global: global features per structure (0: none) for the linear branch.
        seed: initial weights from this seed.

    Shape: input flattened ``(B, N·d + n_global)`` — the atoms' descriptors
    row by row, then the global features — so the common loop's 2-D
    ``Supervised`` objective can carry it; or ``(B, N, d)`` when
    ``n_global == 0``.  Output ``(B, n_out)``.

    ``x_mean``/``x_std`` (d,) and ``y_mean``/``y_std`` (n_out,) are buffers set by
    :meth:`set_scaling`; the output is in the units of the training labels.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = (64, 64), n_out: int = 1, *,
                 activation: str = "silu", n_global: int = 0, seed: int | None = None) -> None:
        super().__init__()
        self.n_features = check_int("n_features", n_features, low=1, owner="PerAtomNet")
        self.n_out = check_int("n_out", n_out, low=1, owner="PerAtomNet")
        self.hidden = tuple(int(h) for h in hidden)
        self.activation = activation
        self.n_global = check_int("n_global", n_global, low=0, owner="PerAtomNet")
        self.atom = MLP(self.n_features, list(self.hidden), self.n_out, activation=activation, seed=seed)
        self.register_buffer("x_mean", torch.zeros(self.n_features))
        self.register_buffer("x_std", torch.ones(self.n_features))
        self.register_buffer("g_mean", torch.zeros(self.n_global))
        self.register_buffer("g_std", torch.ones(self.n_global))
        self.linear = nn.Linear(self.n_global, self.n_out) if self.n_global else None
        self.register_buffer("y_mean", torch.zeros(self.n_out))
        self.register_buffer("y_std", torch.ones(self.n_out))

    def config(self) -> dict[str, Any]:
        """What rebuilds this network: ``PerAtomNet(**net.config())``."""
        return {"n_features": self.n_features, "hidden": list(self.hidden), "n_out": self.n_out,
                "activation": self.activation, "n_global": self.n_global}

    @torch.no_grad()
    def set_scaling(self, x: torch.Tensor, y: torch.Tensor, g: torch.Tensor | None = None) -> None:
        """Standardise with training data: ``x`` (B, N, d) per feature over all atoms; ``y`` (B, n_out);
        ``g`` (B, n_global) per column (a constant column keeps scale 1)."""
        xf = x.reshape(-1, self.n_features).double()
        self.x_mean.copy_(xf.mean(0).float())
        self.x_std.copy_(xf.std(0).clamp_min(1e-8).float())
        yf = y.reshape(len(y), -1).double()
        self.y_mean.copy_(yf.mean(0).float())
        self.y_std.copy_(yf.std(0).clamp_min(1e-12).float())
        if self.n_global and g is not None:
            gf = g.double()
            sd = gf.std(0)
            self.g_mean.copy_(gf.mean(0).float())
            self.g_std.copy_(torch.where(sd > 1e-12, sd, torch.ones_like(sd)).float())

    def scaled_global(self, g: torch.Tensor) -> torch.Tensor:
        """Global features in the units the linear branch sees: ``(g - g_mean) / g_std``."""
        return (g - self.g_mean) / self.g_std

    @torch.no_grad()
    def init_global(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Start the linear branch at a given fit (in standard units) and the per-atom part at zero."""
        if self.linear is None:
            raise PhysnnError("PerAtomNet.init_global: the network has no global branch (n_global=0).")
        self.linear.weight.copy_(torch.as_tensor(weight, dtype=torch.float32).reshape(self.n_out, self.n_global))
        self.linear.bias.copy_(torch.as_tensor(bias, dtype=torch.float32).reshape(self.n_out))
        last = [m for m in self.atom.modules() if isinstance(m, nn.Linear)][-1]
        last.weight.zero_()
        last.bias.zero_()

    def standardized(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output in standard units (what the loss compares with scaled labels)."""
        extra = None
        if self.n_global:
            if x.ndim != 2:
                raise PhysnnError(
                    f"PerAtomNet: with n_global={self.n_global} the input must be flattened "
                    f"(B, N·{self.n_features} + {self.n_global}); got {tuple(x.shape)}."
                )
            x, extra = x[:, : x.shape[1] - self.n_global], x[:, x.shape[1] - self.n_global:]
        if x.ndim == 2:
            if x.shape[1] % self.n_features:
                raise PhysnnError(
                    f"PerAtomNet: a flattened input must have N·{self.n_features} columns; got {x.shape[1]}."
                )
            x = x.reshape(x.shape[0], -1, self.n_features)
        if x.ndim != 3 or x.shape[2] != self.n_features:
            raise PhysnnError(
                f"PerAtomNet: input must be (B, N, {self.n_features}) or (B, N·{self.n_features}); "
                f"got {tuple(x.shape)}."
            )
        out = self.atom((x - self.x_mean) / self.x_std).mean(dim=1)
        if extra is not None:
            out = out + self.linear(self.scaled_global(extra))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.y_mean + self.y_std * self.standardized(x)


class NetEnsemble(nn.Module):
    r"""The mean prediction of K independently trained networks (a deep ensemble).

    .. math:: \hat y(x) = \frac1K \sum_{k=1}^{K} f_{\theta_k}(x)

    Members differ only in their initial weights and batch order; averaging
    removes the part of each member's error that is specific to its random
    start, so the ensemble's MAE (and MSE) is at most the members' mean one
    (convexity: :math:`|\frac1K\sum_k e_k| \le \frac1K\sum_k |e_k|`) and usually
    below the best member's.  It
    costs K× the training and K× the network part of a prediction.

    Args:
        members: the trained networks, all with the same input and output shapes
            (``n_global`` and ``config()`` are taken from the first).

    Shape: whatever the members take; output the members' output shape.

        >>> import torch
        >>> a, b = PerAtomNet(5, [8], 1, seed=0), PerAtomNet(5, [8], 1, seed=1)
        >>> x = torch.randn(3, 4, 5)
        >>> torch.allclose(NetEnsemble([a, b])(x), (a(x) + b(x)) / 2)
        True
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        members = list(members)
        if not members:
            raise PhysnnError("NetEnsemble: 'members' is empty; pass at least one trained network.")
        self.members = nn.ModuleList(members)

    @property
    def n_global(self) -> int:
        return int(getattr(self.members[0], "n_global", 0))

    def config(self) -> dict[str, Any]:
        """The first member's ``config()`` plus ``ensemble``: the number of members."""
        return {**self.members[0].config(), "ensemble": len(self.members)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(dim=0)


def build_peratom(config: dict[str, Any]) -> nn.Module:
    """A :class:`PerAtomNet` (or a :class:`NetEnsemble` of ``config["ensemble"]`` of them) from its config.

    The config is a run's ``state["model"]``: ``PerAtomNet.config()`` plus ``kind`` (``"peratom"``)
    and, for ensembles, ``ensemble``.  Weights are loaded by the caller.

        >>> build_peratom({"kind": "peratom", "n_features": 5, "hidden": [8], "n_out": 1}).n_features
        5
    """
    def member() -> PerAtomNet:
        return PerAtomNet(config["n_features"], config["hidden"], config["n_out"],
                          activation=config.get("activation", "silu"), n_global=config.get("n_global", 0))

    k = int(config.get("ensemble", 1))
    return member() if k == 1 else NetEnsemble([member() for _ in range(k)])
