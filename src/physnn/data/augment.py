r"""Seeded data augmentation for images and their per-pixel targets (masks, label maps).

Microscopy has no preferred orientation, so a nucleus flipped or rotated by
90° is an equally valid training example; the 8 symmetries of the square
(the dihedral group :math:`D_4`: 4 rotations × optional flip) are exact —
no interpolation — and applied to the image *and* its target together, so
they stay aligned pixel for pixel.  Intensity jitter (a random gain and
offset, :math:`x \mapsto a x + b`) applies to the image only.  Random crops
cut the same window from both.

Every function takes a ``torch.Generator``: the same seed gives the same
augmentation, and the training loop's generator makes a whole run repeatable.

Shapes: ``image`` is ``(N, C, H, W)``; ``target`` is ``(N, H, W)`` (labels)
or ``(N, K, H, W)``; the spatial axes are always the last two.

    >>> g = torch.Generator().manual_seed(0)
    >>> img = torch.arange(16.).reshape(1, 1, 4, 4); lab = img[:, 0].long()
    >>> a, t = dihedral(img, lab, g)
    >>> bool((a[:, 0].long() == t).all())     # still aligned
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from physnn.errors import PhysnnError, check_int, check_range

__all__ = ["dihedral", "intensity_jitter", "random_crop", "Augment"]


def _check_pair(image: torch.Tensor, target: torch.Tensor | None, owner: str) -> None:
    if not isinstance(image, torch.Tensor) or image.ndim != 4:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise PhysnnError(
            f"{owner}: 'image' must be a tensor of shape (N, C, H, W); got {shape}. "
            "Add axes with image[None, None] for one 2-D image."
        )
    if target is not None:
        if not isinstance(target, torch.Tensor) or target.ndim not in (3, 4):
            shape = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
            raise PhysnnError(f"{owner}: 'target' must be a tensor of shape (N, H, W) or (N, K, H, W); got {shape}.")
        if target.shape[0] != image.shape[0] or target.shape[-2:] != image.shape[-2:]:
            raise PhysnnError(
                f"{owner}: 'target' of shape {tuple(target.shape)} does not fit 'image' of shape "
                f"{tuple(image.shape)}; the batch size and the last two (spatial) axes must agree."
            )


def dihedral(
    image: torch.Tensor, target: torch.Tensor | None = None, generator: torch.Generator | None = None,
    *, flips: bool = True, rot90: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    r"""Apply one random symmetry of the square per sample, the same to image and target.

    Each sample draws :math:`k\in\{0,1,2,3\}` quarter turns (``rot90``) and a
    horizontal flip with probability 1/2 (``flips``).  Non-square images only
    get :math:`k \in \{0, 2\}` so the shape is kept.

    Returns ``(image, target)`` as new tensors (``target`` ``None`` if not given).

        >>> g = torch.Generator().manual_seed(1)
        >>> x = torch.arange(4.).reshape(1, 1, 2, 2)
        >>> sorted(dihedral(x, None, g)[0].flatten().tolist())   # a permutation of the pixels
        [0.0, 1.0, 2.0, 3.0]
    """
    _check_pair(image, target, "dihedral")
    n, h, w = image.shape[0], image.shape[-2], image.shape[-1]
    ks = torch.randint(0, 4, (n,), generator=generator) if rot90 else torch.zeros(n, dtype=torch.long)
    if h != w:
        ks = (ks // 2) * 2
    fl = torch.randint(0, 2, (n,), generator=generator) if flips else torch.zeros(n, dtype=torch.long)
    out_i, out_t = [], []
    for i in range(n):
        xi = image[i]
        ti = target[i] if target is not None else None
        k = int(ks[i])
        if k:
            xi = torch.rot90(xi, k, dims=(-2, -1))
            ti = torch.rot90(ti, k, dims=(-2, -1)) if ti is not None else None
        if int(fl[i]):
            xi = torch.flip(xi, dims=(-1,))
            ti = torch.flip(ti, dims=(-1,)) if ti is not None else None
        out_i.append(xi)
        out_t.append(ti)
    img = torch.stack(out_i)
    tgt = torch.stack(out_t) if target is not None else None
    return img, tgt


def intensity_jitter(
    image: torch.Tensor, generator: torch.Generator | None = None, *,
    gain: float = 0.2, offset: float = 0.1,
) -> torch.Tensor:
    r"""Random per-sample gain and offset: :math:`x \mapsto a\,x + b`.

    :math:`\log a \sim \mathcal U(\log(1-\text{gain}), \log(1+\text{gain}))`,
    :math:`b \sim \mathcal U(-\text{offset}, \text{offset})` — for images
    normalised to roughly [0, 1] this mimics a different exposure or camera
    offset.  ``gain`` in [0, 1), ``offset`` ≥ 0.

        >>> x = torch.ones(2, 1, 3, 3)
        >>> y = intensity_jitter(x, torch.Generator().manual_seed(0))
        >>> bool((y[0] == y[0, 0, 0, 0]).all()), bool(0.7 < float(y.min()) and float(y.max()) < 1.3)
        (True, True)
    """
    _check_pair(image, None, "intensity_jitter")
    gain = check_range("gain", gain, low=0.0, high=1.0, high_inclusive=False, owner="intensity_jitter")
    offset = check_range("offset", offset, low=0.0, owner="intensity_jitter")
    n = image.shape[0]
    lo, hi = torch.log(torch.tensor(1 - gain)), torch.log(torch.tensor(1 + gain))
    a = torch.exp(lo + (hi - lo) * torch.rand(n, generator=generator))
    b = (2 * torch.rand(n, generator=generator) - 1) * offset
    shape = (n,) + (1,) * (image.ndim - 1)
    return image * a.view(shape).to(image) + b.view(shape).to(image)


def random_crop(
    image: torch.Tensor, target: torch.Tensor | None, size: int | tuple[int, int],
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Cut one random ``size`` window per sample from image and target (the same window).

        >>> img = torch.arange(36.).reshape(1, 1, 6, 6); lab = img[:, 0].long()
        >>> a, t = random_crop(img, lab, 3, torch.Generator().manual_seed(0))
        >>> tuple(a.shape), tuple(t.shape), bool((a[:, 0].long() == t).all())
        ((1, 1, 3, 3), (1, 3, 3), True)
    """
    _check_pair(image, target, "random_crop")
    ch, cw = (size, size) if not isinstance(size, (tuple, list)) else size
    ch = check_int("size", ch, low=1, owner="random_crop")
    cw = check_int("size", cw, low=1, owner="random_crop")
    h, w = image.shape[-2:]
    if ch > h or cw > w:
        raise PhysnnError(
            f"random_crop: the crop {ch}×{cw} is larger than the images {h}×{w}; use a crop of at most {h}×{w}."
        )
    n = image.shape[0]
    ys = torch.randint(0, h - ch + 1, (n,), generator=generator)
    xs = torch.randint(0, w - cw + 1, (n,), generator=generator)
    imgs = torch.stack([image[i, ..., int(ys[i]):int(ys[i]) + ch, int(xs[i]):int(xs[i]) + cw] for i in range(n)])
    tgts = None
    if target is not None:
        tgts = torch.stack([target[i, ..., int(ys[i]):int(ys[i]) + ch, int(xs[i]):int(xs[i]) + cw] for i in range(n)])
    return imgs, tgts


