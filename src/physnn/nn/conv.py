r"""Convolutional networks for images: :class:`ConvNet` (a classifier) and :class:`UNet` (a segmenter).

A 2-D convolution with kernel :math:`K` (size :math:`k\times k`) maps
:math:`C_{in}` channels to :math:`C_{out}` channels by

.. math:: y_{o}(i, j) = b_o + \sum_{c=1}^{C_{in}} \sum_{u,v} K_{o c}(u, v)\, x_c(i+u, j+v),

so a layer holds :math:`k^2 C_{in} C_{out}` weights (plus :math:`C_{out}`
biases) however large the image is: the same small filter slides over every
position (weight sharing, translation equivariance).  Both networks are plain
``torch.nn.Module`` s built from the same *block*

``Conv2d(k, padding=k//2) → norm → activation``

where ``norm`` is ``"batch"`` (BatchNorm2d, 2 parameters per channel),
``"group"`` (GroupNorm, 2 per channel) or ``"none"`` (the convolution then
keeps its bias; with a norm the bias is redundant and left out).

    >>> net = ConvNet.from_spec("1-8-16-3")
    >>> tuple(net(torch.zeros(2, 1, 32, 32)).shape)
    (2, 3)
    >>> unet = UNet(1, 3, depth=2, base=8)
    >>> tuple(unet(torch.zeros(1, 1, 37, 45)).shape)   # odd sizes are padded and cropped back
    (1, 3, 37, 45)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.nn.activations import get_activation
from physnn.nn.mlp import parse_spec

__all__ = ["ConvNet", "UNet", "conv_block", "build_unet", "NORMS", "POOLS"]

#: normalisation layers of a block
NORMS: tuple[str, ...] = ("batch", "group", "none")
#: pooling after each ConvNet block
POOLS: tuple[str, ...] = ("max", "avg", "none")


def _norm(kind: str, channels: int) -> nn.Module | None:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    return None


def conv_block(c_in: int, c_out: int, *, kernel_size: int = 3, norm: str = "batch", activation: Any = "relu") -> nn.Sequential:
    r"""``Conv2d(c_in, c_out, k, padding=k//2) → norm → activation`` (size-preserving for odd ``k``).

    Parameters: :math:`k^2 c_{in} c_{out}` weights, plus :math:`c_{out}`
    biases without a norm or :math:`2 c_{out}` norm scales and shifts with one.

        >>> sum(p.numel() for p in conv_block(1, 8).parameters())  # 9*1*8 + 2*8
        88
        >>> sum(p.numel() for p in conv_block(1, 8, norm="none").parameters())  # 9*1*8 + 8
        80
    """
    norm = check_choice("norm", norm, NORMS, owner="conv_block")
    k = check_int("kernel_size", kernel_size, low=1, owner="conv_block")
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=(norm == "none"))]
    n = _norm(norm, c_out)
    if n is not None:
        layers.append(n)
    layers.append(get_activation(activation))
    return nn.Sequential(*layers)


def _check_images(x: Any, c_in: int, owner: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise PhysnnError(f"{owner}: the input must be a torch.Tensor of shape (N, C, H, W); got {type(x).__name__}.")
    if x.ndim != 4:
        fix = " Add the batch and channel axes with x[None, None]." if x.ndim == 2 else (
            " Add the channel axis with x[:, None]." if x.ndim == 3 else "")
        raise PhysnnError(
            f"{owner}: the input must have shape (N, C, H, W) with C={c_in}; got shape {tuple(x.shape)}.{fix}"
        )
    if x.shape[1] != c_in:
        raise PhysnnError(
            f"{owner}: the input has {x.shape[1]} channel(s) but the network was built with "
            f"in_channels={c_in}; pass images of shape (N, {c_in}, H, W) or rebuild the network."
        )
    return x


class ConvNet(nn.Module):
    r"""An image classifier: convolution blocks with pooling, then global average pooling and a linear head.

    For each width ``c`` in ``channels``: ``conv_block(previous, c)`` then,
    unless ``pool="none"``, a 2×2 pooling that halves height and width.
    Then ``AdaptiveAvgPool2d(1)`` (one number per channel, whatever the image
    size), ``Flatten``, ``Dropout(dropout)`` if ``dropout > 0``, and
    ``Linear(channels[-1], n_out)``.  Exactly, for
    ``ConvNet(1, [8, 16], 3)`` (``ConvNet.from_spec("1-8-16-3")``):
    ``Conv2d(1,8,3) BatchNorm2d ReLU MaxPool2d Conv2d(8,16,3) BatchNorm2d ReLU
    MaxPool2d AdaptiveAvgPool2d Flatten Linear(16,3)`` with
    :math:`(9\cdot8 + 16) + (9\cdot8\cdot16 + 32) + (16\cdot3 + 3) = 1{,}323` parameters.

    Args:
        in_channels: channels of the input images (1 for fluorescence).
        channels: widths of the convolution blocks, e.g. ``[16, 32, 64]``.
        n_out: outputs (class logits).
        kernel_size: odd kernel size of every convolution.
        norm: ``"batch"``, ``"group"`` or ``"none"``.
        activation: a name from :data:`physnn.nn.activations.ACTIVATIONS`.
        pool: ``"max"``, ``"avg"`` or ``"none"`` after each block.
        dropout: before the linear head, in ``[0, 1)``.

    Shape: input ``(N, in_channels, H, W)``, output ``(N, n_out)``; ``H`` and
    ``W`` must be at least ``2**len(channels)`` with pooling.

        >>> net = ConvNet(1, [8, 16], 3)
        >>> sum(p.numel() for p in net.parameters())
        1323
        >>> [type(m).__name__ for m in net.features]
        ['Sequential', 'MaxPool2d', 'Sequential', 'MaxPool2d']
    """

    def __init__(
        self,
        in_channels: int,
        channels: Sequence[int],
        n_out: int,
        *,
        kernel_size: int = 3,
        norm: str = "batch",
        activation: Any = "relu",
        pool: str = "max",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, low=1, owner="ConvNet")
        if isinstance(channels, numbers.Integral):
            channels = [int(channels)]
        if isinstance(channels, str) or not isinstance(channels, Sequence) or len(channels) == 0:
            raise PhysnnError(f"ConvNet: 'channels' must be a non-empty list of widths such as [16, 32]; got {channels!r}.")
        self.channels = tuple(check_int(f"channels[{i}]", c, low=1, owner="ConvNet") for i, c in enumerate(channels))
        self.n_out = check_int("n_out", n_out, low=1, owner="ConvNet")
        self.kernel_size = check_int("kernel_size", kernel_size, low=1, owner="ConvNet")
        if self.kernel_size % 2 == 0:
            raise PhysnnError(f"ConvNet: 'kernel_size' must be odd (size-preserving padding k//2); got {kernel_size}. Use 3 or 5.")
        self.norm = check_choice("norm", norm, NORMS, owner="ConvNet")
        self.pool = check_choice("pool", pool, POOLS, owner="ConvNet")
        self.dropout = check_range("dropout", dropout, low=0.0, high=1.0, high_inclusive=False, owner="ConvNet")
        self.activation = activation
        layers: list[nn.Module] = []
        prev = self.in_channels
        for c in self.channels:
            layers.append(conv_block(prev, c, kernel_size=self.kernel_size, norm=self.norm, activation=activation))
            if self.pool == "max":
                layers.append(nn.MaxPool2d(2))
            elif self.pool == "avg":
                layers.append(nn.AvgPool2d(2))
            prev = c
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        if self.dropout > 0:
            head.append(nn.Dropout(self.dropout))
        head.append(nn.Linear(prev, self.n_out))
        self.head = nn.Sequential(*head)

    @classmethod
    def from_spec(cls, spec: str, **kw: Any) -> "ConvNet":
        """``"c_in-c1-...-n_out"``: ``"1-16-32-3"`` is ``ConvNet(1, [16, 32], 3)``."""
        sizes = parse_spec(spec)
        if len(sizes) < 3:
            raise PhysnnError(
                f"ConvNet.from_spec: the spec needs input channels, at least one block width and "
                f"the outputs, e.g. '1-16-32-3'; got {spec!r}."
            )
        return cls(sizes[0], sizes[1:-1], sizes[-1], **kw)

    @property
    def spec(self) -> str:
        return "-".join(str(s) for s in (self.in_channels, *self.channels, self.n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_images(x, self.in_channels, "ConvNet")
        if self.pool != "none":
            need = 2 ** len(self.channels)
            if min(x.shape[-2:]) < need:
                raise PhysnnError(
                    f"ConvNet: images of size {tuple(x.shape[-2:])} are too small for {len(self.channels)} "
                    f"pooling steps; use images of at least {need}×{need} or fewer blocks."
                )
        return self.head(self.features(x))


class _Double(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, norm: str, activation: Any, dropout: float) -> None:
        layers = [conv_block(c_in, c_out, norm=norm, activation=activation)]
        if dropout > 0:
            layers.append(nn.Dropout2d(dropout))
        layers.append(conv_block(c_out, c_out, norm=norm, activation=activation))
        super().__init__(*layers)


class UNet(nn.Module):
    r"""U-Net (Ronneberger et al. 2015): an encoder–decoder with skip connections, one output per pixel.

    Level :math:`l = 0..\text{depth}` has width :math:`w_l = \text{base}\cdot 2^l`.
    Encoder: at each level two ``conv_block`` s (3×3), then 2×2 max-pooling
    (not after the deepest level, the bottleneck).  Decoder, from level
    ``depth-1`` up to 0: ``ConvTranspose2d(w_{l+1}, w_l, 2, stride=2)``
    doubles the size, the encoder's level-:math:`l` features are concatenated
    (the *skip connection*, which carries fine detail past the bottleneck),
    and two ``conv_block`` s map :math:`2 w_l \to w_l`.  A 1×1 convolution
    gives ``out_channels`` logits per pixel.  ``dropout > 0`` adds
    ``Dropout2d`` between the two convolutions of the bottleneck and decoder.

    With norm, a double block :math:`c\to w` has
    :math:`9 c w + 2w + 9 w^2 + 2w` parameters, an up-convolution
    :math:`4 w_{l+1} w_l + w_l`, the head :math:`w_0\,C_{out} + C_{out}`.

    Any height and width are accepted: the input is padded (edge values
    replicated) to a multiple of :math:`2^{\text{depth}}` and the output
    cropped back, so the output always has the input's size.

    Args:
        in_channels: input channels (1 for fluorescence).
        out_channels: per-pixel outputs (e.g. 3 logits: background, interior, boundary).
        depth: number of poolings (≥ 1).
        base: width of the first level.
        norm: ``"batch"``, ``"group"`` or ``"none"``.
        activation: a name from :data:`physnn.nn.activations.ACTIVATIONS`.
        dropout: ``Dropout2d`` probability in ``[0, 1)`` in the bottleneck and decoder.

    Shape: ``(N, in_channels, H, W) → (N, out_channels, H, W)``.

        >>> net = UNet(1, 3, depth=1, base=4)
        >>> sum(p.numel() for p in net.parameters())  # (36+8+144+8) + (288+16+576+16) + (128+4) + (288+8+144+8) + (12+3)
        1687
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        *,
        depth: int = 3,
        base: int = 16,
        norm: str = "batch",
        activation: Any = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, low=1, owner="UNet")
        self.out_channels = check_int("out_channels", out_channels, low=1, owner="UNet")
        self.depth = check_int("depth", depth, low=1, high=8, owner="UNet")
        self.base = check_int("base", base, low=1, owner="UNet")
        self.norm = check_choice("norm", norm, NORMS, owner="UNet")
        self.dropout = check_range("dropout", dropout, low=0.0, high=1.0, high_inclusive=False, owner="UNet")
        self.activation = activation
        widths = [self.base * 2**i for i in range(self.depth + 1)]
        self.down = nn.ModuleList()
        prev = self.in_channels
        for i, w in enumerate(widths):
            self.down.append(_Double(prev, w, self.norm, activation, self.dropout if i == self.depth else 0.0))
            prev = w
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(self.depth)):
            self.up.append(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2))
            self.dec.append(_Double(2 * widths[i], widths[i], self.norm, activation, self.dropout))
        self.head = nn.Conv2d(widths[0], self.out_channels, 1)

    def config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-able dict (``UNet(**net.config())`` rebuilds it)."""
        act = self.activation if isinstance(self.activation, str) else type(self.activation).__name__.lower()
        return {"in_channels": self.in_channels, "out_channels": self.out_channels, "depth": self.depth,
                "base": self.base, "norm": self.norm, "activation": act, "dropout": self.dropout}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_images(x, self.in_channels, "UNet")
        h, w = x.shape[-2:]
        m = 2**self.depth
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < self.depth:
                skips.append(x)
                x = self.pool(x)
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            x = dec(torch.cat([skips.pop(), x], dim=1))
        out = self.head(x)
        return out[..., :h, :w] if (ph or pw) else out


def build_unet(config: Any) -> UNet:
    """Rebuild a :class:`UNet` from ``net.config()`` (a ``"kind": "unet"`` entry is allowed).

        >>> build_unet({"kind": "unet", "in_channels": 1, "out_channels": 2, "depth": 1, "base": 4}).depth
        1
    """
    if not isinstance(config, dict):
        raise PhysnnError(f"build_unet: 'config' must be a dict; got {type(config).__name__}.")
    rest = {k: v for k, v in config.items() if k != "kind"}
    try:
        return UNet(**rest)
    except TypeError as exc:
        raise PhysnnError(f"build_unet: bad UNet config {config!r} ({exc}).") from None
