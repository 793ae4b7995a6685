"""A per-layer table of a model: name, type, output shape and parameters.

The lecture counts SimpleNet's parameters layer by layer (704 + 2,080 + 33 =
2,817); :func:`summary` does that for any ``nn.Module`` by running one
forward pass on zeros and recording what each layer puts out.

    >>> from physnn.nn.mlp import SimpleNet
    >>> print(summary(SimpleNet(), 10).total_params)
    2817
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_int

__all__ = ["summary", "ModelSummary", "LayerRow"]

Shape = Any  # tuple[int, ...] for a tensor; list / dict of shapes for several; None if not a tensor


@dataclass(frozen=True)
class LayerRow:
    """One row of a :class:`ModelSummary`.

    Attributes:
        name: qualified module name, e.g. ``"layers.0"`` (``""`` for the model itself).
        type: class name, e.g. ``"Linear"``.
        output_shape: shape of the output on the summary's input, batch
            dimension included (a tuple; a list or dict of tuples for several
            outputs; ``None`` if the module was not called or returned no tensor).
        params: parameters held by this module itself (not its children).
        trainable: of those, the ones with ``requires_grad``.
        calls: how often the forward pass called the module.
    """

    name: str
    type: str
    output_shape: Shape
    params: int
    trainable: int
    calls: int = 0


def _fmt_shape(shape: Shape, batch_size: int) -> str:
    if shape is None:
        return "-"
    if isinstance(shape, tuple):
        dims = ["B" if (i == 0 and d == batch_size) else str(d) for i, d in enumerate(shape)]
        return "[" + ", ".join(dims) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_fmt_shape(v, batch_size)}" for k, v in shape.items()) + "}"
    return "(" + ", ".join(_fmt_shape(s, batch_size) for s in shape) + ")"


@dataclass(repr=False)
class ModelSummary:
    """The result of :func:`summary`: rows and totals, printable as a table.

    ``str(s)`` is an aligned text table with thousands separators and
    :meth:`to_markdown` a Markdown table.  In the output-shape column ``B``
    stands for the batch dimension (the leading dimension, when it equals
    ``batch_size``).  Totals count every parameter once (shared ones too),
    so ``total_params == sum(p.numel() for p in model.parameters())``.
    """

    model_name: str
    input_shape: tuple[int, ...]
    dtype: torch.dtype
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def non_trainable_params(self) -> int:
        """Parameters with ``requires_grad=False`` (frozen)."""
        return self.total_params - self.trainable_params

    @property
    def batch_size(self) -> int:
        """The batch size of the summary's forward pass."""
        return self.input_shape[0]

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["Layer", "Type", "Output shape", "Params"]
        body = [
            [r.name or "(model)", r.type, _fmt_shape(r.output_shape, self.batch_size), f"{r.params:,}"]
            for r in self.rows
        ]
        return head, body

    def _totals(self) -> list[str]:
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

        def line(cells: list[str]) -> str:
            left = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1])]
            return "  ".join([*left, cells[-1].rjust(widths[-1])]).rstrip()

        shape = _fmt_shape(self.input_shape, self.batch_size)
        rule = "-" * len(line(head))
        out = [f"{self.model_name} (input {shape}, {str(self.dtype).replace('torch.', '')})", rule, line(head), rule]
        out += [line(row) for row in body]
        out += [rule, *self._totals()]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def to_markdown(self) -> str:
        """The table in Markdown (GitHub flavour), the totals below it.

            >>> from physnn.nn.mlp import MLP
            >>> print(summary(MLP(2, [], 1), 2).to_markdown())
            | Layer | Type | Output shape | Params |
            |---|---|---|---:|
            | 0 | Linear | [B, 1] | 3 |
            <BLANKLINE>
            Total params: 3, trainable: 3, non-trainable: 0.
        """
        head, body = self._cells()
        esc = [[c.replace("|", "\\|") for c in row] for row in [head, *body]]
        out = ["| " + " | ".join(esc[0]) + " |", "|---|---|---|---:|"]
        out += ["| " + " | ".join(row) + " |" for row in esc[1:]]
        out += [
            "",
            f"Total params: {self.total_params:,}, trainable: {self.trainable_params:,}, "
            f"non-trainable: {self.non_trainable_params:,}.",
        ]
        return "\n".join(out)


def _shape_of(out: Any) -> Shape:
    if isinstance(out, torch.Tensor):
        return tuple(out.shape)
    if isinstance(out, (list, tuple)):
        return [_shape_of(o) for o in out]
    if isinstance(out, dict):
        return {k: _shape_of(v) for k, v in out.items()}
    return None