@dataclass
class Augment:
    """A seeded augmentation pipeline: crop → dihedral symmetry → intensity jitter.

    Attributes:
        crop: crop size (int or (h, w)), or ``None`` for no crop.
        flips, rot90: random flips / quarter turns (:func:`dihedral`).
        gain, offset: intensity jitter (:func:`intensity_jitter`); ``gain=offset=0`` turns it off.

        >>> aug = Augment(crop=4)
        >>> img = torch.rand(2, 1, 8, 8); lab = (img[:, 0] > 0.5).long()
        >>> a1, t1 = aug(img, lab, torch.Generator().manual_seed(3))
        >>> a2, t2 = aug(img, lab, torch.Generator().manual_seed(3))
        >>> tuple(a1.shape), bool(torch.equal(a1, a2) and torch.equal(t1, t2))
        ((2, 1, 4, 4), True)
    """

    crop: int | tuple[int, int] | None = None
    flips: bool = True
    rot90: bool = True
    gain: float = 0.2
    offset: float = 0.1

    def __call__(
        self, image: torch.Tensor, target: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.crop is not None:
            image, target = random_crop(image, target, self.crop, generator)
        if self.flips or self.rot90:
            image, target = dihedral(image, target, generator, flips=self.flips, rot90=self.rot90)
        if self.gain > 0 or self.offset > 0:
            image = intensity_jitter(image, generator, gain=self.gain, offset=self.offset)
        return image, target
