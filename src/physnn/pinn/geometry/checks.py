"""Argument checks and formatting shared by the geometries (one error contract for all)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from physnn.errors import PhysnnError, check_choice, check_range

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def check_dtype(dtype: Any, owner: str) -> torch.dtype:
    """``torch.float32`` or ``torch.float64`` (also given by name), else a :class:`PhysnnError`."""
    if dtype in (torch.float32, torch.float64):
        return dtype
    name = str(dtype).replace("torch.", "")
    return _DTYPES[check_choice("dtype", name, list(_DTYPES), owner=owner)]


def check_generator(generator: Any, owner: str) -> torch.Generator | None:
    """``generator`` if it is a ``torch.Generator`` or ``None``, else a :class:`PhysnnError`."""
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    raise PhysnnError(
        f"{owner}: 'generator' must be a torch.Generator or None; got "
        f"{type(generator).__name__}. Make one with torch.Generator().manual_seed(seed)."
    )


def device_of(x: Any) -> torch.device:
    """Where results about ``x`` should live: its device if it is a tensor, else the CPU."""
    return x.device if isinstance(x, torch.Tensor) else torch.device("cpu")


def as_vector(name: str, value: Any, owner: str) -> tuple[float, ...]:
    """A tuple of finite floats from a number, a sequence, an array or a tensor."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().reshape(-1).tolist()
    elif isinstance(value, np.ndarray):
        value = value.reshape(-1).tolist()
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(value) == 0:
        raise PhysnnError(f"{owner}: {name!r} must hold at least one coordinate; got {value!r}.")
    return tuple(check_range(f"{name}[{i}]", v, owner=owner) for i, v in enumerate(value))


def default_names(dim: int) -> tuple[str, ...]:
    """``("x", "y", "z")[:dim]``, or ``x1 .. xd`` beyond three dimensions."""
    return ("x", "y", "z")[:dim] if dim <= 3 else tuple(f"x{i + 1}" for i in range(dim))


def check_names(names: Any, dim: int, owner: str) -> tuple[str, ...]:
    """``dim`` distinct non-empty coordinate names (``None``: :func:`default_names`)."""
    if names is None:
        return default_names(dim)
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if len(names) != dim or not all(isinstance(s, str) and s for s in names):
        raise PhysnnError(
            f"{owner}: 'names' must be {dim} non-empty string(s), one per coordinate; "
            f"got {names!r}."
        )
    if len(set(names)) != dim:
        raise PhysnnError(f"{owner}: 'names' must be distinct; got {names!r}.")
    return names


def format_tuple(values: Sequence[float]) -> str:
    """``(1, 2.5)``: a point or corner for a message or a ``repr``."""
    return "(" + ", ".join(f"{float(v):g}" for v in values) + ("," if len(values) == 1 else "") + ")"