def _first_in_features(model: nn.Module) -> int | None:
    for m in model.modules():
        if isinstance(m, nn.Linear) and not isinstance(m, nn.modules.lazy.LazyModuleMixin):
            return m.in_features
    return None


def summary(
    model: nn.Module,
    input_size: int | tuple[int, ...],
    *,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    batch_size: int = 1,
) -> ModelSummary:
    """Summarise ``model`` layer by layer from one forward pass on zeros.

    The input is ``torch.zeros((batch_size, *input_size), dtype=dtype)``.
    A forward hook on every leaf module (and on any module that holds
    parameters of its own) records the output shape; each row counts the
    parameters that module holds itself, so a container's parameters are
    never counted twice.  The pass runs in eval mode (Dropout and BatchNorm
    leave no trace) without gradients; afterwards every module's train/eval
    mode is what it was and the hooks are removed, even after an error.

    Args:
        model: any ``nn.Module`` taking one tensor.
        input_size: the shape of one sample, without the batch dimension:
            ``(10,)`` or ``10`` for 10 features, ``(1, 28, 28)`` for an image.
        dtype, device: of the zero input.
        batch_size: rows of the zero input (shown as ``B`` in the table).

    Returns:
        :class:`ModelSummary` with ``rows``, ``total_params``,
        ``trainable_params`` and ``non_trainable_params``.

    The lecture's SimpleNet, 704 + 2,080 + 33 = 2,817 parameters:

        >>> from physnn.nn.mlp import SimpleNet
        >>> print(summary(SimpleNet(), (10,)))
        SimpleNet (input [B, 10], float32)
        --------------------------------------
        Layer     Type    Output shape  Params
        --------------------------------------
        layers.0  Linear  [B, 64]          704
        layers.1  ReLU    [B, 64]            0
        layers.2  Linear  [B, 32]        2,080
        layers.3  ReLU    [B, 32]            0
        layers.4  Linear  [B, 1]            33
        --------------------------------------
        Total params: 2,817
        Trainable params: 2,817
        Non-trainable params: 0
        >>> summary(SimpleNet(), (12,))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: summary: a forward pass of SimpleNet on zeros of shape (1, 12) (float32, cpu) failed; check that input_size=(12,) fits the model: its first Linear layer expects in_features=10, and the dtype and device. PyTorch said: mat1 and mat2 shapes cannot be multiplied (1x12 and 10x64)
    """
    if isinstance(input_size, (list, tuple)):
        size = tuple(check_int(f"input_size[{i}]", s, low=1, owner="summary") for i, s in enumerate(input_size))
    else:
        size = (check_int("input_size", input_size, low=1, owner="summary"),)
    batch_size = check_int("batch_size", batch_size, low=1, owner="summary")
    device = torch.device(device)
    shape = (batch_size, *size)

    named = list(model.named_modules())
    watched = [
        (name, m) for name, m in named
        if not any(True for _ in m.children()) or any(True for _ in m.parameters(recurse=False))
    ]
    outputs: dict[int, Shape] = {}
    calls: dict[int, int] = {}

    def make_hook(key: int) -> Any:
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            calls[key] = calls.get(key, 0) + 1
            if key not in outputs:
                outputs[key] = _shape_of(out)

        return hook

    modes = {m: m.training for _, m in named}
    handles = []
    try:
        for i, (_, m) in enumerate(watched):
            handles.append(m.register_forward_hook(make_hook(i)))
        model.eval()
        x = torch.zeros(shape, dtype=dtype, device=device)
        try:
            with torch.no_grad():
                model(x)
        except RuntimeError as err:
            n_in = _first_in_features(model)
            hint = f": its first Linear layer expects in_features={n_in}" if n_in is not None else ""
            raise PhysnnError(
                f"summary: a forward pass of {type(model).__name__} on zeros of shape {shape} "
                f"({str(dtype).replace('torch.', '')}, {device}) failed; check that "
                f"input_size={size} fits the model{hint}, and the dtype and device. "
                f"PyTorch said: {str(err).strip().splitlines()[0]}"
            ) from err
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.training = training

    rows = []
    for i, (name, m) in enumerate(watched):
        own = list(m.parameters(recurse=False))
        rows.append(
            LayerRow(
                name=name,
                type=type(m).__name__,
                output_shape=outputs.get(i),
                params=sum(p.numel() for p in own),
                trainable=sum(p.numel() for p in own if p.requires_grad),
                calls=calls.get(i, 0),
            )
        )
    params = list(model.parameters())  # unique: shared parameters count once
    return ModelSummary(
        model_name=type(model).__name__,
        input_shape=shape,
        dtype=dtype,
        rows=rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
    )
