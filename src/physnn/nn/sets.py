r"""Permutation-invariant networks over sets of particles: Deep Sets / Particle-Flow Networks.

A jet is an unordered set of constituents :math:`\{p_1, \dots, p_M\}`, each with
``F`` features (e.g. :math:`p_T` fraction, :math:`\Delta\eta`, :math:`\Delta\phi`).
A *Deep Sets* network (Zaheer et al. 2017), called a *Particle-Flow Network*
(PFN) in particle physics (Komiske, Metodiev, Thaler 2019), computes

.. math:: f(\{p_i\}) = F\Big(\bigoplus_{i=1}^{M} m_i\,\Phi(p_i)\Big),

with a per-particle MLP :math:`\Phi: \mathbb R^F \to \mathbb R^\ell`, a pooling
:math:`\bigoplus` (sum or mean) and an MLP :math:`F: \mathbb R^\ell \to \mathbb R^{k}`.
Any reordering of the particles gives the same output.  Jets have different
numbers of constituents, so a batch is **zero-padded** to ``P`` slots with a
mask :math:`m_i \in \{0, 1\}` (1 = a real particle): padded slots add nothing.

Shapes: ``x`` is ``(N, P, F)``, ``mask`` is ``(N, P)`` (bool or 0/1), the
output is ``(N, n_out)`` (logits).  Without a mask, a slot whose features are
all exactly zero counts as padding (what zero-padded files hold).

:class:`ParticleNetLite` adds the idea of ParticleNet (Qu & Gouskos 2020): an
*EdgeConv* block updates every particle from its ``k`` nearest neighbours,
:math:`x_i' = \frac{1}{k}\sum_{j\in\mathrm{kNN}(i)} h_\Theta(x_i, x_j - x_i)`,
before the same masked pooling.

    >>> import torch
    >>> net = ParticleFlowNetwork(3, phi=[16, 8], f=[16], n_out=1, seed=0)
    >>> x = torch.randn(4, 10, 3); mask = torch.ones(4, 10, dtype=torch.bool)
    >>> perm = torch.randperm(10)
    >>> torch.allclose(net(x, mask), net(x[:, perm], mask[:, perm]), atol=1e-6)
    True
    >>> sum(p.numel() for p in net.parameters())  # (3*16+16) + (16*8+8) + (8*16+16) + (16*1+1)
    361
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int
from physnn.nn.mlp import MLP

__all__ = ["ParticleFlowNetwork", "ParticleNetLite", "EdgeConv", "masked_pool", "padding_mask",
           "build_set_model", "POOLINGS"]

#: pooling operations over the particle axis
POOLINGS: tuple[str, ...] = ("sum", "mean")


def padding_mask(x: torch.Tensor) -> torch.Tensor:
    """The mask of real particles of a zero-padded batch ``x`` ``(N, P, F)``: ``(N, P)`` bool.

    A slot is padding when *all* its features are exactly zero.

        >>> import torch
        >>> padding_mask(torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])).tolist()
        [[True, False]]
    """
    return (x != 0).any(dim=-1)


def _check_input(x: torch.Tensor, mask: torch.Tensor | None, n_features: int, owner: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise PhysnnError(
            f"{owner}: input must be a tensor of shape (N jets, P particles, F features); got {shape}. "
            "For one jet use x.unsqueeze(0)."
        )
    if x.shape[-1] != n_features:
        raise PhysnnError(
            f"{owner}: the network takes {n_features} features per particle but the input has "
            f"{x.shape[-1]}; pass the same constituent features as in training."
        )
    if mask is None:
        return padding_mask(x)
    if mask.shape != x.shape[:2]:
        raise PhysnnError(
            f"{owner}: mask must have shape (N, P) = {tuple(x.shape[:2])}; got {tuple(mask.shape)}."
        )
    return mask


def _with_global(pooled: torch.Tensor, jet: torch.Tensor | None, n_global: int, owner: str) -> torch.Tensor:
    """Append the jet-level features ``(N, n_global)`` to the pooled latent (if the network takes them)."""
    if n_global == 0:
        if jet is not None:
            raise PhysnnError(f"{owner}: built with n_global=0 but jet-level features were passed.")
        return pooled
    if jet is None or jet.ndim != 2 or jet.shape[1] != n_global:
        got = None if jet is None else tuple(jet.shape)
        raise PhysnnError(f"{owner}: expects jet-level features of shape (N, {n_global}); got {got}.")
    return torch.cat([pooled, jet.to(pooled.dtype)], dim=1)


def masked_pool(h: torch.Tensor, mask: torch.Tensor, pooling: str = "sum") -> torch.Tensor:
    r"""Pool per-particle features ``h`` ``(N, P, C)`` over real particles only → ``(N, C)``.

    ``sum``: :math:`\sum_i m_i h_i`; ``mean``: :math:`\sum_i m_i h_i / \max(1, \sum_i m_i)`
    (an empty jet gives zeros).

        >>> import torch
        >>> h = torch.tensor([[[1.0], [2.0], [5.0]]]); m = torch.tensor([[1, 1, 0]])
        >>> masked_pool(h, m, "sum").item(), masked_pool(h, m, "mean").item()
        (3.0, 1.5)
    """
    m = mask.to(h.dtype).unsqueeze(-1)
    s = (h * m).sum(dim=1)
    if pooling == "sum":
        return s
    return s / m.sum(dim=1).clamp(min=1.0)


class ParticleFlowNetwork(nn.Module):
    r"""Deep Sets / Particle-Flow Network :math:`F(\bigoplus_i m_i \Phi(p_i))`.

    Args:
        n_features: features per particle ``F``.
        phi: sizes of Φ's layers; the last is the latent size ℓ (every layer of
            Φ, the last included, is followed by the activation, as in the PFN paper).
        f: hidden sizes of F (its last layer has ``n_out`` units, no activation: logits).
        n_out: outputs (1 for a binary tagger).
        pooling: ``"sum"`` (the PFN's; knows the multiplicity) or ``"mean"``.
        activation: a name of :data:`physnn.nn.ACTIVATIONS`.
        dropout: dropout in F's hidden layers.
        n_global: jet-level features appended to the pooled latent before F
            (a hybrid tagger, as weaver's "global" inputs); 0 = constituents only.
        seed: initial weights from this seed (global RNG untouched).

    Shape: ``x`` ``(N, P, F)``, ``mask`` ``(N, P)``, optional ``jet`` ``(N, n_global)`` → ``(N, n_out)``.

        >>> import torch
        >>> net = ParticleFlowNetwork(3, phi=[8, 4], f=[8], seed=0)
        >>> x = torch.randn(2, 5, 3); m = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
        >>> x2 = x.clone(); x2[0, 3:] = 99.0            # garbage in padded slots ...
        >>> torch.allclose(net(x, m), net(x2, m))       # ... changes nothing
        True
    """

    def __init__(
        self,
        n_features: int,
        *,
        phi: Sequence[int] = (64, 64, 64),
        f: Sequence[int] = (64, 64),
        n_out: int = 1,
        pooling: str = "sum",
        activation: str = "relu",
        dropout: float = 0.0,
        n_global: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        owner = "ParticleFlowNetwork"
        self.n_global = check_int("n_global", n_global, low=0, owner=owner)
        self.n_features = check_int("n_features", n_features, low=1, owner=owner)
        phi = [check_int(f"phi[{i}]", h, low=1, owner=owner) for i, h in enumerate(phi)]
        if not phi:
            raise PhysnnError(f"{owner}: 'phi' needs at least one layer size (the latent size), e.g. [64, 64].")
        self.phi_sizes = tuple(phi)
        self.f_sizes = tuple(check_int(f"f[{i}]", h, low=1, owner=owner) for i, h in enumerate(f))
        self.n_out = check_int("n_out", n_out, low=1, owner=owner)
        self.pooling = check_choice("pooling", pooling, POOLINGS, owner=owner)
        self.activation = activation
        self.dropout = float(dropout)
        self.seed = seed
        self.phi = MLP(self.n_features, list(phi[:-1]), phi[-1], activation=activation,
                       out_activation=activation, seed=seed)
        self.f = MLP(phi[-1] + self.n_global, list(self.f_sizes), self.n_out, activation=activation,
                     dropout=dropout, seed=None if seed is None else seed + 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                jet: torch.Tensor | None = None) -> torch.Tensor:
        mask = _check_input(x, mask, self.n_features, "ParticleFlowNetwork")
        return self.f(_with_global(masked_pool(self.phi(x), mask, self.pooling), jet, self.n_global,
                                   "ParticleFlowNetwork"))

    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments with ``kind``; :func:`build_set_model` is the inverse."""
        return {"kind": "pfn", "n_features": self.n_features, "phi": list(self.phi_sizes),
                "f": list(self.f_sizes), "n_out": self.n_out, "pooling": self.pooling,
                "activation": self.activation, "dropout": self.dropout, "n_global": self.n_global,
                "seed": self.seed}


class EdgeConv(nn.Module):
    r"""One EdgeConv block: :math:`x_i' = \mathrm{act}\big(\mathrm{lin}(x_i) + \frac{1}{k_i}\sum_{j\in\mathrm{kNN}(i)} h_\Theta(x_i, x_j - x_i)\big)`.

    Neighbours are the ``k`` nearest *real* particles in the coordinates
    ``coords`` ``(N, P, D)`` (Euclidean); a jet with fewer than ``k + 1`` real
    particles averages over those it has (:math:`k_i`).  ``h`` is an MLP on
    the concatenation ``[x_i, x_j - x_i]``.  Shape: ``(N, P, C_in)`` → ``(N, P, C_out)``.
    """

    def __init__(self, n_in: int, sizes: Sequence[int], *, k: int = 8, activation: str = "relu",
                 seed: int | None = None) -> None:
        super().__init__()
        self.k = check_int("k", k, low=1, owner="EdgeConv")
        sizes = list(sizes)
        self.h = MLP(2 * n_in, sizes[:-1], sizes[-1], activation=activation, out_activation=activation, seed=seed)
        self.shortcut = nn.Linear(n_in, sizes[-1])
        from physnn.nn.activations import get_activation

        self.out_act = get_activation(activation)

    def forward(self, x: torch.Tensor, coords: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        k = self.k
        if x.shape[1] <= k:  # fewer slots than k + 1: add padded slots (they are never neighbours)
            extra = k + 1 - x.shape[1]
            x = torch.cat([x, x.new_zeros(x.shape[0], extra, x.shape[2])], 1)
            coords = torch.cat([coords, coords.new_zeros(coords.shape[0], extra, coords.shape[2])], 1)
            mask = torch.cat([mask, mask.new_zeros(mask.shape[0], extra)], 1)
            return self.forward(x, coords, mask)[:, : x.shape[1] - extra]
        n, p, c = x.shape
        m = mask.to(x.dtype)
        sq = (coords * coords).sum(-1)
        d = sq.unsqueeze(2) + sq.unsqueeze(1) - 2.0 * coords @ coords.transpose(1, 2)  # (N, P, P)
        ar = torch.arange(p, device=x.device)
        self_pair = (ar.unsqueeze(0) == ar.unsqueeze(1)).to(x.dtype).unsqueeze(0)
        big = 1e9
        # padded slots come after real neighbours, the particle itself after all (never chosen: P > k)
        d = d + (1.0 - m).unsqueeze(1) * big + self_pair * (4 * big)
        idx = torch.topk(d, k, dim=-1, largest=False).indices  # (N, P, k)
        flat = (idx + (torch.arange(n, device=x.device) * p).view(n, 1, 1)).reshape(-1)
        nb = x.reshape(n * p, c)[flat].reshape(n, p, k, c)
        nb_m = m.reshape(n * p)[flat].reshape(n, p, k)  # 1 where the neighbour is a real particle
        xi = x.unsqueeze(2).expand(n, p, k, c)
        e = self.h(torch.cat([xi, nb - xi], dim=-1))  # (N, P, k, C')
        agg = (e * nb_m.unsqueeze(-1)).sum(2) / nb_m.sum(2, keepdim=True).clamp(min=1.0)
        return self.out_act(self.shortcut(x) + agg) * m.unsqueeze(-1)


class ParticleNetLite(nn.Module):
    r"""A small ParticleNet: EdgeConv blocks on kNN graphs, masked mean pooling, an MLP head.

    The first block finds neighbours in the coordinate features ``coord_index``
    (default: features 1 and 2, the particles' (Δη, Δφ) in physnn's
    constituent order (pT, Δη, Δφ); all features when there are fewer than 3); later blocks in the
    learned features, as in ParticleNet (dynamic graph).

    Args:
        n_features: features per particle.
        blocks: output sizes of the EdgeConv MLPs, one list per block.
        k: neighbours per particle.
        f: hidden sizes of the head.
        coord_index: feature indices used as coordinates for the first graph.

    Shape: ``(N, P, F)`` and mask ``(N, P)`` → ``(N, n_out)``.

        >>> import torch
        >>> net = ParticleNetLite(3, blocks=[[8, 8]], k=3, f=[8], seed=0)
        >>> x = torch.randn(2, 6, 3); perm = torch.randperm(6)
        >>> torch.allclose(net(x), net(x[:, perm]), atol=1e-5)
        True
    """

    def __init__(self, n_features: int, *, blocks: Sequence[Sequence[int]] = ((32, 32), (64, 64)),
                 k: int = 8, f: Sequence[int] = (64,), n_out: int = 1, coord_index: Sequence[int] | None = None,
                 activation: str = "relu", n_global: int = 0, seed: int | None = None) -> None:
        super().__init__()
        owner = "ParticleNetLite"
        self.n_global = check_int("n_global", n_global, low=0, owner=owner)
        self.n_features = check_int("n_features", n_features, low=1, owner=owner)
        if coord_index is None:
            coord_index = (1, 2) if self.n_features >= 3 else tuple(range(self.n_features))
        self.coord_index = tuple(check_int("coord_index", i, low=0, high=self.n_features - 1, owner=owner)
                                 for i in coord_index)
        self.block_sizes = tuple(tuple(int(s) for s in b) for b in blocks)
        if not self.block_sizes or any(not b for b in self.block_sizes):
            raise PhysnnError(f"{owner}: 'blocks' must be a non-empty list of non-empty size lists, e.g. [[32, 32]].")
        self.k, self.f_sizes, self.n_out = int(k), tuple(int(s) for s in f), int(n_out)
        self.activation, self.seed = activation, seed
        self.register_buffer("_coord_idx", torch.tensor(self.coord_index, dtype=torch.long), persistent=False)
        convs = []
        c = self.n_features
        for i, b in enumerate(self.block_sizes):
            convs.append(EdgeConv(c, b, k=k, activation=activation, seed=None if seed is None else seed + i))
            c = b[-1]
        self.convs = nn.ModuleList(convs)
        self.f = MLP(c + self.n_global, list(self.f_sizes), self.n_out, activation=activation,
                     seed=None if seed is None else seed + 100)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                jet: torch.Tensor | None = None) -> torch.Tensor:
        mask = _check_input(x, mask, self.n_features, "ParticleNetLite")
        h = x * mask.to(x.dtype).unsqueeze(-1)
        coords = h.index_select(-1, self._coord_idx)
        for conv in self.convs:
            h = conv(h, coords, mask)
            coords = h
        return self.f(_with_global(masked_pool(h, mask, "mean"), jet, self.n_global, "ParticleNetLite"))

    def config(self) -> dict[str, Any]:
        return {"kind": "particlenet", "n_features": self.n_features,
                "blocks": [list(b) for b in self.block_sizes], "k": self.k, "f": list(self.f_sizes),
                "n_out": self.n_out, "coord_index": list(self.coord_index),
                "activation": self.activation, "n_global": self.n_global, "seed": self.seed}


_SET_KINDS = {"pfn": ParticleFlowNetwork, "particlenet": ParticleNetLite}


def build_set_model(config: Mapping[str, Any]) -> nn.Module:
    """Rebuild a set network from ``model.config()`` (``kind`` = ``pfn`` or ``particlenet``).

        >>> build_set_model({"kind": "pfn", "n_features": 3, "phi": [8], "f": [4]}).phi_sizes
        (8,)
    """
    if not isinstance(config, Mapping):
        raise PhysnnError(f"build_set_model: 'config' must be a dict; got {type(config).__name__}.")
    kind = check_choice("kind", config.get("kind"), tuple(_SET_KINDS), owner="build_set_model")
    rest = {k: v for k, v in config.items() if k != "kind"}
    try:
        return _SET_KINDS[kind](**rest)
    except TypeError as exc:
        raise PhysnnError(f"build_set_model: bad {kind} config {dict(config)!r} ({exc}).") from None
