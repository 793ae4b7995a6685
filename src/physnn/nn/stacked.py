"""Several independent MLPs evaluated, and trained, side by side as one module.

Useful wherever one trains the same small network for many seeds or widths
(ensembles, capacity sweeps, error bars): ``M`` members cost little more than
one, because each layer is one batched matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn.activations import get_activation
from physnn.nn.mlp import MLP

__all__ = ["StackedMLP"]


class StackedMLP(nn.Module):
    r"""Several independent one-output :class:`~physnn.nn.MLP` s evaluated side by side.

    Member :math:`m`'s layer :math:`l` is :math:`h \mapsto f(W^{(l)}_m h + b^{(l)}_m)`;
    the weights of all members are stacked into ``(M, out, in)`` tensors and
    applied with one batched matrix product, so :math:`M` small networks cost
    little more than one.  The output is ``(N, M)``: column :math:`m` is member
    :math:`m`'s prediction for the shared input ``(N, n_in)``.

    Trained with the loss :func:`stack_mse` — the *sum* of the members' mean
    squared errors — each member receives exactly the gradient it would get
    alone, and Adam (and its ``weight_decay``) acts on every weight separately,
    so a member follows the same trajectory as if it were trained by itself
    (dropout masks differ, being drawn for all members at once).

    Members may differ in width: narrower layers are padded with zero weights.
    A padded unit outputs :math:`f(0) = 0` and receives zero gradient, so it
    stays zero throughout training — this needs :math:`f(0) = 0` (ReLU, tanh,
    …, not sigmoid).  Members must share ``n_in``, the number of hidden layers,
    the activation and the dropout; ``n_out`` must be 1.

        >>> members = [MLP(1, [w], 1, activation="tanh", seed=s) for w, s in [(4, 0), (8, 1)]]
        >>> stack = StackedMLP(members)
        >>> x = torch.linspace(-1, 1, 5).reshape(-1, 1)
        >>> tuple(stack(x).shape), torch.allclose(stack(x)[:, 1:], members[1](x), atol=1e-6)
        ((5, 2), True)
        >>> stack.n_params(), [sum(p.numel() for p in m.parameters()) for m in members]
        ([13, 25], [13, 25])
    """

    def __init__(self, members: Sequence[MLP]) -> None:
        super().__init__()
        members = list(members)
        if not members or not all(isinstance(m, MLP) for m in members):
            raise PhysnnError("StackedMLP: 'members' must be a non-empty list of physnn MLPs.")
        first = members[0]
        for m in members:
            same = (m.n_in, len(m.hidden), m.activation, m.dropout, m.out_activation, m.bias)
            want = (first.n_in, len(first.hidden), first.activation, first.dropout, first.out_activation, True)
            if same != want or m.n_out != 1:
                raise PhysnnError(
                    "StackedMLP: every member must have the same n_in, number of hidden layers, "
                    "activation (one name), dropout (one value), no output activation, biases "
                    f"and n_out=1; got {m.spec} ({m.activation}, dropout {m.dropout}) next to "
                    f"{first.spec} ({first.activation}, dropout {first.dropout})."
                )
        if not isinstance(first.activation, str) or isinstance(first.dropout, tuple):
            raise PhysnnError("StackedMLP: use one activation name and one dropout value for all layers.")
        self.act = get_activation(first.activation)
        if len({m.hidden for m in members}) > 1 and float(self.act(torch.zeros(1))) != 0.0:
            raise PhysnnError(
                f"StackedMLP: members of different widths are padded with zero units, which needs "
                f"activation(0) = 0; {first.activation!r} gives {float(self.act(torch.zeros(1))):g}. "
                "Stack only members of equal width."
            )
        self.drop = nn.Dropout(first.dropout) if first.dropout > 0 else None
        self.configs = [m.config() for m in members]
        self.sizes = [(m.n_in, *m.hidden, 1) for m in members]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        n_layers = len(first.hidden) + 1
        for layer in range(n_layers):
            lins = [[x for x in m if isinstance(x, nn.Linear)][layer] for m in members]
            out = max(lin.out_features for lin in lins)
            inp = max(lin.in_features for lin in lins)
            W = torch.zeros(len(members), out, inp)
            b = torch.zeros(len(members), out)
            for i, lin in enumerate(lins):
                W[i, : lin.out_features, : lin.in_features] = lin.weight.detach()
                b[i, : lin.out_features] = lin.bias.detach()
            self.weights.append(nn.Parameter(W))
            self.biases.append(nn.Parameter(b))

    def __len__(self) -> int:
        return len(self.configs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.unsqueeze(0).expand(len(self.configs), *x.shape)
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))
            if layer < last:
                h = self.act(h)
                if self.drop is not None:
                    h = self.drop(h)
        return h.squeeze(-1).transpose(0, 1)

    def n_params(self) -> list[int]:
        """Each member's own parameter count (padding not counted)."""
        return [sum(a * b + b for a, b in zip(s[:-1], s[1:])) for s in self.sizes]

    def member(self, i: int) -> MLP:
        """Member ``i`` as a stand-alone :class:`~physnn.nn.MLP` with its current weights."""
        net = MLP(**self.configs[i])
        sizes = self.sizes[i]
        with torch.no_grad():
            for layer, lin in enumerate(m for m in net if isinstance(m, nn.Linear)):
                o, n_in = sizes[layer + 1], sizes[layer]
                lin.weight.copy_(self.weights[layer][i, :o, :n_in])
                lin.bias.copy_(self.biases[layer][i, :o])
        return net
