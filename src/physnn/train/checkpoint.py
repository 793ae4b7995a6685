"""Safe, atomic saving and loading of weights and training state.

* Weights go to **safetensors** (``model.safetensors``): plain tensors, no code,
  memory-mapped on load.
* The full training state needed to resume (optimizer moments, RNG states,
  epoch, history, callback state) goes to ``checkpoint.pt`` with
  :func:`torch.save` and is read back with ``torch.load(weights_only=True)``,
  which refuses any pickled object other than tensors and plain containers.
  A file carrying code is rejected with a :class:`PhysnnError`.

Every write goes to a temporary file first and is renamed into place, so a run
killed mid-write leaves the previous file intact.

    >>> import tempfile, torch
    >>> m = torch.nn.Linear(2, 1)
    >>> p = tempfile.mkdtemp() + "/w.safetensors"
    >>> _ = save_weights(m, p)
    >>> m2 = torch.nn.Linear(2, 1); load_weights(m2, p)
    >>> bool(torch.equal(m.weight, m2.weight))
    True
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_file
from physnn.files import atomic_path

__all__ = ["save_weights", "load_weights", "save_state", "load_state"]


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model


def save_weights(model: nn.Module | dict[str, torch.Tensor], path: str | Path, *, metadata: dict[str, str] | None = None) -> Path:
    """Write a model's ``state_dict`` (or a dict of tensors) to safetensors, atomically."""
    from safetensors.torch import save_file

    state = model if isinstance(model, dict) else _unwrap(model).state_dict()
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return Path(path)


def load_weights(model: nn.Module, path: str | Path, *, strict: bool = True) -> None:
    """Load safetensors weights into ``model``; a mismatch names the keys or shapes."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    p = check_file(path, owner="load_weights", what="weights file")
    try:
        state = load_file(str(p))
    except (SafetensorError, OSError, ValueError) as exc:
        raise PhysnnError(f"load_weights: {str(p)!r} is not a valid safetensors file ({exc}).") from None
    target = _unwrap(model)
    try:
        target.load_state_dict(state, strict=strict)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise PhysnnError(
            f"load_weights: the weights in {str(p)!r} do not fit this model "
            f"({'; '.join(s.strip() for s in first[:3])}); rebuild the model from the "
            "run's config.toml before loading."
        ) from None


def save_state(state: dict[str, Any], path: str | Path) -> Path:
    """Save a training-state dict (tensors and plain Python values) atomically."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def load_state(path: str | Path) -> dict[str, Any]:
    """Load a training state with ``weights_only=True``: no code is ever unpickled.

    A file holding pickled objects (a class instance, a function, a
    ``__reduce__`` payload) is refused with a :class:`PhysnnError`.
    """
    p = check_file(path, owner="load_state", what="checkpoint")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, EOFError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PhysnnError(
            f"load_state: refused to load {str(p)!r}: it is not a plain physnn checkpoint "
            f"(only tensors and plain values are accepted; loading pickled code is unsafe). "
            f"Reason: {reason[:200]}"
        ) from None
